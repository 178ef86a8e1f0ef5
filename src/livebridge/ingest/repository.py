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
from msgspec.structs import astuple
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from livebridge.db import executemany
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
_TENANT_ID, _SOURCE, _EVENT_ID = (EVENT_COLUMNS.index(name) for name in ("tenant_id", "source", "event_id"))
_VIEWER_KEY: Final = EVENT_COLUMNS.index("viewer_key")

_SQLITE_INSERT: Final = (
    f"INSERT INTO live_events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' * len(EVENT_COLUMNS))}) "  # noqa: S608
    "ON CONFLICT (tenant_id, source, event_id) DO NOTHING"
)
# The rows the last insert of this connection added: the ids above the one before its first row.
_INSERTED_SQLITE: Final = (
    "SELECT source, event_id FROM live_events WHERE tenant_id = ? AND id > last_insert_rowid() - ?"
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

        Rows go through the engine's bulk path (sqlite3 executemany, asyncpg COPY). SQLite: with
        ``ON CONFLICT DO NOTHING``; when fewer rows were inserted than sent (a retry), the new ones
        are the rows with the ids just above the table's previous largest (SQLite numbers a new row
        after the largest id, and the write transaction, BEGIN IMMEDIATE, keeps other writers out).
        PostgreSQL: the rows are copied optimistically in a savepoint; if one is already stored (a
        retry, or a concurrent copy of the same batch) the unique index refuses the COPY and the rows
        are written with INSERT … ON CONFLICT DO NOTHING RETURNING instead, where the engine decides.
        (No lookup first: retries are the exception, and a plan cached while the table was small
        would scan it.)
        """
        if not rows:
            return ()
        connection = await self.session.connection()
        if connection.dialect.name == "postgresql":
            return await self._copy_postgresql(connection, rows)
        inserted = await executemany(self.session, _SQLITE_INSERT, rows)
        if inserted == len(rows):
            return range(len(rows))
        if inserted == 0:
            return ()
        result = await connection.exec_driver_sql(_INSERTED_SQLITE, (rows[0][_TENANT_ID], inserted))
        new = {(str(source), str(event_id)) for source, event_id in cast("list[tuple[str, str]]", result.all())}
        return [index for index, row in enumerate(rows) if (row[_SOURCE], row[_EVENT_ID]) in new]

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
