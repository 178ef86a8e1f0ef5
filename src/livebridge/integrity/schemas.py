"""Integrity as the API, the console and the command line show it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from livebridge.integrity.results import Family, Status
from livebridge.models import SessionStatus

DEFAULT_ALERT_THRESHOLD = 60


class ReasonRead(BaseModel):
    detector: str
    code: str
    message: str  # Chinese
    message_en: str
    share: float = Field(description="share of the family's viewers, comments or orders this reason covers")
    accounts: list[str]
    start: datetime | None
    end: datetime | None


class DetectorRead(BaseModel):
    detector: str
    family: Family
    status: Status
    note: str
    flagged: int
    reasons: list[ReasonRead]


class FamilyRead(BaseModel):
    family: Family
    status: Status
    probability: float | None = Field(description="probability that this family's figures are inflated")
    flagged_share: float | None
    units: int
    flagged: int


class FigurePair(BaseModel):
    reported: float
    verified: float


class VerifiedFigures(BaseModel):
    """Reported and verified figures side by side; money in fen."""

    session_id: int
    assessed_at: datetime
    authenticity_index: int | None
    online_source: str
    peak_online: FigurePair
    average_online: FigurePair
    viewers: FigurePair
    comments: FigurePair
    orders: FigurePair
    gmv_gross_fen: int
    gmv_net_refunds_fen: int
    gmv_net_flagged_fen: int
    is_simulated: bool


class AlertRead(BaseModel):
    id: int
    session_id: int
    session_title: str | None = None
    raised_at: datetime
    authenticity_index: int
    threshold: int
    resolved_at: datetime | None


class IntegrityReport(BaseModel):
    session_id: int
    title: str
    status: SessionStatus
    is_simulated: bool
    assessed_at: datetime
    events_seen: int
    authenticity_index: int | None = Field(description="0–100; null when no family had enough data")
    threshold: int
    top_reasons: list[ReasonRead]
    families: list[FamilyRead]
    detectors: list[DetectorRead]
    figures: VerifiedFigures
    online_series: list[tuple[datetime, int, int]] = Field(description="(minute, reported, verified) online")
    alert: AlertRead | None


class SessionAuthenticity(BaseModel):
    """What another domain (host scorecards) needs of one session's integrity."""

    session_id: int
    authenticity_index: int | None
    assessed_at: datetime
    flagged_viewers: list[str] = Field(description="viewer keys the detectors flagged")
    flagged_orders: list[str] = Field(description="order ids the detectors flagged")
    figures: VerifiedFigures


class RiskSession(BaseModel):
    session_id: int
    title: str
    status: SessionStatus
    started_at: datetime | None
    authenticity_index: int | None
    top_reason: str | None
    is_simulated: bool


class RiskHost(BaseModel):
    host_id: int
    name: str
    average_index: float
    lowest_index: int
    sessions: int


class IntegritySettingsRead(BaseModel):
    alert_threshold: int


class IntegritySettingsUpdate(BaseModel):
    alert_threshold: int = Field(ge=0, le=100, description="alert when a session's index falls below this")
