"""Appending to the audit chain from any domain's transaction, checkpoints, and verification.

How other domains record what must stay provable (call inside the transaction that makes the
change, so the entry and the change commit or roll back together):

    from livebridge.audit import service as audit_service
    await audit_service.append_audit(session, tenant_id, "agreement_version", f"agreement:{id}:v{n}", {...})
    await audit_service.append_audit_records(session, tenant_id, [AuditRecord(...), ...])  # one lock for many

Payloads hold only JSON-native values (money as int fen, rates as int basis points, times as
ISO text): a float is refused, because its text is not the same in every language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.audit.chain import ChainWalker, LinkBreak, Problem, canonical_json, entry_hash, timestamp_text
from livebridge.audit.repository import AuditRepository
from livebridge.authz import Permission, Subject
from livebridge.kit.time import utcnow

CHECKPOINT_EVERY: Final = 1_000
ORDER_EVENT_KINDS: Final = frozenset({"order_paid", "order_refunded"})


@dataclass(frozen=True)
class AuditRecord:
    kind: str
    reference: str
    payload: Mapping[str, Any]
    is_simulated: bool = False


@dataclass(frozen=True)
class AppendResult:
    first_seq: int
    last_seq: int
    head_hash: str


@dataclass
class VerifyReport:
    tenant_id: int
    entries: int = 0
    checkpoints: int = 0
    head_seq: int = 0
    counts_by_kind: dict[str, int] = field(default_factory=dict)
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


async def append_audit_records(
    session: AsyncSession, tenant_id: int, records: Sequence[AuditRecord]
) -> AppendResult | None:
    """Append records in order to the tenant's chain; one head lock and one insert for the batch."""
    if not records:
        return None
    now = utcnow()
    repository = AuditRepository(session)
    last_seq, last_hash = await repository.lock_head(tenant_id, now)
    first_seq = last_seq + 1
    rows: list[dict[str, Any]] = []
    checkpoints: list[dict[str, Any]] = []
    for record in records:
        last_seq += 1
        payload = canonical_json(record.payload)
        last_hash_before = last_hash
        last_hash = entry_hash(last_hash_before, tenant_id, record.kind, record.reference, now, payload)
        rows.append(
            {
                "tenant_id": tenant_id,
                "seq": last_seq,
                "kind": record.kind,
                "reference": record.reference,
                "payload": payload,
                "recorded_at": now,
                "prev_hash": last_hash_before,
                "entry_hash": last_hash,
                "is_simulated": record.is_simulated,
            }
        )
        if last_seq % CHECKPOINT_EVERY == 0:
            checkpoints.append(_checkpoint_row(tenant_id, last_seq, last_hash, "periodic", now))
    await repository.append(tenant_id, rows, now)
    await repository.add_checkpoints(checkpoints)
    return AppendResult(first_seq=first_seq, last_seq=last_seq, head_hash=last_hash)


async def append_audit(
    session: AsyncSession,
    tenant_id: int,
    kind: str,
    reference: str,
    payload: Mapping[str, Any],
    *,
    is_simulated: bool = False,
) -> AppendResult:
    result = await append_audit_records(session, tenant_id, [AuditRecord(kind, reference, payload, is_simulated)])
    assert result is not None
    return result


def _iso(value: Any) -> Any:
    return timestamp_text(value) if isinstance(value, datetime) else value


async def record_live_orders(
    session: AsyncSession, tenant_id: int, stored_rows: Iterable[Mapping[str, Any]]
) -> AppendResult | None:
    """Chain the paid and refunded orders among newly stored live-event rows (one append per batch).

    Called by ingest in its own transaction with the rows it has just stored (duplicates already
    left out), so an order is in the chain exactly when its event is in the database.
    """
    records = [
        AuditRecord(
            kind=str(row["type"]),
            reference=f"order:{row['order_id']}",
            payload={
                "session_id": row["session_id"],
                "source": row["source"],
                "event_id": row["event_id"],
                "order_id": row["order_id"],
                "sku_code": row["sku_code"],
                "quantity": row["quantity"],
                "amount_fen": row["amount_fen"],
                "buyer": row["viewer_key"],
                "occurred_at": _iso(row["occurred_at"]),
            },
            is_simulated=bool(row["is_simulated"]),
        )
        for row in stored_rows
        if row["type"] in ORDER_EVENT_KINDS
    ]
    return await append_audit_records(session, tenant_id, records)


def _checkpoint_row(tenant_id: int, seq: int, head_hash: str, reason: str, now: datetime) -> dict[str, Any]:
    return {"tenant_id": tenant_id, "seq": seq, "head_hash": head_hash, "reason": reason, "created_at": now}


async def do_checkpoint(session: AsyncSession, tenant_id: int) -> tuple[int, str]:
    """Record the current head as a checkpoint (nothing new when the head has one already)."""
    now = utcnow()
    repository = AuditRepository(session)
    seq, head_hash = await repository.lock_head(tenant_id, now)
    if seq > 0 and seq not in await repository.checkpoints(tenant_id):
        await repository.add_checkpoints([_checkpoint_row(tenant_id, seq, head_hash, "on_demand", now)])
    return seq, head_hash


async def verify_chain(session: AsyncSession, tenant_id: int) -> VerifyReport:
    """Walk the tenant's chain; report the first entry changed, removed or reordered."""
    repository = AuditRepository(session)
    checkpoints = await repository.checkpoints(tenant_id)
    head_seq, head_hash = await repository.head(tenant_id) or (0, "")
    report = VerifyReport(tenant_id=tenant_id, checkpoints=len(checkpoints), head_seq=head_seq)
    walker = ChainWalker(tenant_id, checkpoints)
    async for entry in repository.entries(tenant_id):
        found = walker.feed(entry)
        if isinstance(found, LinkBreak):
            found = walker.explain_break(found, await repository.seq_of_hash(tenant_id, found.points_at))
        if found is not None:
            report.problem = found
            break
    else:
        report.problem = walker.finish(head_seq, head_hash) if (head_seq or walker.count) else None
    report.entries = walker.count
    report.counts_by_kind = await repository.count_by_kind(tenant_id)
    return report


async def access_verify(session: AsyncSession, subject: Subject) -> VerifyReport:
    """Verification of the subject's own tenant (the API and console)."""
    subject.check(Permission.READ)
    return await verify_chain(session, subject.require_tenant())


async def tenants_with_chains(session: AsyncSession) -> list[int]:
    return await AuditRepository(session).tenants_with_chains()
