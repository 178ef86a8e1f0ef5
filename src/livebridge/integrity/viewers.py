"""Viewer detectors: entry bursts without interaction, lockstep and heartbeat accounts, groups that
enter together across sessions (CopyCatch-style), and online counts that jump without enters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.ndimage import median_filter
from scipy.sparse.csgraph import connected_components

from livebridge.integrity.columns import INTERACTIONS, SECOND, Kind, SessionEvents
from livebridge.integrity.results import DetectorResult, Family, Reason, Status

__all__ = [
    "PresenceHistory",
    "co_appearance",
    "entry_bursts",
    "first_entries",
    "heartbeats",
    "lockstep",
    "online_jumps",
]

Ints = npt.NDArray[np.int64]
Formatter = Callable[[int], str]
MIN_VIEWERS: Final = 30
# Entry bursts: a window of 5-120 s is elevated when its first entries reach λ + 4√λ + 3 (Poisson
# tail ≈ 1e-6 for small λ), λ being the room's own rate (median of 10-s bins over ±5 min); elevated
# seconds closer than 5 s form one run, whose most significant window is the burst; a burst of
# ≥ 20 entrants interacting under a quarter of the room's rate (with ≥ 3 interactions expected),
# or under the room's rate when ≥ 10× the baseline, is fake, and its silent entrants flagged.
BASELINE_BIN: Final = 10
BASELINE_BINS: Final = 61
BURST_GAP_SECONDS: Final = 5
BURST_WINDOWS: Final = (5, 10, 30, 60, 120)  # seconds
BURST_Z: Final = 4.0
BURST_MIN_ENTRANTS: Final = 20
BURST_INTERACTION_RATIO: Final = 0.25
EXTREME_BURST: Final = 10
EXTREME_INTERACTION_RATIO: Final = 1.0
FLOOD_ENTRANTS: Final = 100
FLOOD_FACTOR: Final = 20
FLOOD_INTERACTION_RATIO: Final = 0.8
BURST_MIN_EXPECTED: Final = 3.0
# Lockstep: ≥ 5 accounts entering in one 2-s bin and leaving in one 2-s bin (two offset grids).
LOCKSTEP_BIN: Final = 2 * SECOND
LOCKSTEP_MIN_GROUP: Final = 5
LOCKSTEP_MIN_STAY: Final = 30 * SECOND
# Heartbeat: ≥ 4 entries at intervals whose coefficient of variation is ≤ 0.1, ≥ 10 s apart.
HEARTBEAT_MIN_ENTRIES: Final = 4
HEARTBEAT_MAX_CV: Final = 0.1
HEARTBEAT_MIN_GAP: Final = 10 * SECOND
# Co-appearance: ≥ 5 accounts entering within the same 30 s in ≥ 3 sessions, the opening two
# minutes left out (loyal fans waiting for the start all enter then, honestly).
TOGETHER_WINDOW: Final = 30 * SECOND
TOGETHER_MIN_SESSIONS: Final = 3
TOGETHER_MIN_GROUP: Final = 5
OPENING: Final = 120 * SECOND
# Online jumps: a rise of ≥ 30 and ≥ 20 % of the previous count, ≥ 4× the enters since 30 s before
# the last sample, and far outside the room's usual sample-to-sample change.
MIN_SAMPLES: Final = 10
JUMP_MIN: Final = 30
JUMP_MIN_SHARE: Final = 0.2
JUMP_ENTERS_RATIO: Final = 4
JUMP_MADS: Final = 8
JUMP_LOOKBACK: Final = 30 * SECOND
SAMPLE_ACCOUNTS: Final = 20


def first_entries(events: SessionEvents) -> tuple[Ints, Ints]:
    """(viewer codes, first enter time) of every viewer who entered."""
    enters = events.of(Kind.ENTER)
    enters = enters[events.viewer[enters] >= 0]
    viewers, first = np.unique(events.viewer[enters], return_index=True)
    return viewers.astype(np.int64), events.time[enters[first]]


def interacting_viewers(events: SessionEvents) -> npt.NDArray[np.bool_]:
    """Per viewer code: did the viewer do anything besides entering and leaving?"""
    acted = np.isin(events.kind, INTERACTIONS) & (events.viewer >= 0)
    result = np.zeros(events.viewer_keys.size, dtype=bool)
    result[events.viewer[acted]] = True
    return result


def _accounts(events: SessionEvents, codes: npt.NDArray[np.integer]) -> list[str]:
    return [str(events.viewer_keys[c]) for c in np.asarray(codes)[:SAMPLE_ACCOUNTS]]


def _online_at(events: SessionEvents, moment: int) -> int | None:
    samples = events.of(Kind.ONLINE_COUNT)
    if samples.size == 0:
        return None
    index = min(int(np.searchsorted(events.time[samples], moment, side="left")), samples.size - 1)
    return int(events.count[samples[index]])


def _burst_cores(per_second: npt.NDArray[np.float64], rate: npt.NDArray[np.float64]) -> list[tuple[int, int]]:
    """[first, last] seconds of each burst: where some window of 5-120 s holds far more first entries
    than the room's own rate predicts (λ + 4√λ + 3), the most significant such window of each run
    of elevated seconds (largest Poisson log-likelihood ratio n·ln(n/λ) − (n − λ)).

    Several window lengths: a script pouring in accounts within 10 s stands out at 5-10 s, one that
    trickles them in over a minute only at 30-120 s (each second adds too little on its own). The
    most significant window fits the burst: a longer one adds honest entrants, a shorter one leaves
    bots out.
    """
    span = per_second.size
    observed_sum = np.r_[0.0, np.cumsum(per_second)]
    expected_sum = np.r_[0.0, np.cumsum(rate)]
    cover = np.zeros(span + 1, dtype=np.int64)
    hot_windows: list[tuple[int, Ints, npt.NDArray[np.float64]]] = []
    for window in BURST_WINDOWS:
        if window > span:
            continue
        starts = np.arange(span - window + 1)
        observed = observed_sum[starts + window] - observed_sum[starts]
        expected = expected_sum[starts + window] - expected_sum[starts]
        hot = observed >= expected + BURST_Z * np.sqrt(expected) + 3
        np.add.at(cover, starts[hot], 1)
        np.add.at(cover, starts[hot] + window, -1)
        # Kulldorff's Poisson scan statistic (log-likelihood ratio): comparable across window lengths.
        significance = observed[hot] * np.log(observed[hot] / expected[hot]) - (observed[hot] - expected[hot])
        hot_windows.append((window, starts[hot], significance))
    elevated = np.flatnonzero(np.cumsum(cover[:span]) > 0)
    if elevated.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(elevated) > BURST_GAP_SECONDS)
    cores: list[tuple[int, int]] = []
    for begin, end in zip(elevated[np.r_[0, breaks + 1]], elevated[np.r_[breaks, elevated.size - 1]], strict=True):
        best, core = -np.inf, (int(begin), int(end))
        for window, starts, significance in hot_windows:
            inside = (starts >= begin) & (starts + window - 1 <= end)
            if inside.any() and float(significance[inside].max()) > best:
                chosen = int(starts[inside][np.argmax(significance[inside])])
                best, core = float(significance[inside].max()), (chosen, chosen + window - 1)
        # One second either side: entries are counted per whole second, a burst's edges are not.
        cores.append((max(core[0] - 1, 0), min(core[1] + 1, span - 1)))
    return cores


def entry_bursts(events: SessionEvents, clock: Formatter) -> DetectorResult:
    name = "entry_bursts"
    viewers, first = first_entries(events)
    if viewers.size < MIN_VIEWERS:
        return DetectorResult.not_enough(name, Family.VIEWERS, f"{viewers.size} viewers entered")
    interacted = interacting_viewers(events)[viewers]
    origin = int(first.min())
    second = (first - origin) // SECOND
    span = int(second.max()) + 1
    per_second = np.bincount(second, minlength=span).astype(np.float64)
    per_bin = np.bincount(second // BASELINE_BIN).astype(np.float64)
    baseline = median_filter(per_bin, size=BASELINE_BINS, mode="reflect") / BASELINE_BIN
    baseline = np.maximum(baseline, viewers.size / span / 10)  # a quiet room still has some rate
    rate = baseline[np.arange(span) // BASELINE_BIN]
    cores = _burst_cores(per_second, rate)
    if not cores:
        return DetectorResult(detector=name, family=Family.VIEWERS, status=Status.OK)
    starts = np.array([begin for begin, _ in cores], dtype=np.int64)
    ends = np.array([end for _, end in cores], dtype=np.int64)
    segment = np.searchsorted(starts, second, side="right") - 1
    in_segment = (segment >= 0) & (second <= ends[np.maximum(segment, 0)])
    entrants = np.bincount(segment[in_segment], minlength=starts.size)
    active = np.bincount(segment[in_segment], weights=interacted[in_segment], minlength=starts.size)
    big = entrants >= BURST_MIN_ENTRANTS
    # The room's interaction rate among everyone outside the bursts under judgement: the small
    # elevated stretches (a few friends arriving together, who often chat) are the room's own.
    outside = ~(in_segment & big[np.maximum(segment, 0)])
    if int(outside.sum()) < MIN_VIEWERS:
        return DetectorResult.not_enough(name, Family.VIEWERS, "too few viewers outside the bursts for a baseline")
    room_rate = float(interacted[outside].mean())
    expected_active = entrants * room_rate
    cumulative = np.r_[0.0, np.cumsum(rate)]
    predicted = np.maximum(cumulative[ends + 1] - cumulative[starts], 1.0)
    # A flood of ≥ 100 accounts at ≥ 20× the room's own rate, after the opening, is judged even in
    # a quiet room: it is fake unless it interacts at least at 80 % of the room's rate.
    flood = (
        (entrants >= FLOOD_ENTRANTS)
        & (entrants >= FLOOD_FACTOR * predicted)
        & (starts >= OPENING // SECOND)
        & (active <= FLOOD_INTERACTION_RATIO * expected_active)
    )
    judgeable = big & (expected_active >= BURST_MIN_EXPECTED)
    # An extreme burst (≥ 10× the entrants the baseline predicts) is fake unless its crowd interacts
    # at least at the room's own rate: scripts that let a few bots say something stay below it, and
    # a real crowd that size comes for something and shows it. A smaller burst needs a clear deficit.
    ratio = np.where(entrants >= EXTREME_BURST * predicted, EXTREME_INTERACTION_RATIO, BURST_INTERACTION_RATIO)
    fake = (judgeable & (active < ratio * expected_active)) | flood
    if not fake.any() and (big & ~judgeable).any():
        # A burst where so few people interact that its silence proves nothing: not "clean".
        return DetectorResult.not_enough(
            name,
            Family.VIEWERS,
            f"{int((big & ~judgeable).sum())} entry bursts; room interaction rate {room_rate:.1%} too low to judge",
        )
    flagged_mask = in_segment & fake[np.maximum(segment, 0)] & ~interacted
    reasons: list[Reason] = []
    for index in np.flatnonzero(fake):
        members = viewers[flagged_mask & (segment == index)]
        begin = origin + int(starts[index]) * SECOND
        finish = origin + (int(ends[index]) + 1) * SECOND
        online = _online_at(events, finish)
        reasons.append(
            Reason(
                code="entry_burst",
                params={
                    "start": clock(begin),
                    "end": clock(finish),
                    "entrants": int(entrants[index]),
                    "baseline": f"{rate[int(starts[index])]:.2f}",
                    "silent": int(members.size),
                    "online_share": f"{members.size / online:.0%}" if online else "—",
                },
                weight=members.size / viewers.size,
                accounts=_accounts(events, members),
                start=begin,
                end=finish,
            )
        )
    return DetectorResult(
        detector=name,
        family=Family.VIEWERS,
        status=Status.OK,
        reasons=reasons,
        flagged_viewers=np.sort(viewers[flagged_mask]).astype(np.intp),
    )


def lockstep(events: SessionEvents) -> DetectorResult:
    """Groups of ≥ 5 accounts that entered in the same two seconds and left in the same two seconds."""
    name = "lockstep"
    viewers, first = first_entries(events)
    leaves = events.of(Kind.LEAVE)
    leaves = leaves[events.viewer[leaves] >= 0]
    if viewers.size < MIN_VIEWERS or leaves.size < MIN_VIEWERS:
        return DetectorResult.not_enough(name, Family.VIEWERS, f"{leaves.size} leave events")
    # The first leave after the first entry (np.unique keeps the first in time order).
    first_leave = np.full(events.viewer_keys.size, -1, dtype=np.int64)
    leaver, index = np.unique(events.viewer[leaves], return_index=True)
    first_leave[leaver] = events.time[leaves[index]]
    left = first_leave[viewers]
    # When the stream stops the platform closes every stay at once: those leaves say nothing.
    # Stays under half a minute add nothing to the online count, and short visits pile up by chance.
    has_leave = (left >= first + LOCKSTEP_MIN_STAY) & (left < events.end - LOCKSTEP_BIN)
    codes, enter_at, leave_at = viewers[has_leave], first[has_leave] - first.min(), left[has_leave] - first.min()
    flagged = np.zeros(codes.size, dtype=bool)
    for offset in (0, LOCKSTEP_BIN // 2):
        cell = ((enter_at + offset) // LOCKSTEP_BIN) * (np.int64(1) << 32) + (leave_at + offset) // LOCKSTEP_BIN
        _, inverse, sizes = np.unique(cell, return_inverse=True, return_counts=True)
        flagged |= sizes[inverse] >= LOCKSTEP_MIN_GROUP
    reasons: list[Reason] = []
    if flagged.any():
        cell = (enter_at[flagged] // LOCKSTEP_BIN) * (np.int64(1) << 32) + leave_at[flagged] // LOCKSTEP_BIN
        _, sizes = np.unique(cell, return_counts=True)
        reasons.append(
            Reason(
                code="lockstep",
                params={"groups": int(sizes.size), "accounts": int(flagged.sum()), "largest": int(sizes.max())},
                weight=float(flagged.sum()) / viewers.size,
                accounts=_accounts(events, codes[flagged]),
                start=int(enter_at[flagged].min() + first.min()),
                end=int(leave_at[flagged].max() + first.min()),
            )
        )
    return DetectorResult(
        detector=name,
        family=Family.VIEWERS,
        status=Status.OK,
        reasons=reasons,
        flagged_viewers=np.sort(codes[flagged]).astype(np.intp),
    )


def heartbeats(events: SessionEvents) -> DetectorResult:
    """Accounts re-entering ≥ 4 times at machine-regular intervals (CV ≤ 0.1, ≥ 10 s apart)."""
    name = "heartbeats"
    enters = events.of(Kind.ENTER)
    enters = enters[events.viewer[enters] >= 0]
    viewers = np.unique(events.viewer[enters])
    if viewers.size < MIN_VIEWERS:
        return DetectorResult.not_enough(name, Family.VIEWERS, f"{viewers.size} viewers entered")
    order = enters[np.lexsort((events.time[enters], events.viewer[enters]))]
    who = events.viewer[order].astype(np.int64)
    same = who[1:] == who[:-1]
    gaps = (events.time[order][1:] - events.time[order][:-1])[same].astype(np.float64)
    owner = who[1:][same]
    size = events.viewer_keys.size
    count = np.bincount(owner, minlength=size)
    total = np.bincount(owner, weights=gaps, minlength=size)
    squares = np.bincount(owner, weights=gaps * gaps, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        spread = np.sqrt(np.maximum(squares / count - mean * mean, 0.0))
        regular = (
            (count >= HEARTBEAT_MIN_ENTRIES - 1) & (mean >= HEARTBEAT_MIN_GAP) & (spread <= HEARTBEAT_MAX_CV * mean)
        )
    flagged = np.flatnonzero(regular)
    reasons: list[Reason] = []
    if flagged.size:
        reasons.append(
            Reason(
                code="heartbeat",
                params={"accounts": int(flagged.size), "cv": HEARTBEAT_MAX_CV},
                weight=flagged.size / viewers.size,
                accounts=_accounts(events, flagged),
            )
        )
    return DetectorResult(
        detector=name, family=Family.VIEWERS, status=Status.OK, reasons=reasons, flagged_viewers=flagged.astype(np.intp)
    )


@dataclass(frozen=True)
class PresenceHistory:
    """Another session of the same tenant: who entered, and when (µs after that session's start)."""

    session_id: int
    viewer_keys: npt.NDArray[np.object_]
    entered_after: Ints


def co_appearance(events: SessionEvents, history: Sequence[PresenceHistory]) -> DetectorResult:
    """CopyCatch-style: the same ≥ 5 accounts entering within 30 s of each other in ≥ 3 sessions."""
    name = "co_appearance"
    if len(history) < TOGETHER_MIN_SESSIONS - 1:
        return DetectorResult.not_enough(name, Family.VIEWERS, f"{len(history)} earlier sessions")
    viewers, first = first_entries(events)
    if viewers.size < MIN_VIEWERS:
        return DetectorResult.not_enough(name, Family.VIEWERS, f"{viewers.size} viewers entered")
    offsets = first - events.start
    keys = events.viewer_keys[viewers]
    # Only accounts of this session that came after the opening take part.
    here = offsets >= OPENING
    keys, offsets, codes = keys[here], offsets[here], viewers[here]
    position = {str(key): index for index, key in enumerate(keys.tolist())}
    sessions = [(keys, offsets, np.arange(keys.size))]
    for past in history:
        known = np.array([position.get(str(key), -1) for key in past.viewer_keys.tolist()], dtype=np.int64)
        keep = (known >= 0) & (past.entered_after >= OPENING)
        sessions.append((past.viewer_keys[keep], past.entered_after[keep], known[keep]))
    seen_in = np.zeros(keys.size, dtype=np.int64)
    for _, _, members in sessions:
        seen_in[np.unique(members)] += 1
    candidates = seen_in >= TOGETHER_MIN_SESSIONS
    if not candidates.any():
        return DetectorResult(detector=name, family=Family.VIEWERS, status=Status.OK)
    together = None
    for shift in (0, TOGETHER_WINDOW // 2):
        rows: list[Ints] = []
        cells: list[Ints] = []
        for index, (_, entered, members) in enumerate(sessions):
            keep = candidates[members]
            rows.append(members[keep])
            cells.append(index * (np.int64(1) << 40) + (entered[keep] + shift) // TOGETHER_WINDOW)
        all_cells = np.concatenate(cells)
        _, column = np.unique(all_cells, return_inverse=True)
        matrix = sparse.csr_matrix(
            (np.ones(all_cells.size), (np.concatenate(rows), column)), shape=(keys.size, int(column.max()) + 1)
        )
        matrix.data[:] = 1.0
        shared = (matrix @ matrix.T).tocsr()
        together = shared if together is None else together.maximum(shared)
    assert together is not None
    together.setdiag(0)
    together.data = (together.data >= TOGETHER_MIN_SESSIONS).astype(np.float64)
    together.eliminate_zeros()
    _, labels = connected_components(together, directed=False)
    sizes = np.bincount(labels)
    grouped = (sizes[labels] >= TOGETHER_MIN_GROUP) & candidates
    flagged = np.sort(codes[grouped])
    reasons: list[Reason] = []
    if flagged.size:
        reasons.append(
            Reason(
                code="co_appearance",
                params={
                    "accounts": int(flagged.size),
                    "sessions": int(seen_in[grouped].min()),
                    "window": TOGETHER_WINDOW // SECOND,
                },
                weight=flagged.size / viewers.size,
                accounts=_accounts(events, flagged),
            )
        )
    return DetectorResult(
        detector=name, family=Family.VIEWERS, status=Status.OK, reasons=reasons, flagged_viewers=flagged.astype(np.intp)
    )


@dataclass(frozen=True)
class OnlineJumps:
    sample_positions: npt.NDArray[np.intp]  # positions of online_count events that jumped
    rise_excess: Ints  # per jump: the rise the recent enters do not explain
    excess: Ints  # per online_count sample (time order): unexplained viewers still counted


def find_online_jumps(events: SessionEvents) -> OnlineJumps | None:
    """Online-count rises no recent enters explain, and what each leaves unexplained.

    ``excess`` is, per sample, the unexplained viewers still counted: it grows by a flagged jump's
    rise less its enters, shrinks when the count later falls by more than the leaves explain, and
    never goes below zero (a walk reflected at 0: cumulative sum minus its running minimum).
    """
    samples = events.of(Kind.ONLINE_COUNT)
    samples = samples[events.count[samples] >= 0]
    if samples.size < MIN_SAMPLES:
        return None
    counts = events.count[samples]
    rise = np.diff(counts)
    sample_times = events.time[samples]
    enter_times = events.time[events.of(Kind.ENTER)]
    leave_times = events.time[events.of(Kind.LEAVE)]
    enters_between = np.diff(np.searchsorted(enter_times, sample_times, side="right"))
    leaves_between = np.diff(np.searchsorted(leave_times, sample_times, side="right"))
    # Platforms count with a lag: enters of the last half minute may show up in this sample.
    recent = np.searchsorted(enter_times, sample_times[1:], side="right") - np.searchsorted(
        enter_times, sample_times[:-1] - JUMP_LOOKBACK, side="right"
    )
    deviation = np.abs(rise - np.median(rise))
    spread = max(float(np.median(deviation)), 1.0)
    jump = (
        (rise >= JUMP_MIN)
        & (rise >= JUMP_MIN_SHARE * np.maximum(counts[:-1], 1))
        & (rise >= JUMP_ENTERS_RATIO * (recent + 1))
        & (deviation > JUMP_MADS * spread)
    )
    unexplained = rise - (enters_between - leaves_between)
    step = np.where(jump, np.maximum(rise - recent, 0), np.minimum(unexplained, 0))
    walk = np.cumsum(step)
    excess = np.r_[0, walk - np.minimum.accumulate(np.minimum(walk, 0))]
    index = np.flatnonzero(jump)
    return OnlineJumps(
        sample_positions=samples[index + 1], rise_excess=np.maximum(rise - recent, 0)[index], excess=excess
    )


def online_jumps(events: SessionEvents, clock: Formatter) -> DetectorResult:
    name = "online_jumps"
    jumps = find_online_jumps(events)
    if jumps is None:
        samples = int((events.kind == Kind.ONLINE_COUNT).sum())
        return DetectorResult.not_enough(name, Family.VIEWERS, f"{samples} online-count samples")
    reasons: list[Reason] = []
    if jumps.sample_positions.size:
        biggest = int(np.argmax(jumps.rise_excess))
        at = int(jumps.sample_positions[biggest])
        sample_positions = events.of(Kind.ONLINE_COUNT)
        previous = int(sample_positions[np.searchsorted(sample_positions, at) - 1])
        enters = int(
            (
                (events.kind == Kind.ENTER) & (events.time > events.time[previous]) & (events.time <= events.time[at])
            ).sum()
        )
        peak = int(events.count[sample_positions].max())
        reasons.append(
            Reason(
                code="online_jump",
                params={
                    "at": clock(int(events.time[at])),
                    "jump": int(events.count[at] - events.count[previous]),
                    "enters": enters,
                    "samples": int(jumps.sample_positions.size),
                    "excess": int(jumps.rise_excess.sum()),
                },
                weight=min(1.0, float(jumps.rise_excess.sum()) / max(peak, 1)),
                start=int(events.time[previous]),
                end=int(events.time[at]),
            )
        )
    return DetectorResult(detector=name, family=Family.VIEWERS, status=Status.OK, reasons=reasons)
