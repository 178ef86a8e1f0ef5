"""Run every detector on a session, combine the families into an authenticity index, and compute
the reported and verified figures side by side.

Combination (label-free, as the reference proposes until audited labels exist): a family's
probability of inflation is ``1 − exp(−s / 0.1)`` where ``s`` is the share of its units the
detectors flagged (viewers, comments or orders; an unexplained online-count rise counts as a share
of the peak), so 5 % flagged gives 0.39, 10 % 0.63, 30 % 0.95. The families combine as a noisy-OR:
``index = 100 × Π(1 − p_family)``. A family with no detector able to look is "not enough data"
and left out of the product; when no family can look, there is no index.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from livebridge.integrity.columns import SECOND, Kind, SessionEvents
from livebridge.integrity.comments import (
    CommentClusters,
    cluster_comments,
    comment_bursts,
    copy_accounts,
    template_floods,
)
from livebridge.integrity.orders import (
    OrderTable,
    dense_blocks,
    order_brushing,
    order_table,
    quick_refunds,
    shared_fingerprints,
)
from livebridge.integrity.results import DetectorResult, Family, Reason, Status
from livebridge.integrity.viewers import (
    PresenceHistory,
    co_appearance,
    entry_bursts,
    find_online_jumps,
    first_entries,
    heartbeats,
    lockstep,
    online_jumps,
)

__all__ = ["Assessment", "FamilyScore", "Figures", "assess", "inflation_probability"]

logger = logging.getLogger(__name__)
SHARE_SCALE: Final = 0.1
TOP_REASONS: Final = 5
MINUTE: Final = 60 * SECOND
Formatter = Callable[[int], str]


def inflation_probability(share: float) -> float:
    return 1.0 - math.exp(-max(share, 0.0) / SHARE_SCALE)


@dataclass(frozen=True)
class FamilyScore:
    family: Family
    status: Status
    probability: float | None  # None unless some detector of the family could look
    flagged_share: float | None
    units: int  # viewers, comments or orders the share is of
    flagged: int


@dataclass(frozen=True)
class Figures:
    """Reported figures and verified ones (flagged viewers, comments and orders taken out)."""

    peak_online: int
    verified_peak_online: int
    average_online: float
    verified_average_online: float
    online_source: str  # "platform samples" or "enters minus leaves"
    viewers: int
    verified_viewers: int
    comments: int
    verified_comments: int
    orders: int
    verified_orders: int
    gmv_gross_fen: int
    gmv_net_refunds_fen: int
    gmv_net_flagged_fen: int
    online_series: list[tuple[int, int, int]] = field(default_factory=list)  # (minute µs, reported, verified)


@dataclass
class Assessment:
    index: int | None
    families: list[FamilyScore]
    detectors: list[DetectorResult]
    figures: Figures
    events: int
    flagged_viewers: npt.NDArray[np.intp]
    flagged_comments: npt.NDArray[np.intp]
    flagged_orders: npt.NDArray[np.intp]

    @property
    def top_reasons(self) -> list[tuple[str, Reason]]:
        found = [(result.detector, reason) for result in self.detectors for reason in result.reasons]
        return sorted(found, key=lambda item: -item[1].weight)[:TOP_REASONS]


def _guarded(name: str, family: Family, run: Callable[[], DetectorResult]) -> DetectorResult:
    """A detector that raises is logged and reported unavailable, never clean."""
    started = time.perf_counter()
    try:
        result = run()
    except Exception as exc:
        logger.exception("integrity detector %s failed", name)
        result = DetectorResult(
            detector=name, family=family, status=Status.UNAVAILABLE, note=f"{type(exc).__name__}: {exc}"
        )
    result.seconds = time.perf_counter() - started
    return result


def _union(results: Sequence[DetectorResult], attribute: str) -> npt.NDArray[np.intp]:
    arrays = [getattr(r, attribute) for r in results if r.status == Status.OK]
    return np.unique(np.concatenate(arrays)).astype(np.intp) if arrays else np.zeros(0, dtype=np.intp)


def _family_score(
    family: Family, results: Sequence[DetectorResult], units: int, flagged: int, extra_share: float = 0.0
) -> FamilyScore:
    looked = [r for r in results if r.family == family and r.status == Status.OK]
    if not looked or units == 0:
        failed = any(r.family == family and r.status == Status.UNAVAILABLE for r in results)
        status = Status.UNAVAILABLE if failed and not looked else Status.NOT_ENOUGH_DATA
        return FamilyScore(family=family, status=status, probability=None, flagged_share=None, units=units, flagged=0)
    share = max(flagged / units, extra_share)
    return FamilyScore(
        family=family,
        status=Status.OK,
        probability=inflation_probability(share),
        flagged_share=share,
        units=units,
        flagged=flagged,
    )


def assess(
    events: SessionEvents,
    clock: Formatter,
    *,
    history: Sequence[PresenceHistory] = (),
    fingerprints: Mapping[str, Sequence[str]] | None = None,
) -> Assessment:
    """Every detector on one session's events (finished, or the part of a live one seen so far)."""
    orders = order_table(events)

    @functools.cache
    def clusters() -> CommentClusters:
        """MinHash clustering, shared by the comment detectors (its time counts for the first of them)."""
        return cluster_comments(events)

    runs: list[tuple[str, Family, Callable[[], DetectorResult]]] = [
        ("entry_bursts", Family.VIEWERS, lambda: entry_bursts(events, clock)),
        ("lockstep", Family.VIEWERS, lambda: lockstep(events)),
        ("heartbeats", Family.VIEWERS, lambda: heartbeats(events)),
        ("co_appearance", Family.VIEWERS, lambda: co_appearance(events, history)),
        ("online_jumps", Family.VIEWERS, lambda: online_jumps(events, clock)),
        ("comment_bursts", Family.COMMENTS, lambda: comment_bursts(events, clusters(), clock)),
        ("template_floods", Family.COMMENTS, lambda: template_floods(events, clusters())),
        ("copy_accounts", Family.COMMENTS, lambda: copy_accounts(events, clusters())),
        ("order_brushing", Family.ORDERS, lambda: order_brushing(events, orders, clock)),
        ("dense_blocks", Family.ORDERS, lambda: dense_blocks(events, orders)),
        ("quick_refunds", Family.ORDERS, lambda: quick_refunds(events, orders, clock)),
        ("shared_fingerprints", Family.ORDERS, lambda: shared_fingerprints(events, orders, fingerprints)),
    ]
    results = [_guarded(name, family, run) for name, family, run in runs]
    viewer_results = [r for r in results if r.family == Family.VIEWERS]
    flagged_viewers = _union(viewer_results, "flagged_viewers")
    flagged_comments = _union(results, "flagged_comments")
    flagged_orders = _union(results, "flagged_orders")
    entered, _ = first_entries(events)
    jump_share = max(
        (
            reason.weight
            for r in results
            if r.detector == "online_jumps" and r.status == Status.OK
            for reason in r.reasons
        ),
        default=0.0,
    )
    families = [
        _family_score(
            Family.VIEWERS, results, int(entered.size), int(np.isin(flagged_viewers, entered).sum()), jump_share
        ),
        _family_score(Family.COMMENTS, results, int((events.kind == Kind.COMMENT).sum()), int(flagged_comments.size)),
        _family_score(Family.ORDERS, results, orders.size, int(flagged_orders.size)),
    ]
    scored = [f.probability for f in families if f.probability is not None]
    index = round(100 * math.prod(1 - p for p in scored)) if scored else None
    return Assessment(
        index=index,
        families=families,
        detectors=results,
        figures=figures(events, orders, flagged_viewers, flagged_comments, flagged_orders),
        events=len(events),
        flagged_viewers=flagged_viewers,
        flagged_comments=flagged_comments,
        flagged_orders=flagged_orders,
    )


