"""All SQL of the audit chain: the locked head row, the entries, the checkpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.audit.chain import GENESIS_HASH, StoredEntry
from livebridge.models import AuditChainHead, AuditCheckpoint, AuditEntry

READ_CHUNK: Final = 5_000


class AuditRepository:
    """Works on one tenant's chain; callers pass a tenant id they have already checked."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _dialect(self) -> str:
        return self.session.bind.dialect.name if self.session.bind else "sqlite"

    async def lock_head(self, tenant_id: int, now: datetime) -> tuple[int, str]:
        """(last seq, last hash) of the tenant's chain, locked until the transaction ends.

        PostgreSQL: ``SELECT … FOR UPDATE`` on the head row, so a second writer waits for the first
        to commit and then sees its new head. SQLite: writing transactions hold the database lock
        from ``BEGIN IMMEDIATE`` on (see ``db.py``), so the same holds. The head row is created on
        first use with ``ON CONFLICT DO NOTHING``, so two first writers cannot both create it.
        """
        head = await self._select_head(tenant_id)
        if head is None:
            dialect_insert = postgresql_insert if self._dialect == "postgresql" else sqlite_insert
            await self.session.execute(
                dialect_insert(AuditChainHead)
                .values(tenant_id=tenant_id, last_seq=0, last_hash=GENESIS_HASH, updated_at=now)
                .on_conflict_do_nothing(index_elements=["tenant_id"])
            )
            head = await self._select_head(tenant_id)
            assert head is not None
        return head

    async def _select_head(self, tenant_id: int) -> tuple[int, str] | None:
        statement = (
            select(AuditChainHead.last_seq, AuditChainHead.last_hash)
            .where(AuditChainHead.tenant_id == tenant_id)
            .with_for_update()
        )
        row = (await self.session.execute(statement)).first()
        return (int(row[0]), str(row[1])) if row else None

    async def append(self, tenant_id: int, rows: Sequence[dict[str, Any]], now: datetime) -> None:
        """Insert the new entries (one multi-row statement) and move the head to the last one."""
        # Core insert of the table (not the ORM bulk path): one executemany, no per-row objects.
        await self.session.execute(insert(cast(Table, AuditEntry.__table__)), list(rows))
        last = rows[-1]
        await self.session.execute(
            update(AuditChainHead)
            .where(AuditChainHead.tenant_id == tenant_id)
            .values(last_seq=last["seq"], last_hash=last["entry_hash"], updated_at=now)
        )

    async def add_checkpoints(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(AuditCheckpoint), list(rows))

    async def head(self, tenant_id: int) -> tuple[int, str] | None:
        statement = select(AuditChainHead.last_seq, AuditChainHead.last_hash).where(
            AuditChainHead.tenant_id == tenant_id
        )
        row = (await self.session.execute(statement)).first()
        return (int(row[0]), str(row[1])) if row else None

    async def checkpoints(self, tenant_id: int) -> dict[int, str]:
        statement = select(AuditCheckpoint.seq, AuditCheckpoint.head_hash).where(AuditCheckpoint.tenant_id == tenant_id)
        return {int(seq): str(hash_) for seq, hash_ in (await self.session.execute(statement)).all()}

    async def entries(self, tenant_id: int) -> AsyncIterator[StoredEntry]:
        """Every entry in sequence order, read in chunks (keyset on seq) so memory stays flat."""
        after = -1
        while True:
            statement = (
                select(
                    AuditEntry.seq,
                    AuditEntry.kind,
                    AuditEntry.reference,
                    AuditEntry.payload,
                    AuditEntry.recorded_at,
                    AuditEntry.prev_hash,
                    AuditEntry.entry_hash,
                )
                .where(AuditEntry.tenant_id == tenant_id, AuditEntry.seq > after)
                .order_by(AuditEntry.seq)
                .limit(READ_CHUNK)
            )
            rows = (await self.session.execute(statement)).all()
            for row in rows:
                yield StoredEntry(*row)
            if len(rows) < READ_CHUNK:
                return
            after = int(rows[-1][0])

    async def seq_of_hash(self, tenant_id: int, entry_hash: str) -> int | None:
        """Which entry has this hash (only asked once, after the chain broke: a scan is fine)."""
        statement = select(AuditEntry.seq).where(AuditEntry.tenant_id == tenant_id, AuditEntry.entry_hash == entry_hash)
        row = (await self.session.execute(statement.limit(1))).first()
        return int(row[0]) if row else None

    async def tenants_with_chains(self) -> list[int]:
        statement = select(AuditChainHead.tenant_id).union(select(func.distinct(AuditEntry.tenant_id)))
        return sorted(int(tenant_id) for (tenant_id,) in (await self.session.execute(statement)).all())

    async def count_by_kind(self, tenant_id: int) -> dict[str, int]:
        statement = (
            select(AuditEntry.kind, func.count()).where(AuditEntry.tenant_id == tenant_id).group_by(AuditEntry.kind)
        )
        return {str(kind): int(count) for kind, count in (await self.session.execute(statement)).all()}
