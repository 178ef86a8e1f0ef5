"""Scorecard figures and the weighted ranking, computed from what the repository read (no database).

Definitions (docs/scorecards.md explains them for users):

- A session counts for every host on it (main or co-host) and for the period it *started* in.
- An order counts for the session it was paid in; its refunds count against that same order and
  period, whenever they arrive (a refund next month lowers this month's net GMV). Refunds are
  capped at the order's amount.
- Repurchase within N days: of the host's buyers whose first order with the host in the period was
  paid at t0 and whose window (t0, t0 + N days] has fully passed, the share who paid another order
  of the brand (any host) in a *later session* within the window. A second order in the same
  session is the same shopping trip, not a repurchase. Buyers without a viewer id cannot be
  followed and are left out.
- Rates are basis points and money fen, rounded half up in integers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from livebridge.scorecards.metrics import RANKING_METRICS
from livebridge.scorecards.schemas import HostScorecard, RankedScorecard, RankingWeights, RepurchaseRate
from livebridge.scorecards.sources import SessionIntegrity

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND: Final = timedelta(microseconds=1)
DAY_US: Final = 86_400 * 1_000_000
REPURCHASE_WINDOWS: Final = {"repurchase_30d": 30, "repurchase_90d": 90}

Ints = npt.NDArray[np.int64]
GroupKey = tuple[int, int | None]  # (host id, organization id or None for the host as a whole)


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def ratio_bp(part: int, whole: int) -> int:
    """part / whole in basis points, rounded half up, integers only."""
    return (2 * part * 10_000 + whole) // (2 * whole)


def half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True)
class HostedSession:
    session_id: int
    host_id: int
    host_name: str
    host_is_simulated: bool
    is_main: bool
    organization_id: int | None
    organization_name: str | None
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class Audience:
    views: int
    comments: int
    peak: int
    average: float


def session_audiences(
    totals: Mapping[int, tuple[int, int, int]], minutes: Iterable[Sequence[Any]]
) -> dict[int, Audience]:
    """Per session from its rollups: ``totals`` (enters, comments, online samples) and per-minute rows
    ``(session, minute, largest online sample, largest enters − leaves so far)``.

    Online viewers per minute are the largest platform sample of the minute; a session without
    samples uses enters minus leaves (never below 0). Peak and average are over those minutes, as on
    the live dashboard, so the two always agree.
    """
    audiences: dict[int, Audience] = {}
    for session_id, group in groupby(minutes, key=lambda row: int(row[0])):
        rows = list(group)
        enters, comments, samples = totals.get(session_id, (0, 0, 0))
        if samples:
            values = np.array([row[2] for row in rows if row[2] is not None], dtype=np.int64)
        else:
            values = np.maximum(np.array([row[3] or 0 for row in rows], dtype=np.int64), 0)
        audiences[session_id] = Audience(
            views=enters,
            comments=comments,
            peak=int(values.max()) if values.size else 0,
            average=round(float(values.mean()), 1) if values.size else 0.0,
        )
    return audiences


@dataclass
class OrderTable:
    """Paid orders as arrays (each order once, at its first paid event)."""

    session: Ints
    amount: Ints
    refunded: Ints  # refunded fen, capped at the amount
    buyer: Ints  # index into ``buyers``; -1: no viewer id
    person: Ints  # buyer index, or a negative id of its own for an order without a buyer
    paid_at: Ints  # microseconds since the epoch
    order_ids: list[str]
    buyers: list[str]

    @classmethod
    def build(cls, paid_rows: Iterable[Sequence[Any]], refunded_by_order: Mapping[str, int]) -> OrderTable:
        seen: set[str] = set()
        buyer_index: dict[str, int] = {}
        session: list[int] = []
        amount: list[int] = []
        refunded: list[int] = []
        buyer: list[int] = []
        paid_at: list[int] = []
        order_ids: list[str] = []
        for session_id, order_id, viewer_key, amount_fen, occurred_at in paid_rows:
            if order_id in seen:
                continue
            seen.add(order_id)
            value = int(amount_fen or 0)
            session.append(int(session_id))
            amount.append(value)
            refunded.append(min(value, refunded_by_order.get(order_id, 0)))
            buyer.append(buyer_index.setdefault(viewer_key, len(buyer_index)) if viewer_key is not None else -1)
            paid_at.append(micros(occurred_at))
            order_ids.append(str(order_id))
        buyers_array = np.array(buyer, dtype=np.int64)
        own_ids = -np.arange(1, buyers_array.size + 1, dtype=np.int64)
        return cls(
            session=np.array(session, dtype=np.int64),
            amount=np.array(amount, dtype=np.int64),
            refunded=np.array(refunded, dtype=np.int64),
            buyer=buyers_array,
            person=np.where(buyers_array >= 0, buyers_array, own_ids),
            paid_at=np.array(paid_at, dtype=np.int64),
            order_ids=order_ids,
            buyers=list(buyer_index),
        )


@dataclass
class Purchases:
    """Every later paid order of the period's buyers: (buyer index, session, paid at)."""

    buyer: Ints
    session: Ints
    paid_at: Ints

    @classmethod
    def build(cls, rows: Iterable[Sequence[Any]], buyers: Sequence[str]) -> Purchases:
        index = {key: position for position, key in enumerate(buyers)}
        known = [(index[key], int(session_id), micros(at)) for key, session_id, at in rows if key in index]
        columns = np.array(known, dtype=np.int64).reshape(-1, 3)
        return cls(buyer=columns[:, 0], session=columns[:, 1], paid_at=columns[:, 2])


