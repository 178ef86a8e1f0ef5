"""Payloads of the scorecard API: scorecards, rankings, comparisons and the ranking weights."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from livebridge.kit.i18n import N_
from livebridge.kit.pagination import PaginationInfo
from livebridge.scorecards.metrics import DEFAULT_WEIGHTS

Weight = Annotated[int, Field(ge=0, le=100)]


class RepurchaseRate(BaseModel):
    """Of ``cohort`` buyers whose window has fully passed, ``repeat_buyers`` bought again in it."""

    rate_bp: int
    repeat_buyers: int
    cohort: int


class HostScorecard(BaseModel):
    """One host's figures over a period (``organization_*`` set for a host × brand row).

    ``None`` means not available (shown as 暂无), never zero; ``unavailable`` says why.
    Money is fen, rates basis points.
    """

    host_id: int
    host_name: str
    is_simulated: bool
    organization_id: int | None = None
    organization_name: str | None = None
    sessions: int
    main_sessions: int
    hours_live: float
    views: int
    viewers: int
    peak_viewers: int
    average_viewers: float
    verified_viewers: int | None
    verified_peak_viewers: int | None
    verified_average_viewers: float | None
    orders: int
    buyers: int
    gmv_fen: int
    refunded_orders: int
    refund_fen: int
    net_gmv_fen: int
    verified_net_gmv_fen: int | None
    conversion_bp: int | None
    verified_conversion_bp: int | None
    aov_fen: int | None
    gpm_fen: int | None
    refund_rate_bp: int | None
    refund_amount_rate_bp: int | None
    repurchase_30d: RepurchaseRate | None
    repurchase_90d: RepurchaseRate | None
    complaints: int | None
    complaints_per_1k_orders: float | None
    authenticity_index: int | None
    demand_topics: int | None
    unavailable: dict[str, str] = Field(default_factory=dict)


class RankedScorecard(HostScorecard):
    rank: int
    score: float
    # metric → 0..1 after min–max scaling among the ranked hosts; None: the host has no value.
    metric_scores: dict[str, float | None]


class RankingWeights(BaseModel):
    """Integer weights 0–100 per metric (they need not sum to 100; at least one must be above 0)."""

    model_config = ConfigDict(extra="forbid")

    net_gmv: Weight = DEFAULT_WEIGHTS["net_gmv"]
    repurchase_90d: Weight = DEFAULT_WEIGHTS["repurchase_90d"]
    repurchase_30d: Weight = DEFAULT_WEIGHTS["repurchase_30d"]
    refund_rate: Weight = DEFAULT_WEIGHTS["refund_rate"]
    conversion: Weight = DEFAULT_WEIGHTS["conversion"]
    authenticity: Weight = DEFAULT_WEIGHTS["authenticity"]
    gpm: Weight = DEFAULT_WEIGHTS["gpm"]
    complaints: Weight = DEFAULT_WEIGHTS["complaints"]
    orders: Weight = DEFAULT_WEIGHTS["orders"]
    aov: Weight = DEFAULT_WEIGHTS["aov"]
    demand_topics: Weight = DEFAULT_WEIGHTS["demand_topics"]

    @model_validator(mode="after")
    def _one_weight_above_zero(self) -> RankingWeights:
        if not any(self.model_dump().values()):
            raise ValueError(N_("At least one weight must be above 0."))
        return self


class WeightsRead(BaseModel):
    weights: RankingWeights
    is_default: bool


class Period(BaseModel):
    date_from: date
    date_to: date
    timezone: str


class ScorecardRanking(BaseModel):
    period: Period
    weights: RankingWeights
    # Metrics no ranked host has a value for: left out of the score, their weight unused.
    excluded_metrics: list[str]
    items: list[RankedScorecard]
    pagination: PaginationInfo


class HostComparison(BaseModel):
    period: Period
    weights: RankingWeights
    excluded_metrics: list[str]
    hosts: list[RankedScorecard]
    by_brand: list[HostScorecard]
