"""The replay report (复盘) of an ended session, as the API, the console and the Excel export show it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from livebridge.stats.schemas import MinuteFigures, ProductFigures, SessionTotals


class SegmentImpact(BaseModel):
    """One product explanation and what happened while it was on screen."""

    product_id: int
    product_name: str
    started_at: datetime
    ended_at: datetime | None
    seconds: int
    online_start: int | None
    online_end: int | None
    online_change: float | None  # share, e.g. -0.35 for a 35% fall
    comments: int
    paid_orders: int
    paid_fen: int


class DropOff(BaseModel):
    minute: datetime
    online_before: int
    online_after: int
    lost: int
    drop_share: float
    leaves: int
    product_on_screen: str | None
    z_score: float


class FunnelComparison(BaseModel):
    step: str
    label: str
    previous_label: str | None
    viewers: int
    rate: float | None  # from the previous step
    host_rate: float | None  # pooled over the host's previous sessions
    host_sessions: int
    shop_rate: float | None  # pooled over the shop's previous sessions
    shop_sessions: int


class ProductReplay(ProductFigures):
    explained_seconds: int
    conversion: float | None  # paid orders per click


class AspectCount(BaseModel):
    aspect: str
    count: int


class Advice(BaseModel):
    kind: str
    severity: Literal["warning", "info", "good"]
    text: str


class ReplayReport(BaseModel):
    session_id: int
    title: str
    platform: str
    hosts: list[str]
    started_at: datetime
    ended_at: datetime
    duration_seconds: int
    is_simulated: bool
    totals: SessionTotals
    minutes: list[MinuteFigures]
    segments: list[SegmentImpact]
    drop_offs: list[DropOff]
    usual_loss_per_minute: float
    funnel: list[FunnelComparison]
    products: list[ProductReplay]
    unanswered_questions: list[AspectCount]
    complaints: list[AspectCount]
    comments_understood: int  # comments the comment models have read (questions count only among these)
    advice: list[Advice]
