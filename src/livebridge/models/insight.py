"""What the comment models understood of each live comment: intent, aspects, sentiment and the product.

One row per ``comment`` event, written by the insight worker after the event is stored (never in
the ingest transaction, so understanding cannot slow or fail ingestion).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from livebridge.kit.ids import BigIntPK
from livebridge.models.base import Base


class CommentInsight(Base):
    """A comment as understood. ``event_row_id`` is the ``live_events.id`` it came from."""

    __tablename__ = "comment_insights"
    __table_args__ = (
        Index("ix_comment_insights_session_time", "session_id", "occurred_at"),
        Index("ix_comment_insights_tenant_product_intent", "tenant_id", "product_id", "intent"),
    )

    event_row_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("live_events.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime]
    viewer_key: Mapped[str | None] = mapped_column(String(128))
    normalized: Mapped[str] = mapped_column(Text)
    intent: Mapped[str] = mapped_column(String(24))
    intent_confidence: Mapped[float]
    aspects: Mapped[list[str]] = mapped_column(JSON)
    sentiment: Mapped[str] = mapped_column(String(16))
    aspect_sentiments: Mapped[dict[str, Any]] = mapped_column(JSON)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    # How the product was found: "explaining" (segment at that time), "link_number", "name", or NULL.
    product_link: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None]
    is_simulated: Mapped[bool] = mapped_column(default=False)


class InsightCursor(Base):
    """How far comment understanding got in one live session.

    The worker understands the comments after ``through_event_id`` and moves it forward.
    ``processed_at`` is the last time the worker ran for the session; ``last_error`` says why it
    could not understand the comments then (e.g. the models are missing): the console shows it,
    and the periodic sweep tries again.

    On PostgreSQL two batches of one session committing out of id order can leave a comment
    behind the cursor. The sweep therefore checks, once the transactions of a range are surely
    over, that every comment up to ``sweep_mark_event_id`` (the cursor it saw one sweep earlier)
    has its insight, and then moves ``verified_through_event_id`` there.
    """

    __tablename__ = "insight_cursors"

    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    through_event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    verified_through_event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    sweep_mark_event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    processed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