def _per_minute_max(
    times: npt.NDArray[np.int64], values: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    minutes = times // MINUTE
    unique, inverse = np.unique(minutes, return_inverse=True)
    peaks = np.full(unique.size, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(peaks, inverse, values)
    return unique * MINUTE, peaks


def figures(
    events: SessionEvents,
    orders: OrderTable,
    flagged_viewers: npt.NDArray[np.intp],
    flagged_comments: npt.NDArray[np.intp],
    flagged_orders: npt.NDArray[np.intp],
) -> Figures:
    """Reported figures as the events give them, and the same figures without what was flagged.

    Online viewers: the platform's samples (else enters minus leaves), per-minute maxima as on the
    dashboard. Verified online subtracts, at each moment, the larger of the flagged accounts then
    present and the online-count rises no enter explains (still counted).
    """
    presence = np.flatnonzero(((events.kind == Kind.ENTER) | (events.kind == Kind.LEAVE)) & (events.viewer >= 0))
    step = np.where(events.kind[presence] == Kind.ENTER, 1, -1).astype(np.int64)
    flagged_step = step * np.isin(events.viewer[presence], flagged_viewers)
    samples = events.of(Kind.ONLINE_COUNT)
    samples = samples[events.count[samples] >= 0]
    if samples.size:
        times, reported = events.time[samples], events.count[samples]
        source = "platform samples"
    else:
        times, reported = events.time[presence], np.maximum(np.cumsum(step), 0)
        source = "enters minus leaves"
    bots_present = np.r_[0, np.cumsum(flagged_step)][np.searchsorted(events.time[presence], times, side="right")]
    jumps = find_online_jumps(events)
    excess = jumps.excess if jumps is not None and samples.size else np.zeros(times.size, dtype=np.int64)
    # Flagged accounts and unexplained rises are often the same inflation seen twice: take the larger.
    verified = np.maximum(reported - np.maximum(np.maximum(bots_present, 0), excess), 0)
    series: list[tuple[int, int, int]] = []
    peak = verified_peak = 0
    average = verified_average = 0.0
    if times.size:
        minutes, reported_minutes = _per_minute_max(times, reported)
        _, verified_minutes = _per_minute_max(times, verified)
        peak, verified_peak = int(reported_minutes.max()), int(verified_minutes.max())
        average = round(float(reported_minutes.mean()), 1)
        verified_average = round(float(verified_minutes.mean()), 1)
        series = [(int(m), int(r), int(v)) for m, r, v in zip(minutes, reported_minutes, verified_minutes, strict=True)]
    entered, _ = first_entries(events)
    paid = orders.paid >= 0
    refunded = paid & (orders.refunded >= 0)
    kept = paid & ~refunded
    flagged = np.isin(orders.order, flagged_orders)
    gross = int(orders.amount[paid].sum())
    net = gross - int(orders.amount[refunded].sum())
    comments = int((events.kind == Kind.COMMENT).sum())
    return Figures(
        peak_online=peak,
        verified_peak_online=verified_peak,
        average_online=average,
        verified_average_online=verified_average,
        online_source=source,
        viewers=int(entered.size),
        verified_viewers=int(entered.size - np.isin(entered, flagged_viewers).sum()),
        comments=comments,
        verified_comments=comments - int(flagged_comments.size),
        orders=orders.size,
        verified_orders=orders.size - int(flagged.sum()),
        gmv_gross_fen=gross,
        gmv_net_refunds_fen=net,
        gmv_net_flagged_fen=net - int(orders.amount[kept & flagged].sum()),
        online_series=series,
    )
