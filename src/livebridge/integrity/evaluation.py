"""``livebridge integrity eval``: inject known fakes into real backgrounds and score every detector.

Backgrounds: the real Bilibili rooms (shared ``bilibili-live-events-2021``, read by
``livebridge.ingest.bilibili``) for viewers and comments; simulated sessions
(``livebridge.simulate``) for orders, since no real order stream is shared. Injected events are
marked simulated and carry ids starting ``inj-``, which is the ground truth.

Each injection targets one detector, at several strengths, with and without camouflage. Precision
counts everything the detector flags in that trial (a flagged real viewer is a false positive),
recall the injected items it finds. Rooms and seeds are split in two: thresholds were chosen on
``tune``; ``test`` is reported. The alarm rate runs every detector on the untouched rooms.
"""

from __future__ import annotations

import random
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final, TypedDict

import numpy as np

from livebridge.ingest.bilibili import read_room
from livebridge.ingest.schemas import Comment, LiveEvent, OnlineCount, OrderCreated
from livebridge.integrity.authenticity import assess
from livebridge.integrity.brushing import HOUR, MIN_RATE, brushing_rule
from livebridge.integrity.columns import SessionEvents, from_records, micros, to_datetime
from livebridge.integrity.comments import (
    cluster_comments,
    comment_bursts,
    copy_accounts,
    is_scriptlike,
    normalise_all,
    template_floods,
)
from livebridge.integrity.inject import MINUTE_US, SCRIPTS, SECOND_US, Injector
from livebridge.integrity.orders import dense_blocks, order_brushing, order_table, quick_refunds
from livebridge.integrity.results import DetectorResult, Status
from livebridge.integrity.viewers import (
    PresenceHistory,
    co_appearance,
    entry_bursts,
    find_online_jumps,
    first_entries,
    heartbeats,
    lockstep,
)
from livebridge.simulate import AudienceModel, Scenario, example_shelf, simulate

__all__ = ["SPLITS", "EvalReport", "columns_of", "run_evaluation"]


class Split(TypedDict):
    rooms: tuple[str, ...]
    seeds: tuple[int, ...]


SPLITS: Final[dict[str, Split]] = {
    "tune": {"rooms": ("1370218", "563689", "44857", "23789393"), "seeds": (1, 2, 3)},
    "test": {"rooms": ("6103516", "545342", "7085640"), "seeds": (11, 12, 13)},
}
ALL_ROOMS: Final = ("44857", "545342", "563689", "1370218", "6103516", "7085640", "23789393")


def _seed(*parts: object) -> int:
    """A seed from the trial's parameters that is the same in every process (unlike ``hash``)."""
    return zlib.crc32(repr(parts).encode())


def _clock(value: int) -> str:
    return to_datetime(value).strftime("%H:%M:%S")


def columns_of(events: Sequence[LiveEvent]) -> SessionEvents:
    return from_records(
        [str(type(e).__struct_config__.tag) for e in events],
        [e.occurred_at for e in events],
        [e.viewer_id for e in events],
        [getattr(e, "text", None) for e in events],
        [getattr(e, "sku_code", None) for e in events],
        [getattr(e, "order_id", None) for e in events],
        [getattr(e, "amount_fen", None) for e in events],
        [getattr(e, "count", None) for e in events],
    )


@dataclass
class Score:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    trials: int = 0
    not_judged: int = 0  # trials where the detector said "not enough data" (left out of P and R)

    def add_result(self, result: DetectorResult, flagged: Iterable[str], truth: set[str]) -> None:
        self.add(flagged, truth, judged=result.status == Status.OK)

    def add(self, flagged: Iterable[str], truth: set[str], judged: bool = True) -> None:
        if not judged:
            self.not_judged += 1
            return
        found = set(flagged)
        self.true_positives += len(found & truth)
        self.false_positives += len(found - truth)
        self.false_negatives += len(truth - found)
        self.trials += 1

    @property
    def precision(self) -> float:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        total = self.true_positives + self.false_negatives
        return self.true_positives / total if total else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class EvalReport:
    split: str
    scores: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    alarm_viewers: tuple[int, int] = (0, 0)  # flagged, total on untouched real rooms
    alarm_comments: tuple[int, int] = (0, 0)
    alarm_orders: tuple[int, int] = (0, 0)  # on untouched simulated sessions
    # Brushing trials whose injection at its fixed size (3/5/8 orders per account) was already
    # brushing by the rule, of all brushing trials (the others were topped up to reach it).
    brushing_by_rule: list[int] = field(default_factory=lambda: [0, 0])


