"""All SQL of live statistics: upserting rollup increments and reading a session's figures."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Subject, scoped
from livebridge.db import executemany
from livebridge.kit.time import sqlite_text
from livebridge.models import LiveEventRow, SessionSecond, SessionSku
from livebridge.models.rollups import COUNTER_COLUMNS, SKU_COUNTER_COLUMNS


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

    async def seconds(self, subject: Subject, session_id: int) -> list[SessionSecond]:
        statement = (
            scoped(select(SessionSecond), SessionSecond, subject)
            .where(SessionSecond.session_id == session_id)
            .order_by(SessionSecond.second)
        )
        return list((await self.session.execute(statement)).scalars())

    async def skus(self, subject: Subject, session_id: int) -> list[SessionSku]:
        statement = (
            scoped(select(SessionSku), SessionSku, subject)
            .where(SessionSku.session_id == session_id)
            .order_by(SessionSku.paid_fen.desc(), SessionSku.sku_code)
        )
        return list((await self.session.execute(statement)).scalars())

    async def distinct_viewers_by_type(
        self, subject: Subject, session_id: int, types: tuple[str, ...]
    ) -> dict[str, int]:
        """Unique people per event type; order events without a viewer count by their order id."""
        who = func.coalesce(LiveEventRow.viewer_key, LiveEventRow.order_id)
        statement = (
            scoped(select(LiveEventRow.type, func.count(func.distinct(who))), LiveEventRow, subject)
            .where(LiveEventRow.session_id == session_id, LiveEventRow.type.in_(types))
            .group_by(LiveEventRow.type)
        )
        return {str(kind): int(count) for kind, count in (await self.session.execute(statement)).all()}

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

    async def presence_events(self, subject: Subject, session_id: int) -> list[tuple[str, str, datetime]]:
        """(viewer, enter|leave, time) in time order, for watch time."""
        statement = (
            scoped(select(LiveEventRow.viewer_key, LiveEventRow.type, LiveEventRow.occurred_at), LiveEventRow, subject)
            .where(
                LiveEventRow.session_id == session_id,
                LiveEventRow.type.in_(("enter", "leave")),
                LiveEventRow.viewer_key.is_not(None),
            )
            .order_by(LiveEventRow.occurred_at, LiveEventRow.id)
        )
        return [(str(v), str(t), at) for v, t, at in (await self.session.execute(statement)).all()]
