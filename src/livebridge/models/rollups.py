"""Rollups of live events, written in the same transaction as the events they count.

Per second per session (minutes are sums of seconds) and per SKU per session. A test recomputes
them from the raw events and compares.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from livebridge.models.base import Base

COUNTER_COLUMNS = (
    "enters",
    "leaves",
    "comments",
    "likes",
    "gifts",
    "gift_fen",
    "follows",
    "shares",
    "clicks",
    "cart_adds",
    "orders",
    "order_fen",
    "paid_orders",
    "paid_fen",
    "refunds",
    "refund_fen",
)


class SessionSecond(Base):
    __tablename__ = "live_rollup_seconds"

    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), primary_key=True)
    second: Mapped[datetime] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    enters: Mapped[int] = mapped_column(Integer, default=0)
    leaves: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    likes: Mapped[int] = mapped_column(BigInteger, default=0)
    gifts: Mapped[int] = mapped_column(Integer, default=0)
    gift_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    follows: Mapped[int] = mapped_column(Integer, default=0)
    shares: Mapped[int] = mapped_column(Integer, default=0)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    cart_adds: Mapped[int] = mapped_column(Integer, default=0)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    order_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_orders: Mapped[int] = mapped_column(Integer, default=0)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refunds: Mapped[int] = mapped_column(Integer, default=0)
    refund_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    online_max: Mapped[int | None] = mapped_column(BigInteger)


class SessionSku(Base):
    """Per product reference: a SKU code, or ``#n`` when an event named only link number n."""

    __tablename__ = "live_rollup_skus"

    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), primary_key=True)
    sku_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    cart_adds: Mapped[int] = mapped_column(Integer, default=0)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    order_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_orders: Mapped[int] = mapped_column(Integer, default=0)
    paid_units: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refunds: Mapped[int] = mapped_column(Integer, default=0)
    refund_fen: Mapped[int] = mapped_column(BigInteger, default=0)


SKU_COUNTER_COLUMNS = (
    "clicks",
    "cart_adds",
    "orders",
    "order_fen",
    "paid_orders",
    "paid_units",
    "paid_fen",
    "refunds",
    "refund_fen",
)