@dataclass
class ScorecardInputs:
    hosted: list[HostedSession]
    audiences: Mapping[int, Audience]
    orders: OrderTable
    purchases: Purchases
    viewers: Mapping[GroupKey, int]
    understood: Mapping[int, tuple[int, int]]  # session → (comments understood, complaints)
    integrity: Mapping[int, SessionIntegrity]
    topics: Mapping[int, frozenset[int]]
    as_of: datetime
    by_organization: bool = False
    _flagged: npt.NDArray[np.bool_] | None = field(default=None, init=False)

    def flagged_orders(self) -> npt.NDArray[np.bool_]:
        """Orders the integrity findings of their own session flag: the order itself, or its buyer."""
        if self._flagged is None:
            orders = self.orders
            flagged = np.zeros(orders.session.size, dtype=bool)
            for position, session_id in enumerate(orders.session.tolist()):
                finding = self.integrity.get(session_id)
                if finding is None:
                    continue
                buyer = orders.buyer[position]
                flagged[position] = orders.order_ids[position] in finding.flagged_orders or (
                    buyer >= 0 and orders.buyers[buyer] in finding.flagged_viewers
                )
            self._flagged = flagged
        return self._flagged


def _weighted_mean(values: Sequence[float], weights: Sequence[float]) -> float:
    total = sum(weights)
    if total <= 0:
        return sum(values) / len(values)
    return sum(v * w for v, w in zip(values, weights, strict=True)) / total


def _repurchase(
    inputs: ScorecardInputs, in_group: npt.NDArray[np.bool_], days: int
) -> tuple[RepurchaseRate | None, str | None]:
    orders, purchases = inputs.orders, inputs.purchases
    chosen = np.flatnonzero(in_group & (orders.buyer >= 0))
    if chosen.size == 0:
        return None, "no_buyers"
    ordered = chosen[np.lexsort((orders.paid_at[chosen], orders.buyer[chosen]))]
    buyer_ids, first = np.unique(orders.buyer[ordered], return_index=True)
    first_at = orders.paid_at[ordered][first]
    first_session = orders.session[ordered][first]
    window = days * DAY_US
    matured = first_at + window <= micros(inputs.as_of)
    if not matured.any():
        return None, "window_not_elapsed"
    position = np.searchsorted(buyer_ids, purchases.buyer)
    position = np.minimum(position, buyer_ids.size - 1)
    again = (
        (buyer_ids[position] == purchases.buyer)
        & (purchases.paid_at > first_at[position])
        & (purchases.paid_at <= first_at[position] + window)
        & (purchases.session != first_session[position])
    )
    repeated = np.zeros(buyer_ids.size, dtype=bool)
    repeated[position[again]] = True
    cohort = int(matured.sum())
    repeaters = int((repeated & matured).sum())
    return RepurchaseRate(rate_bp=ratio_bp(repeaters, cohort), repeat_buyers=repeaters, cohort=cohort), None


