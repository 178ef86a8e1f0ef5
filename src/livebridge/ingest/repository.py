"""All SQL of the ingest domain: the append-only event table.

The insert is the hot path of the platform: new rows go through each engine's own bulk path
(sqlite3 executemany, asyncpg COPY), the same path the benchmark measures as the machine's limit.
"""

from __future__ import annotations

import functools
import operator
from datetime import UTC, datetime
from typing import Any, Final, cast

import asyncpg
import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

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


_SQLITE_INSERT: Final = (
    f"INSERT INTO live_events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' * len(EVENT_COLUMNS))}) "  # noqa: S608
    "ON CONFLICT (tenant_id, source, event_id) DO NOTHING"
)
_EXISTING_SQLITE: Final = (
    "SELECT event_id FROM live_events WHERE tenant_id = ? AND source = ? "
    "AND event_id IN (SELECT value FROM json_each(?))"
)
_ROW_VALUES: Final = operator.itemgetter(*EVENT_COLUMNS)
_OCCURRED, _RECEIVED = EVENT_COLUMNS.index("occurred_at"), EVENT_COLUMNS.index("received_at")


def _sqlite_time(value: datetime) -> str:
    """The text SQLAlchemy's DateTime writes on SQLite (naive UTC, always six decimals), 3× faster than strftime."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_new(self, rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
        """Insert the rows whose (tenant, source, event_id) is new; return their (source, event_id).

        New rows go through the engine's bulk path. SQLite: the ids already stored are looked up on
        the unique index, then only the new rows are written (executemany); the write transaction
        (BEGIN IMMEDIATE) keeps other writers out between the two steps. PostgreSQL: the rows are
        copied optimistically (COPY); if any is already stored (a retry, or a concurrent copy of the
        same batch) the unique index refuses the COPY and the rows are written with INSERT … ON
        CONFLICT DO NOTHING instead, where the engine decides. (No lookup first: a plan cached while
        the table was small would scan it, and retries are the exception.)
        """
        if not rows:
            return set()
        connection = await self.session.connection()
        if connection.dialect.name == "postgresql":
            return await self._copy_postgresql(connection, rows)
        existing = await self._existing_sqlite(connection, rows[0]["tenant_id"], rows)
        new_rows = [row for row in rows if (row["source"], row["event_id"]) not in existing]
        values = []
        received_at = rows[0]["received_at"]  # one batch, one arrival time: formatted once
        received_text = _sqlite_time(received_at)
        for row in new_rows:
            value = list(_ROW_VALUES(row))
            value[_OCCURRED] = _sqlite_time(value[_OCCURRED])
            value[_RECEIVED] = received_text if value[_RECEIVED] is received_at else _sqlite_time(value[_RECEIVED])
            values.append(tuple(value))
        if values:
            await connection.exec_driver_sql(_SQLITE_INSERT, values)
        return {(row["source"], row["event_id"]) for row in new_rows}

    async def _existing_sqlite(
        self, connection: AsyncConnection, tenant_id: int, rows: list[dict[str, Any]]
    ) -> set[tuple[str, str]]:
        """The (source, event_id) of these rows already stored: one indexed lookup per source."""
        by_source: dict[str, list[str]] = {}
        for row in rows:
            by_source.setdefault(row["source"], []).append(row["event_id"])
        found: set[tuple[str, str]] = set()
        for source, event_ids in by_source.items():
            result = await connection.exec_driver_sql(
                _EXISTING_SQLITE, (tenant_id, source, orjson.dumps(event_ids).decode())
            )
            found.update((source, str(event_id)) for (event_id,) in result.all())
        return found

    async def _copy_postgresql(self, connection: AsyncConnection, rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        records = [_ROW_VALUES(row) for row in rows]
        try:
            async with connection.begin_nested():
                await driver.copy_records_to_table("live_events", records=records, columns=EVENT_COLUMNS)
            return {(row["source"], row["event_id"]) for row in rows}
        except (IntegrityError, asyncpg.UniqueViolationError):  # the COPY is a driver call, unwrapped
            stored: set[tuple[str, str]] = set()
            for start in range(0, len(records), ROWS_PER_STATEMENT):
                chunk = records[start : start + ROWS_PER_STATEMENT]
                params = tuple(value for record in chunk for value in record)
                result = await connection.exec_driver_sql(_insert_returning_sql(len(chunk)), params)
                returned = cast("list[tuple[str, str]]", result.all())
                stored.update((str(source), str(event_id)) for source, event_id in returned)
            return stored
