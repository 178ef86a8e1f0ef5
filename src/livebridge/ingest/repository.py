"""All SQL of the ingest domain: the append-only event table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Subject, scoped
from livebridge.models import LiveEventRow


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_new(self, rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
        """Insert the rows whose (tenant, source, event_id) is new; return their (source, event_id).

        One multi-row INSERT … ON CONFLICT DO NOTHING RETURNING per chunk: the engine itself
        decides what is a duplicate, so two concurrent retries of one batch cannot both count.
        """
        if not rows:
            return set()
        dialect = self.session.bind.dialect.name if self.session.bind else "sqlite"
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(LiveEventRow).on_conflict_do_nothing().returning(LiveEventRow.source, LiveEventRow.event_id)
        result = await self.session.execute(statement, rows)
        return {(str(source), str(event_id)) for source, event_id in result.all()}

    async def count_for_session(self, subject: Subject, session_id: int) -> int:
        statement = scoped(select(func.count(LiveEventRow.id)), LiveEventRow, subject).where(
            LiveEventRow.session_id == session_id
        )
        return int((await self.session.execute(statement)).scalar_one())
