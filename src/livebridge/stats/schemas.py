"""A session's figures as the API, the CLI and the dashboard show them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class MinuteFigures(BaseModel):
    minute: datetime
    online: int
    enters: int
    leaves: int
    comments: int
    likes: int
    clicks: int
    cart_adds: int
    orders: int
    paid_orders: int
    paid_fen: int
    refunds: int
    refund_fen: int


class FunnelStep(BaseModel):
    step: str
    label: str
    viewers: int
    rate_from_previous: float | None


class ProductFigures(BaseModel):
    """One product of the session (SKUs and link numbers resolved), or an unknown SKU/link."""

    product_id: int | None
    product_name: str | None
    references: list[str]  # the SKU codes and ``#n`` link numbers counted here
    clicks: int
    cart_adds: int
    orders: int
    paid_orders: int
    paid_units: int
    paid_fen: int
    refunds: int
    refund_fen: int


class SessionTotals(BaseModel):
    enters: int
    leaves: int
    unique_viewers: int
    comments: int
    likes: int
    gifts: int
    gift_fen: int
    follows: int
    shares: int
    clicks: int
    cart_adds: int
    orders: int
    order_fen: int
    paid_orders: int
    paid_fen: int
    refunds: int
    refund_fen: int
    online_peak: int
    online_average: float
    online_source: str  # "platform samples" or "enters minus leaves"
    average_watch_seconds: float | None
    gpm_fen: int | None  # paid GMV per thousand views (进房次数), in fen


class SessionStats(BaseModel):
    session_id: int
    title: str
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    totals: SessionTotals
    funnel: list[FunnelStep]
    minutes: list[MinuteFigures]
    products: list[ProductFigures]


class CommentItem(BaseModel):
    id: int
    occurred_at: datetime
    viewer: str | None
    text: str