def _scorecard(inputs: ScorecardInputs, key: GroupKey, hosted: list[HostedSession]) -> HostScorecard:
    unavailable: dict[str, str] = {}
    session_ids = [h.session_id for h in hosted]
    hours = [max(0.0, ((h.ended_at or inputs.as_of) - h.started_at).total_seconds() / 3600) for h in hosted]
    audiences = [inputs.audiences.get(s, Audience(0, 0, 0, 0.0)) for s in session_ids]
    orders = inputs.orders
    in_group = np.isin(orders.session, np.array(session_ids, dtype=np.int64))
    order_count = int(in_group.sum())
    gmv = int(orders.amount[in_group].sum())
    refund_fen = int(orders.refunded[in_group].sum())
    refunded_orders = int((orders.refunded[in_group] > 0).sum())
    buyers = int(np.unique(orders.person[in_group]).size)
    views = sum(a.views for a in audiences)
    viewers = inputs.viewers.get(key, 0)

    findings = [inputs.integrity.get(s) for s in session_ids]
    complete = [f for f in findings if f is not None]
    verified_viewers: int | None = None
    verified_peak: int | None = None
    verified_average: float | None = None
    verified_net: int | None = None
    verified_conversion: int | None = None
    authenticity: int | None = None
    if len(complete) == len(findings):
        flagged_people = set().union(*(f.flagged_viewers for f in complete))
        verified_viewers = max(0, viewers - len(flagged_people))
        verified_peak = max(f.verified_peak_viewers for f in complete)
        verified_average = round(_weighted_mean([f.verified_average_viewers for f in complete], hours), 1)
        genuine = in_group & ~inputs.flagged_orders()
        verified_net = int((orders.amount[genuine] - orders.refunded[genuine]).sum())
        genuine_buyers = int(np.unique(orders.person[genuine]).size)
        verified_conversion = ratio_bp(genuine_buyers, verified_viewers) if verified_viewers else None
        indexed = [
            (f.authenticity_index, w) for f, w in zip(complete, hours, strict=True) if f.authenticity_index is not None
        ]
        if indexed:
            authenticity = round(_weighted_mean([i for i, _ in indexed], [w for _, w in indexed]))
        else:
            unavailable["authenticity_index"] = "not_enough_data"
    else:
        for name in ("verified_viewers", "verified_net_gmv_fen", "verified_conversion_bp", "authenticity_index"):
            unavailable[name] = "integrity_unavailable"

    understood = [inputs.understood.get(s, (0, 0)) for s in session_ids]
    complaints: int | None = None
    if all(n >= a.comments for (n, _), a in zip(understood, audiences, strict=True)):
        complaints = sum(c for _, c in understood)
    else:
        unavailable["complaints"] = "comments_not_analysed"

    topic_sets = [inputs.topics.get(s) for s in session_ids]
    demand_topics: int | None = None
    if all(t is not None for t in topic_sets):
        demand_topics = len(set().union(*(t for t in topic_sets if t is not None)))
    else:
        unavailable["demand_topics"] = "c2m_unavailable"

    repurchase: dict[str, RepurchaseRate | None] = {}
    for name, days in REPURCHASE_WINDOWS.items():
        repurchase[name], reason = _repurchase(inputs, in_group, days)
        if reason is not None:
            unavailable[name] = reason
    if not order_count:
        unavailable.update(aov_fen="no_orders", refund_rate_bp="no_orders", complaints_per_1k_orders="no_orders")
    first = hosted[0]
    return HostScorecard(
        host_id=first.host_id,
        host_name=first.host_name,
        is_simulated=first.host_is_simulated,
        organization_id=first.organization_id if inputs.by_organization else None,
        organization_name=first.organization_name if inputs.by_organization else None,
        sessions=len(hosted),
        main_sessions=sum(h.is_main for h in hosted),
        hours_live=round(sum(hours), 1),
        views=views,
        viewers=viewers,
        peak_viewers=max(a.peak for a in audiences),
        average_viewers=round(_weighted_mean([a.average for a in audiences], hours), 1),
        verified_viewers=verified_viewers,
        verified_peak_viewers=verified_peak,
        verified_average_viewers=verified_average,
        orders=order_count,
        buyers=buyers,
        gmv_fen=gmv,
        refunded_orders=refunded_orders,
        refund_fen=refund_fen,
        net_gmv_fen=gmv - refund_fen,
        verified_net_gmv_fen=verified_net,
        conversion_bp=ratio_bp(buyers, viewers) if viewers else None,
        verified_conversion_bp=verified_conversion,
        aov_fen=half_up(gmv, order_count) if order_count else None,
        gpm_fen=half_up(gmv * 1000, views) if views else None,
        refund_rate_bp=ratio_bp(refunded_orders, order_count) if order_count else None,
        refund_amount_rate_bp=ratio_bp(refund_fen, gmv) if gmv else None,
        repurchase_30d=repurchase["repurchase_30d"],
        repurchase_90d=repurchase["repurchase_90d"],
        complaints=complaints,
        complaints_per_1k_orders=round(complaints * 1000 / order_count, 1)
        if complaints is not None and order_count
        else None,
        authenticity_index=authenticity,
        demand_topics=demand_topics,
        unavailable=unavailable,
    )


