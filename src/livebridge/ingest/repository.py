"""All SQL of the ingest domain: the append-only event table.

The insert is the hot path of the platform: it is written as driver-level SQL (no ORM, no
per-batch statement compilation), one multi-row statement per chunk.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any, Final, cast

from sqlalchemy.ext.asyncio import AsyncSession

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
# SQLite allows 32,766 bound values per statement: 17 columns × 500 rows fit.
ROWS_PER_STATEMENT: Final = 500


@functools.cache
def _insert_sql(dialect: str, row_count: int) -> str:
    width = len(EVENT_COLUMNS)
    if dialect == "postgresql":
        groups = (
            "(" + ", ".join(f"${row * width + column + 1}" for column in range(width)) + ")" for row in range(row_count)
        )
    else:
        groups = ("(" + ", ".join("?" * width) + ")" for _ in range(row_count))
    # Only our own column names and placeholders go into the text; every value is a bound parameter.
    return (
        f"INSERT INTO live_events ({', '.join(EVENT_COLUMNS)}) VALUES {', '.join(groups)} "  # noqa: S608
        "ON CONFLICT (tenant_id, source, event_id) DO NOTHING RETURNING source, event_id"
    )


def _sqlite_value(value: Any) -> Any:
    # The same text SQLAlchemy's DateTime writes on SQLite (naive UTC), so both paths read alike.
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_new(self, rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
        """Insert the rows whose (tenant, source, event_id) is new; return their (source, event_id).

        INSERT … ON CONFLICT DO NOTHING RETURNING: the engine itself decides what is a duplicate,
        so two concurrent retries of one batch cannot both count.
        """
        connection = await self.session.connection()
        dialect = connection.dialect.name
        stored: set[tuple[str, str]] = set()
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            if dialect == "postgresql":
                params = tuple(row[column] for row in chunk for column in EVENT_COLUMNS)
            else:
                params = tuple(_sqlite_value(row[column]) for row in chunk for column in EVENT_COLUMNS)
            result = await connection.exec_driver_sql(_insert_sql(dialect, len(chunk)), params)
            returned = cast("list[tuple[str, str]]", result.all())
            stored.update((str(source), str(event_id)) for source, event_id in returned)
        return stored
