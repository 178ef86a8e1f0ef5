"""All SQL of the ingest domain: the append-only event table.

The insert is the hot path of the platform: new rows go through each engine's own bulk path
(sqlite3 executemany, asyncpg COPY), the same path the benchmark measures as the machine's limit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from math import floor
from operator import itemgetter
from typing import Any, Final, cast

import asyncpg
import orjson
from msgspec.structs import astuple
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from livebridge.ingest.schemas import EVENT_CLASSES, LiveEvent
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
_VIEWER_KEY: Final = EVENT_COLUMNS.index("viewer_key")

_SQLITE_INSERT: Final = (
    f"INSERT INTO live_events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"  # noqa: S608
)
_EXISTING_SQLITE: Final = (
    "SELECT event_id FROM live_events WHERE tenant_id = ? AND source = ? "
    "AND event_id IN (SELECT value FROM json_each(?))"
)


class RowBuilder:
    """Turns a batch's events into ``live_events`` rows as the engine's bulk path takes them: tuples in
    ``EVENT_COLUMNS`` order, times as text on SQLite (as ``UTCDateTime`` writes them, so the ORM reads
    them back) and as aware datetimes for asyncpg.

    Per event type, one C-level ``itemgetter`` picks the row out of the event's own values followed
    by the batch's constants and the encoded time; SQLite times are formatted once per second.
    """

    def __init__(
        self, tenant_id: int, session_id: int, received_at: datetime, engine: str, viewer_key: Callable[[str], str]
    ) -> None:
        self._as_text = engine == "sqlite"
        self._viewer_key = viewer_key
        self._second_texts: dict[int, str] = {}
        self._picks: dict[type[LiveEvent], tuple[Callable[[tuple[Any, ...]], EventRow], tuple[Any, ...]]] = {}
        received = sqlite_text(received_at) if self._as_text else received_at
        for tag, cls in EVENT_CLASSES.items():
            fields = list(cls.__struct_fields__)
            # Appended to the event's own values: a None, the batch's constants, then the encoded time.
            constants = {"tenant_id": tenant_id, "session_id": session_id, "type": tag, "received_at": received}
            position = {name: index for index, name in enumerate(fields)}
            position.update({name: len(fields) + 1 + index for index, name in enumerate(constants)})
            position["occurred_at"] = len(fields) + 1 + len(constants)
            position["viewer_key"] = position["viewer_id"]
            if "value_fen" in position:  # a gift's value is its amount
                position["amount_fen"] = position["value_fen"]
            picks = [position.get(column, len(fields)) for column in EVENT_COLUMNS]  # len(fields): the None
            self._picks[cls] = (itemgetter(*picks), (None, *constants.values()))

    def rows(self, events: Iterable[LiveEvent]) -> tuple[list[EventRow], list[int]]:
        """The events' rows, and the UTC epoch second each occurred in."""
        rows: list[EventRow] = []
        seconds: list[int] = []
        picks, second_texts, viewer_key = self._picks, self._second_texts, self._viewer_key
        viewer_keys: dict[str, str] = {}
        for event in events:
            moment = event.occurred_at
            second = floor(moment.timestamp())  # exact: a float holds this era's microseconds to 0.2 µs
            value: Any = moment
            if self._as_text:
                prefix = second_texts.get(second)
                if prefix is None:
                    prefix = second_texts[second] = sqlite_text(datetime.fromtimestamp(second, UTC))[:19]
                value = f"{prefix}.{moment.microsecond:06d}"
            pick, tail = picks[type(event)]
            row = pick((*astuple(event), *tail, value))
            viewer = row[_VIEWER_KEY]
            if viewer is not None:
                key = viewer_keys.get(viewer)
                if key is None:  # viewers come back (enter, likes, comments, leave): judged once a batch
                    key = viewer_keys[viewer] = viewer_key(viewer)
                if key is not viewer:
                    row = (*row[:_VIEWER_KEY], key, *row[_VIEWER_KEY + 1 :])
            rows.append(row)
            seconds.append(second)
        return rows, seconds


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
