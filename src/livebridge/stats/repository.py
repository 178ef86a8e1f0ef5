"""All SQL of live statistics: upserting rollup increments and reading a session's figures."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect, Row
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Subject, scoped
from livebridge.db import executemany
from livebridge.kit.time import sqlite_text
from livebridge.models import LiveEventRow, SessionSecond, SessionSku
from livebridge.models.rollups import COUNTER_COLUMNS, SKU_COUNTER_COLUMNS
from livebridge.stats.tallies import TalliedEvent


@functools.lru_cache(maxsize=32)  # one entry per engine and table
def _upsert(dialect: Dialect, table: Table, key: tuple[str, ...], counters: tuple[str, ...]) -> tuple[str, list[str]]:
    """(SQL, parameter names in order) of INSERT … ON CONFLICT (key) DO UPDATE adding up the counters
    (and keeping the larger ``online_max``), compiled once per engine: ingest runs it for every batch."""
    insert = postgresql_insert if dialect.name == "postgresql" else sqlite_insert
    names = ["tenant_id", *key, *counters]
    statement = insert(table).values({name: bindparam(name) for name in names})
    excluded = statement.excluded
    updates: dict[str, Any] = {column: table.c[column] + excluded[column] for column in counters}
    if "online_max" in counters:
        if dialect.name == "postgresql":
            updates["online_max"] = func.greatest(table.c.online_max, excluded.online_max)
        else:  # SQLite's two-argument max() is NULL if either side is
            updates["online_max"] = func.max(
                func.coalesce(table.c.online_max, excluded.online_max),
                func.coalesce(excluded.online_max, table.c.online_max),
            )
    compiled = statement.on_conflict_do_update(index_elements=list(key), set_=updates).compile(dialect=dialect)
    assert compiled.positiontup is not None
    return str(compiled), list(compiled.positiontup)


@dataclass(frozen=True, slots=True)
class MinuteSums:
    minute: datetime
    last_second: datetime  # the minute's last second with rollups
    sums: dict[str, int]
    online_max: int | None  # the largest viewer-count sample, None without one


def _utc(value: str | datetime) -> datetime:
    """An aggregate's time: text on SQLite (no column type to convert it), aware on PostgreSQL."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if isinstance(value, str) else value.astimezone(UTC)


class StatsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _add(
        self, table: Table, key: tuple[str, ...], counters: tuple[str, ...], rows: list[dict[str, Any]]
    ) -> None:
        connection = await self.session.connection()
        sql, names = _upsert(connection.dialect, table, key, counters)
        await executemany(self.session, sql, [tuple(row[name] for name in names) for row in rows])

    async def add_second_increments(
        self, tenant_id: int, session_id: int, increments: dict[int, dict[str, int]]
    ) -> None:
        """Add counters to the per-second rows (keys are UTC epoch seconds), creating missing rows."""
        if not increments:
            return
        connection = await self.session.connection()
        sqlite = connection.dialect.name == "sqlite"
        rows = []
        for second, counts in sorted(increments.items()):
            moment = datetime.fromtimestamp(second, UTC)
            row: dict[str, Any] = {column: counts.get(column, 0) for column in COUNTER_COLUMNS}
            row.update(tenant_id=tenant_id, session_id=session_id, second=sqlite_text(moment) if sqlite else moment)
            row["online_max"] = counts.get("online_max")
            rows.append(row)
        table = cast(Table, SessionSecond.__table__)
        await self._add(table, ("session_id", "second"), (*COUNTER_COLUMNS, "online_max"), rows)

    async def add_sku_increments(self, tenant_id: int, session_id: int, increments: dict[str, dict[str, int]]) -> None:
        if not increments:
            return
        rows = [
            {
                "tenant_id": tenant_id,
                "session_id": session_id,
                "sku_code": sku,
                **{column: counts.get(column, 0) for column in SKU_COUNTER_COLUMNS},
            }
            for sku, counts in sorted(increments.items())
        ]
        await self._add(cast(Table, SessionSku.__table__), ("session_id", "sku_code"), SKU_COUNTER_COLUMNS, rows)

    async def minute_sums(
        self, subject: Subject, session_id: int, columns: Sequence[str]
    ) -> list[MinuteSums]:
        """Per minute with rollups, in order: the columns summed. Summed by the engine: the dashboard
        asks on every update, and a two-hour session has 7,200 second rows."""
        connection = await self.session.connection()
        second = SessionSecond.__table__.c.second
        if connection.dialect.name == "sqlite":
            minute: Any = func.substr(second, 1, 16)  # "YYYY-MM-DD HH:MM" of UTCDateTime's text
        else:
            minute = func.date_trunc("minute", second)
        table = cast(Table, SessionSecond.__table__)
        statement = (
            scoped(
                select(
                    minute,
                    func.max(second),
                    func.max(table.c.online_max),
                    *(func.sum(table.c[name]) for name in columns),
                ),
                SessionSecond,
                subject,
            )
            .where(SessionSecond.session_id == session_id)
            .group_by(minute)
            .order_by(minute)
        )
        found = []
        for at, last, online, *sums in (await self.session.execute(statement)).all():
            found.append(
                MinuteSums(
                    minute=_utc(at),
                    last_second=_utc(last),
                    sums=dict(zip(columns, (int(v) for v in sums), strict=True)),
                    online_max=None if online is None else int(online),
                )
            )
        return found

    async def presence_by_second(self, subject: Subject, session_id: int) -> list[tuple[datetime, int, int]]:
        """(second, enters, leaves) in order: viewers present without the platform's samples."""
        statement = (
            scoped(select(SessionSecond.second, SessionSecond.enters, SessionSecond.leaves), SessionSecond, subject)
            .where(SessionSecond.session_id == session_id)
            .order_by(SessionSecond.second)
        )
        return [(at, int(enters), int(leaves)) for at, enters, leaves in (await self.session.execute(statement)).all()]

    async def seconds(self, subject: Subject, session_id: int) -> Sequence[Row[Any]]:
        """The per-second rows (columns as attributes), as plain rows: a two-hour session has 7,200 of
        them and the dashboard reads them on every update (ORM objects cost several times as much)."""
        statement = (
            scoped(select(*cast(Table, SessionSecond.__table__).columns), SessionSecond, subject)
            .where(SessionSecond.session_id == session_id)
            .order_by(SessionSecond.second)
        )
        return (await self.session.execute(statement)).all()

    async def skus(self, subject: Subject, session_id: int) -> list[SessionSku]:
        statement = (
            scoped(select(SessionSku), SessionSku, subject)
            .where(SessionSku.session_id == session_id)
            .order_by(SessionSku.paid_fen.desc(), SessionSku.sku_code)
        )
        return list((await self.session.execute(statement)).scalars())

    async def funnel_viewers(
        self, subject: Subject, session_ids: list[int], types: tuple[str, ...]
    ) -> dict[int, dict[str, int]]:
        """Unique people per session and event type (the funnel of several sessions at once)."""
        who = func.coalesce(LiveEventRow.viewer_key, LiveEventRow.order_id)
        statement = (
            scoped(
                select(LiveEventRow.session_id, LiveEventRow.type, func.count(func.distinct(who))),
                LiveEventRow,
                subject,
            )
            .where(LiveEventRow.session_id.in_(session_ids), LiveEventRow.type.in_(types))
            .group_by(LiveEventRow.session_id, LiveEventRow.type)
        )
        result: dict[int, dict[str, int]] = {}
        for session_id, kind, count in (await self.session.execute(statement)).all():
            result.setdefault(int(session_id), {})[str(kind)] = int(count)
        return result

    async def recent_comments(
        self, subject: Subject, session_id: int, after_id: int, limit: int
    ) -> list[tuple[int, datetime, str | None, str]]:
        """The newest comments after ``after_id``, oldest first."""
        statement = (
            scoped(
                select(LiveEventRow.id, LiveEventRow.occurred_at, LiveEventRow.viewer_key, LiveEventRow.text),
                LiveEventRow,
                subject,
            )
            .where(LiveEventRow.session_id == session_id, LiveEventRow.type == "comment", LiveEventRow.id > after_id)
            .order_by(LiveEventRow.id.desc())
            .limit(limit)
        )
        rows = (await self.session.execute(statement)).all()
        return [(int(i), at, viewer, str(text or "")) for i, at, viewer, text in reversed(rows)]

    async def tallied_events(
        self, subject: Subject, session_id: int, kinds: Sequence[str], after_id: int
    ) -> list[TalliedEvent]:
        """The session's events of these types with ids above ``after_id``, in id order."""
        statement = (
            scoped(
                select(
                    LiveEventRow.id,
                    LiveEventRow.type,
                    LiveEventRow.viewer_key,
                    LiveEventRow.order_id,
                    LiveEventRow.occurred_at,
                ),
                LiveEventRow,
                subject,
            )
            .where(LiveEventRow.session_id == session_id, LiveEventRow.type.in_(kinds), LiveEventRow.id > after_id)
            .order_by(LiveEventRow.id)
        )
        return [TalliedEvent(*row) for row in (await self.session.execute(statement)).all()]