def _span(events: Sequence[LiveEvent]) -> tuple[int, int]:
    times = [micros(e.occurred_at) for e in events]
    return min(times), max(times)


def _flagged_viewers(events: SessionEvents, result: DetectorResult) -> list[str]:
    return [str(k) for k in events.viewer_keys[result.flagged_viewers]]


def _flagged_orders(events: SessionEvents, result: DetectorResult) -> list[str]:
    return [str(k) for k in events.order_ids[result.flagged_orders]]


def _flagged_comments(events: SessionEvents, result: DetectorResult) -> list[str]:
    return [f"{events.viewer_keys[events.viewer[p]]}@{events.time[p]}" for p in result.flagged_comments]


def _comment_keys(events: SessionEvents, injected: Sequence[Comment]) -> set[str]:
    return {f"{c.viewer_id}@{micros(c.occurred_at)}" for c in injected}


def _viewer_trials(report: EvalReport, rooms: dict[str, list[LiveEvent]], seed: int) -> None:
    for strength, camouflage in ((60, False), (150, False), (400, False), (60, True), (150, True), (400, True)):
        for name, background in rooms.items():
            inject = Injector(_seed(seed, strength, camouflage, name))
            rng = inject.rng
            start, end = _span(background)
            if end - start < 45 * MINUTE_US:
                continue  # too short a capture to place the injections
            # Entry burst: bots pour in within 10-60 s and never interact (camouflage: spread over 60 s, 2 % comment).
            at = rng.randrange(start + 5 * MINUTE_US, end - 5 * MINUTE_US)
            duration = (60 if camouflage else rng.choice((10, 30))) * SECOND_US
            bots = [f"inj-bot-{i}" for i in range(strength)]
            made: list[LiveEvent] = [inject.enter(b, at + rng.randrange(duration)) for b in bots]
            if camouflage:
                made += [
                    inject.comment(b, at + duration + rng.randrange(60 * SECOND_US), rng.choice(("好", "来了", "hi")))
                    for b in bots[: strength // 50]
                ]
            events = columns_of(sorted([*background, *made], key=lambda e: e.occurred_at))
            result = entry_bursts(events, _clock)
            report.scores["entry_bursts"].add_result(result, _flagged_viewers(events, result), set(bots))
            # Lockstep: groups of 5-20 entering within 1 s and leaving within 1 s (camouflage: ±0.8 s jitter each way).
            made = []
            group_size = 5 + strength // 40
            members: list[str] = []
            for group in range(strength // group_size):
                enter_at = rng.randrange(start + MINUTE_US, end - 30 * MINUTE_US)
                leave_at = enter_at + rng.randrange(2 * MINUTE_US, 20 * MINUTE_US)
                jitter = 800_000 if camouflage else 300_000
                for i in range(group_size):
                    bot = f"inj-lock-{group}-{i}"
                    members.append(bot)
                    made += [
                        inject.enter(bot, enter_at + rng.randrange(jitter)),
                        inject.leave(bot, leave_at + rng.randrange(jitter)),
                    ]
            events = columns_of(sorted([*background, *made], key=lambda e: e.occurred_at))
            result = lockstep(events)
            report.scores["lockstep"].add_result(result, _flagged_viewers(events, result), set(members))
            # Heartbeat: accounts re-entering every 30-120 s, jitter 1 % (camouflage 5 %).
            made, beating = [], []
            for i in range(max(5, strength // 20)):
                bot = f"inj-beat-{i}"
                beating.append(bot)
                gap = rng.randrange(30, 120) * SECOND_US
                moment = rng.randrange(start, max(start + 1, end - 20 * gap))
                for _ in range(rng.randrange(6, 15)):
                    made += [inject.enter(bot, moment), inject.leave(bot, moment + gap // 2)]
                    moment += int(gap * (1 + rng.gauss(0, 0.05 if camouflage else 0.01)))
            events = columns_of(sorted([*background, *made], key=lambda e: e.occurred_at))
            result = heartbeats(events)
            report.scores["heartbeats"].add_result(result, _flagged_viewers(events, result), set(beating))
    _co_appearance_trials(report, rooms, seed)
    _online_jump_trials(report, rooms, seed)


def _co_appearance_trials(report: EvalReport, rooms: dict[str, list[LiveEvent]], seed: int) -> None:
    """The same bot group enters every room (as sessions of one tenant) within 20 s (camouflage: 28 s)."""
    usable = {name: events for name, events in rooms.items() if _span(events)[1] - _span(events)[0] > 20 * MINUTE_US}
    if len(usable) < 3:
        return
    for size, spread in ((10, 20), (25, 20), (40, 28)):
        rng = random.Random(seed * 100 + size)
        bots = [f"inj-ring-{i}" for i in range(size)]
        offset = rng.randrange(5 * MINUTE_US, 15 * MINUTE_US)
        sessions: dict[str, SessionEvents] = {}
        for name, background in usable.items():
            inject = Injector(rng.randrange(1 << 30))
            start = _span(background)[0]
            made = [inject.enter(b, start + offset + rng.randrange(spread * SECOND_US)) for b in bots]
            sessions[name] = columns_of(sorted([*background, *made], key=lambda e: e.occurred_at))
        for name, events in sessions.items():
            history = []
            for other, past in sessions.items():
                if other == name:
                    continue
                viewers, first = first_entries(past)
                history.append(PresenceHistory(0, past.viewer_keys[viewers], first - past.start))
            result = co_appearance(events, history)
            report.scores["co_appearance"].add_result(result, _flagged_viewers(events, result), set(bots))


def _online_jump_trials(report: EvalReport, rooms: dict[str, list[LiveEvent]], seed: int) -> None:
    """From one sample on, the platform's count is inflated by half, once or twice the peak."""
    for factor in (0.5, 1.0, 2.0):
        for name, background in rooms.items():
            samples = [e for e in background if isinstance(e, OnlineCount)]
            if len(samples) < 20:
                continue
            rng = random.Random(_seed(seed, factor, name))
            cut = rng.randrange(5, len(samples) - 5)
            added = max(30, int(factor * max(s.count for s in samples)))
            changed = [
                OnlineCount(event_id=s.event_id, occurred_at=s.occurred_at, count=s.count + added, source=s.source)
                if isinstance(s, OnlineCount) and s.occurred_at >= samples[cut].occurred_at
                else s
                for s in background
            ]
            events = columns_of(changed)
            jumps = find_online_jumps(events)
            flagged = [str(int(events.time[p])) for p in (jumps.sample_positions if jumps else [])]
            report.scores["online_jumps"].add(flagged, {str(micros(samples[cut].occurred_at))})


def _comment_trials(report: EvalReport, rooms: dict[str, list[LiveEvent]], seed: int) -> None:
    for accounts, camouflage in ((6, False), (10, False), (20, False), (6, True), (10, True), (20, True)):
        for name, background in rooms.items():
            start, end = _span(background)
            if end - start < 20 * MINUTE_US:
                continue
            inject = Injector(_seed(seed, accounts, camouflage, name))
            rng = inject.rng
            edits = 2 if camouflage else 1
            script = rng.choice(SCRIPTS)
            # Burst: each account posts one variant within 20-60 s.
            at = rng.randrange(start + 2 * MINUTE_US, end - 2 * MINUTE_US)
            window = rng.randrange(20, 60) * SECOND_US
            made = [
                inject.comment(f"inj-burst-{i}", at + rng.randrange(window), inject.variant(script, edits))
                for i in range(accounts)
            ]
            events = columns_of(sorted([*background, *made], key=lambda e: e.occurred_at))
            clusters = cluster_comments(events)
            result = comment_bursts(events, clusters, _clock)
            report.scores["comment_bursts"].add_result(
                result, _flagged_comments(events, result), _comment_keys(events, made)
            )
            # Flood: each account posts the template 2-3 times spread over the session (camouflage: some once).
            made = []
            for i in range(accounts):
                times = 1 if camouflage and i % 3 == 0 else rng.randrange(2, 4)
                made += [
                    inject.comment(f"inj-flood-{i}", rng.randrange(start, end), inject.variant(script, edits))
                    for _ in range(times)
                ]
            events = columns_of(sorted([*background, *made], key=lambda e: e.occurred_at))
            clusters = cluster_comments(events)
            result = template_floods(events, clusters)
            report.scores["template_floods"].add_result(
                result, _flagged_comments(events, result), _comment_keys(events, made)
            )
            # Copy accounts: replay real comments (≥ 6 characters) of the room, later, 3-5 each.
            # (Only script-like comments, ≥ 6 characters once normalised: chants are out of the detector's scope.)
            real = [e for e in background if isinstance(e, Comment) and is_scriptlike(normalise_all([e.text])[0])]
            if len(real) < 5:
                continue
            made = []
            for i in range(max(3, accounts // 3)):
                for original in rng.sample(real, rng.randrange(3, 6)):
                    moment = micros(original.occurred_at) + rng.randrange(5, 600) * SECOND_US
                    made.append(inject.comment(f"inj-copy-{i}", moment, original.text))
            events = columns_of(sorted([*background, *made], key=lambda e: e.occurred_at))
            clusters = cluster_comments(events)
            result = copy_accounts(events, clusters)
            report.scores["copy_accounts"].add_result(
                result, _flagged_comments(events, result), _comment_keys(events, made)
            )


def _order_background(seed: int) -> list[LiveEvent]:
    start = datetime(2026, 11, 20, 12, tzinfo=UTC)
    scenario = Scenario(
        start=start,
        duration=timedelta(minutes=120),
        shelf=example_shelf(),
        audience=AudienceModel(viewers=40_000),
        seed=seed,
    )
    return list(simulate(scenario).events())


def _order_trials(report: EvalReport, seeds: Sequence[int]) -> None:
    for seed in seeds:
        background = _order_background(seed)
        start, end = _span(background)
        orders = [e for e in background if isinstance(e, OrderCreated)]
        per_sku: dict[str, int] = defaultdict(int)
        for o in orders:
            per_sku[o.sku_code] += 1
        skus = sorted(per_sku, key=lambda s: per_sku[s])
        price = {o.sku_code: o.amount_fen for o in orders}
        for strength, camouflage in ((3, False), (5, False), (8, False), (3, True), (5, True), (8, True)):
            inject = Injector(seed * 1000 + strength * 10 + camouflage)
            rng = inject.rng
            # Brushing: one or two accounts order the least-sold SKU 3-8 times each within 20 minutes;
            # camouflage: two helper accounts order it once in the same 40 minutes. The ground truth
            # must be brushing by the rule's own definition: where the rule does not name the
            # accounts (the honest orders of that SKU keep orders ÷ buyers under 3; always at 3 orders
            # with helpers: 5 ÷ 3), they place as many more orders as it takes to reach 3 in
            # [at, at + 1 h], counting the SKU's honest orders and buyers there.
            target = skus[0]
            at = rng.randrange(start + 10 * MINUTE_US, end - 60 * MINUTE_US)
            brushers = [f"inj-brusher-{b}" for b in range(1 + strength // 5)]
            helpers = [f"inj-helper-{h}" for h in range(2 if camouflage else 0)]
            moments = {b: [at + rng.randrange(20 * MINUTE_US) for _ in range(strength)] for b in brushers}
            helper_moments = [at + rng.randrange(40 * MINUTE_US) for _ in helpers]
            honest = [o for o in orders if o.sku_code == target and at <= micros(o.occurred_at) <= at + HOUR]
            fixed_size = _brushing_found(orders, target, moments, helpers, helper_moments)
            report.brushing_by_rule[0] += int(fixed_size)
            report.brushing_by_rule[1] += 1
            buyers = len({o.viewer_id for o in honest}) + len(brushers) + len(helpers)
            missing = MIN_RATE * buyers - len(honest) - len(helpers) - strength * len(brushers)
            top_up = random.Random(_seed("brushing", seed, strength, camouflage))
            # Equal counts: the accounts tie, and the rule names all of them.
            extra = 0 if fixed_size else -(-max(missing, 0) // len(brushers))
            for b in brushers:
                moments[b] += [at + top_up.randrange(20 * MINUTE_US) for _ in range(extra)]
            made: list[LiveEvent] = []
            for b, times in moments.items():
                for k, moment in enumerate(times):
                    made += inject.order(f"inj-brush-{b}-{k}", b, target, price[target], moment, None)
            for h, moment in zip(helpers, helper_moments, strict=True):
                made += inject.order(f"inj-help-{h}", h, target, price[target], moment, None)
            events = columns_of(sorted([*background, *made], key=lambda e: e.occurred_at))
            result = order_brushing(events, order_table(events), _clock)
            # The rule names suspicious buyers: scored on accounts, as the task was.
            report.scores["order_brushing"].add_result(result, _flagged_viewers(events, result), set(brushers))
            # Dense block: 4-16 accounts × 3-5 SKUs, each pair ordered with probability 0.8;
            # camouflage: every account also orders 1-2 best sellers (up to ~40 % camouflage edges).
            made = []
            block_skus = rng.sample(skus[: max(3, len(skus) // 2)], min(len(skus), 3 + strength // 4))
            for a in range(2 * strength):
                buyer = f"inj-ring-{a}"
                for sku in block_skus:
                    if rng.random() < 0.8:
                        made += inject.order(
                            f"inj-block-{a}-{sku}", buyer, sku, price[sku], rng.randrange(start, end - MINUTE_US), None
                        )
                if camouflage:
                    for c, sku in enumerate(rng.sample(skus[-3:], rng.randrange(1, 3))):
                        made += inject.order(
                            f"inj-camo-{a}-{c}", buyer, sku, price[sku], rng.randrange(start, end - MINUTE_US), None
                        )
            events = columns_of(sorted([*background, *made], key=lambda e: e.occurred_at))
            # FRAUDAR's protocol scores the fraudulent accounts (their camouflage edges included).
            result = dense_blocks(events, order_table(events))
            ring = {f"inj-ring-{a}" for a in range(2 * strength)}
            report.scores["dense_blocks"].add_result(result, _flagged_viewers(events, result), ring)
            # Quick refunds: accounts pay and refund within 1-8 minutes, twice each (camouflage: once each,
            # in a burst on one SKU within 20 minutes).
            made, refunded = [], set()
            sku = rng.choice(skus)
            at = rng.randrange(start, end - 30 * MINUTE_US)
            for a in range(strength):
                for k in range(1 if camouflage else 2):
                    oid = f"inj-refund-{a}-{k}"
                    refunded.add(oid)
                    moment = (
                        at + rng.randrange(20 * MINUTE_US) if camouflage else rng.randrange(start, end - 15 * MINUTE_US)
                    )
                    made += inject.order(
                        oid, f"inj-refunder-{a}", sku, price[sku], moment, rng.randrange(1, 8) * MINUTE_US
                    )
            events = columns_of(sorted([*background, *made], key=lambda e: e.occurred_at))
            result = quick_refunds(events, order_table(events), _clock)
            report.scores["quick_refunds"].add_result(result, _flagged_orders(events, result), refunded)


def _brushing_found(
    orders: Sequence[OrderCreated],
    target: str,
    moments: dict[str, list[int]],
    helpers: Sequence[str],
    helper_moments: Sequence[int],
) -> bool:
    """Does the rule, on the SKU's honest orders plus these, name every brushing account?"""
    honest = [o for o in orders if o.sku_code == target]
    times = [micros(o.occurred_at) for o in honest] + [t for ts in moments.values() for t in ts] + list(helper_moments)
    names = [o.viewer_id or o.order_id for o in honest]
    names += [b for b, ts in moments.items() for _ in ts] + list(helpers)
    codes = {name: code for code, name in enumerate(dict.fromkeys(names))}
    verdict = brushing_rule(np.array(times, dtype=np.int64), np.array([codes[n] for n in names], dtype=np.int64))
    return verdict.is_brushing and {codes[b] for b in moments} <= set(verdict.suspicious_buyers.tolist())


def _alarms(report: EvalReport, rooms: dict[str, list[LiveEvent]], seeds: Sequence[int]) -> None:
    viewers = flagged_viewers = comments = flagged_comments = 0
    for background in rooms.values():
        result = assess(columns_of(background), _clock)
        viewers += result.figures.viewers
        flagged_viewers += int(result.flagged_viewers.size)
        comments += result.figures.comments
        flagged_comments += int(result.flagged_comments.size)
    report.alarm_viewers = (flagged_viewers, viewers)
    report.alarm_comments = (flagged_comments, comments)
    orders = flagged_orders = 0
    for seed in seeds:
        result = assess(columns_of(_order_background(seed)), _clock)
        orders += result.figures.orders
        flagged_orders += int(result.flagged_orders.size)
    report.alarm_orders = (flagged_orders, orders)


def run_evaluation(data_dir: Path, split: str) -> EvalReport:
    chosen = SPLITS[split]
    rooms = {name: read_room(data_dir / name).events for name in chosen["rooms"]}
    report = EvalReport(split=split)
    for seed in chosen["seeds"]:
        _viewer_trials(report, rooms, seed)
        _comment_trials(report, rooms, seed)
    _order_trials(report, chosen["seeds"])
    everything = {name: read_room(data_dir / name).events for name in ALL_ROOMS}
    _alarms(report, everything, chosen["seeds"])
    return report


def share(pair: tuple[int, int]) -> float:
    return pair[0] / pair[1] if pair[1] else 0.0
