"""All SQL of the ingest domain: the append-only event table.

The insert is the hot path of the platform: new rows go through each engine's own bulk path
(sqlite3 executemany, asyncpg COPY), the same path the benchmark measures as the machine's limit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Final, cast

import asyncpg
import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from livebridge.kit.time import sqlite_text

EVENT_COLUMNS: Final = (
    "tenant_id",
    "session_id",
    "source",
    "event_id",
    "type",
    "occurred_at",
    "received_at",
    "viewer_key",
    "text",
    "sku_code",
    "link_number",
    "order_id",
    "quantity",
    "amount_fen",
    "count",
    "gift_name",
    "is_simulated",
)
# PostgreSQL's fallback statement: 17 columns × 500 rows stay far below its 65,535 bound values.
ROWS_PER_STATEMENT: Final = 500


@functools.cache
def _insert_returning_sql(row_count: int) -> str:
    """PostgreSQL's fallback when a concurrent writer raced the COPY: the engine decides what is new."""
    width = len(EVENT_COLUMNS)
    groups = (
        "(" + ", ".join(f"${row * width + column + 1}" for column in range(width)) + ")" for row in range(row_count)
    )
    # Only our own column names and placeholders go into the text; every value is a bound parameter.
    return (
        f"INSERT INTO live_events ({', '.join(EVENT_COLUMNS)}) VALUES {', '.join(groups)} "  # noqa: S608
        "ON CONFLICT (tenant_id, source, event_id) DO NOTHING RETURNING source, event_id"
    )


# A row of ``live_events`` in ``EVENT_COLUMNS`` order, its times encoded by ``time_encoder``.
EventRow = tuple[Any, ...]
_SOURCE, _EVENT_ID = EVENT_COLUMNS.index("source"), EVENT_COLUMNS.index("event_id")

_SQLITE_INSERT: Final = (
    f"INSERT INTO live_events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"  # noqa: S608
)
_EXISTING_SQLITE: Final = (
    "SELECT event_id FROM live_events WHERE tenant_id = ? AND source = ? "
    "AND event_id IN (SELECT value FROM json_each(?))"
)


def _unchanged(value: datetime) -> datetime:
    return value


def time_encoder(engine: str) -> Callable[[datetime], Any]:
    """How a row's times go to the engine's bulk path: text on SQLite (as ``UTCDateTime`` writes it,
    so the ORM reads them back), aware datetimes for asyncpg."""
    return sqlite_text if engine == "sqlite" else _unchanged


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_new(self, rows: Sequence[EventRow]) -> Sequence[int]:
        """Insert the rows whose (tenant, source, event_id) is new; return their positions in ``rows``.

        Rows go optimistically through the engine's bulk path (sqlite3 executemany, asyncpg COPY) in
        a savepoint: when one is already stored (a retry, or a concurrent copy of the same batch) the
        unique index refuses the statement, the savepoint is rolled back and only the new rows are
        written — on SQLite after looking the batch's ids up on the unique index (the write
        transaction, BEGIN IMMEDIATE, keeps other writers out meanwhile), on PostgreSQL with
        INSERT … ON CONFLICT DO NOTHING, where the engine decides. (No lookup first: retries are the
        exception, and on PostgreSQL a plan cached while the table was small would scan it.)
        """
        if not rows:
            return ()
        connection = await self.session.connection()
        if connection.dialect.name == "postgresql":
            return await self._copy_postgresql(connection, rows)
        try:
            async with connection.begin_nested():
                await connection.exec_driver_sql(_SQLITE_INSERT, rows)
            return range(len(rows))
        except IntegrityError:
            pass
        existing = await self._existing_sqlite(connection, rows)
        new = [index for index, row in enumerate(rows) if (row[_SOURCE], row[_EVENT_ID]) not in existing]
        if new:
            await connection.exec_driver_sql(_SQLITE_INSERT, [rows[index] for index in new])
        return new

    async def _existing_sqlite(self, connection: AsyncConnection, rows: Sequence[EventRow]) -> set[tuple[str, str]]:
        """The (source, event_id) of these rows already stored: one indexed lookup per source."""
        by_source: dict[str, list[str]] = {}
        for row in rows:
            by_source.setdefault(row[_SOURCE], []).append(row[_EVENT_ID])
        tenant_id = rows[0][EVENT_COLUMNS.index("tenant_id")]
        found: set[tuple[str, str]] = set()
        for source, event_ids in by_source.items():
            result = await connection.exec_driver_sql(
                _EXISTING_SQLITE, (tenant_id, source, orjson.dumps(event_ids).decode())
            )
            found.update((source, str(event_id)) for (event_id,) in result.all())
        return found

    async def _copy_postgresql(self, connection: AsyncConnection, rows: Sequence[EventRow]) -> Sequence[int]:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        try:
            async with connection.begin_nested():
                await driver.copy_records_to_table("live_events", records=rows, columns=EVENT_COLUMNS)
            return range(len(rows))
        except (IntegrityError, asyncpg.UniqueViolationError):  # the COPY is a driver call, unwrapped
            stored: set[tuple[str, str]] = set()
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                chunk = rows[start : start + ROWS_PER_STATEMENT]
                params = tuple(value for row in chunk for value in row)
                result = await connection.exec_driver_sql(_insert_returning_sql(len(chunk)), params)
                returned = cast("list[tuple[str, str]]", result.all())
                stored.update((str(source), str(event_id)) for source, event_id in returned)
            return [index for index, row in enumerate(rows) if (row[_SOURCE], row[_EVENT_ID]) in stored]