def build_scorecards(inputs: ScorecardInputs) -> list[HostScorecard]:
    """One scorecard per host (or per host × organization), in the order hosts first appear."""
    groups: dict[GroupKey, list[HostedSession]] = defaultdict(list)
    for hosted in inputs.hosted:
        key = (hosted.host_id, hosted.organization_id if inputs.by_organization else None)
        groups[key].append(hosted)
    return [_scorecard(inputs, key, sessions) for key, sessions in groups.items()]


def metric_value(card: HostScorecard, metric: str) -> float | None:
    """The figure a ranking metric reads (conversion: verified when known, else reported)."""
    values: dict[str, float | int | None] = {
        "net_gmv": card.net_gmv_fen,
        "repurchase_90d": card.repurchase_90d.rate_bp if card.repurchase_90d else None,
        "repurchase_30d": card.repurchase_30d.rate_bp if card.repurchase_30d else None,
        "refund_rate": card.refund_rate_bp,
        "conversion": card.verified_conversion_bp if card.verified_conversion_bp is not None else card.conversion_bp,
        "authenticity": card.authenticity_index,
        "gpm": card.gpm_fen,
        "complaints": card.complaints_per_1k_orders,
        "orders": card.orders,
        "aov": card.aov_fen,
        "demand_topics": card.demand_topics,
    }
    value = values[metric]
    return None if value is None else float(value)


def rank_scorecards(cards: Sequence[HostScorecard], weights: RankingWeights) -> tuple[list[RankedScorecard], list[str]]:
    """Score 0–100 = weighted mean of min–max scaled metrics among ``cards``; best first.

    A metric no card has is left out (its weight unused) and listed; a card lacking a metric the
    others have gets 0 for it: no evidence, no credit.
    """
    if not cards:
        return [], []
    weight_of = weights.model_dump()
    excluded: list[str] = []
    scaled: dict[str, list[float | None]] = {}
    for metric in RANKING_METRICS:
        if weight_of[metric.key] == 0:
            continue
        values = [metric_value(card, metric.key) for card in cards]
        known = [v for v in values if v is not None]
        if not known:
            excluded.append(metric.key)
            continue
        low, high = min(known), max(known)
        column: list[float | None] = []
        for value in values:
            if value is None:
                column.append(None)
                continue
            share = 1.0 if high == low else (value - low) / (high - low)
            column.append(share if metric.higher_is_better else 1.0 - share)
        scaled[metric.key] = column
    total_weight = sum(weight_of[key] for key in scaled)
    ranked: list[RankedScorecard] = []
    for position, card in enumerate(cards):
        metric_scores = {key: column[position] for key, column in scaled.items()}
        points = sum(weight_of[key] * (share or 0.0) for key, share in metric_scores.items())
        score = round(100 * points / total_weight, 1) if total_weight else 0.0
        ranked.append(RankedScorecard(**card.model_dump(), rank=0, score=score, metric_scores=metric_scores))
    ranked.sort(key=lambda r: (-r.score, -r.net_gmv_fen, r.host_name, r.host_id, r.organization_id or 0))
    for rank, card in enumerate(ranked, start=1):
        card.rank = rank
    return ranked, excluded


def empty_scorecard(host_id: int, host_name: str, is_simulated: bool) -> HostScorecard:
    """A host with no session in the period: zero activity, and no rate to tell."""
    reasons = dict.fromkeys(
        (
            "verified_viewers",
            "verified_net_gmv_fen",
            "verified_conversion_bp",
            "authenticity_index",
            "complaints",
            "demand_topics",
            "repurchase_30d",
            "repurchase_90d",
            "aov_fen",
            "refund_rate_bp",
        ),
        "no_sessions",
    )
    return HostScorecard(
        host_id=host_id,
        host_name=host_name,
        is_simulated=is_simulated,
        sessions=0,
        main_sessions=0,
        hours_live=0.0,
        views=0,
        viewers=0,
        peak_viewers=0,
        average_viewers=0.0,
        verified_viewers=None,
        verified_peak_viewers=None,
        verified_average_viewers=None,
        orders=0,
        buyers=0,
        gmv_fen=0,
        refunded_orders=0,
        refund_fen=0,
        net_gmv_fen=0,
        verified_net_gmv_fen=None,
        conversion_bp=None,
        verified_conversion_bp=None,
        aov_fen=None,
        gpm_fen=None,
        refund_rate_bp=None,
        refund_amount_rate_bp=None,
        repurchase_30d=None,
        repurchase_90d=None,
        complaints=None,
        complaints_per_1k_orders=None,
        authenticity_index=None,
        demand_topics=None,
        unavailable=reasons,
    )
