"""Time is stored as timezone-aware UTC and shown in the display zone (Asia/Shanghai by default)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def ensure_utc(value: datetime) -> datetime:
    """Naive datetimes are refused upstream; this only normalises aware ones to UTC."""
    if value.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    return value.astimezone(UTC)


def sqlite_text(value: datetime) -> str:
    """An aware datetime as ``UTCDateTime`` stores it on SQLite (naive UTC, always six decimals), for
    bulk paths that hand rows to the driver directly."""
    if value.tzinfo is not UTC:
        value = ensure_utc(value)
    return value.isoformat(" ", "microseconds")[:26]  # without the "+00:00"


def to_display(value: datetime, zone: str) -> datetime:
    return value.astimezone(ZoneInfo(zone))


class UTCDateTime(TypeDecorator[datetime]):
    """A DateTime column that always hands back aware UTC datetimes.

    SQLite has no time zone type: SQLAlchemy stores its text without an offset, so values are
    converted to UTC on the way in and marked UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = ensure_utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
