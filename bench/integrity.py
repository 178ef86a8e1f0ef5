"""Every integrity detector on a session of about one million events.

    PYTHONPATH=src .venv/bin/python bench/integrity.py

The session is simulated (2 hours, 160,000 viewers, example shelf, seed 1) with injected bots,
a comment flood and brushed orders. It prints the time to build the columns from the events
(what loading does), the time of ``assess`` (all detectors, the index and the figures; median
of three runs), each detector's share, and for scale the raw machine limit of one NumPy sort of
the same number of int64 values.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from livebridge.ingest.schemas import LiveEvent
from livebridge.integrity import authenticity
from livebridge.integrity.columns import micros
from livebridge.integrity.evaluation import columns_of
from livebridge.integrity.inject import MINUTE_US, SCRIPTS, SECOND_US, Injector
from livebridge.simulate import AudienceModel, Scenario, example_shelf, simulate

VIEWERS = 160_000
RUNS = 3


def clock(value: int) -> str:
    return str(value)


def session_events() -> list[LiveEvent]:
    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    scenario = Scenario(
        start=start,
        duration=timedelta(hours=2),
        shelf=example_shelf(),
        audience=AudienceModel(viewers=VIEWERS),
        seed=1,
    )
    events = list(simulate(scenario).events())
    inject = Injector(seed=1)
    origin = micros(start)
    made: list[LiveEvent] = []
    for i in range(3_000):
        bot = f"inj-bot-{i}"
        made += [inject.enter(bot, origin + 40 * MINUTE_US + i * 2_000), inject.leave(bot, origin + 70 * MINUTE_US)]
    for i in range(200):
        made.append(inject.comment(f"inj-water-{i % 40}", origin + i * 30 * SECOND_US, inject.variant(SCRIPTS[0], 1)))
    for k in range(30):
        made += inject.order(
            f"inj-brush-{k}", "inj-brusher", "NJ-C1", 49_900, origin + 50 * MINUTE_US + k * SECOND_US, None
        )
    return sorted([*events, *made], key=lambda event: event.occurred_at)


def main() -> None:
    began = time.perf_counter()
    events = session_events()
    generated = time.perf_counter() - began
    began = time.perf_counter()
    columns = columns_of(events)
    built = time.perf_counter() - began
    print(f"session: {len(columns):,} events (simulated in {generated:.1f} s), columns built in {built:.2f} s")

    timings: list[float] = []
    for _ in range(RUNS):
        began = time.perf_counter()
        result = authenticity.assess(columns, clock)
        timings.append(time.perf_counter() - began)
    median = statistics.median(timings)
    print(
        f"assess (all detectors + index + figures): median {median:.2f} s of {RUNS} runs "
        f"({len(columns) / median:,.0f} events/s); index {result.index}"
    )

    for detector in result.detectors:
        print(f"  {detector.detector:<20} {detector.seconds:6.2f} s  {detector.status}")
    print("  (comment_bursts includes the MinHash clustering the three comment detectors share)")

    values = np.random.default_rng(1).integers(0, 1 << 62, len(columns))
    began = time.perf_counter()
    np.sort(values)
    raw = time.perf_counter() - began
    print(f"raw limit: one np.sort of {len(columns):,} int64 takes {raw:.3f} s; assess = {median / raw:,.0f} sorts")


if __name__ == "__main__":
    main()
