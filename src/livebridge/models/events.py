"""Live-room events, stored append-only. ``(tenant, source, event_id)`` is unique: retries never double-count."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from livebridge.kit.ids import BigIntPK
from livebridge.models.base import Base


class LiveEventRow(Base):
    """One event as received. Columns are the union of the per-type fields; unused ones stay NULL."""

    __tablename__ = "live_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source", "event_id"),
        Index("ix_live_events_session_time", "session_id", "occurred_at"),
        # Order events only (a partial index: about 0.1 % of the rows, so ingestion barely pays for it):
        # scorecards follow orders, refunds and buyers across sessions through it.
        Index(
            "ix_live_events_orders",
            "tenant_id",
            "type",
            "order_id",
            sqlite_where=text("order_id IS NOT NULL"),
            postgresql_where=text("order_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(24))
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
    viewer_key: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str | None] = mapped_column(Text)
    sku_code: Mapped[str | None] = mapped_column(String(64))
    link_number: Mapped[int | None] = mapped_column(Integer)
    order_id: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[int | None] = mapped_column(Integer)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    count: Mapped[int | None] = mapped_column(BigInteger)
    gift_name: Mapped[str | None] = mapped_column(String(64))
    is_simulated: Mapped[bool] = mapped_column(default=False)
