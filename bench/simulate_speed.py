"""Simulator speed and the shape of what it makes: a 2-hour session on the example shelf, seed 1.

    .venv/bin/python bench/simulate_speed.py

For each audience size: events, generation time (median of three runs, building every event),
events/s, and the session's figures (online, comments, clickers, orders, GMV).
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

from livebridge.kit.money import format_yuan
from livebridge.simulate.generator import simulate
from livebridge.simulate.scenario import AudienceModel, Scenario, example_shelf

SIZES = (3_000, 10_000, 20_000, 50_000)
DEFAULT_VIEWERS = AudienceModel().viewers


def main() -> None:
    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    print(f"{'viewers':>8} {'events':>9} {'time':>7} {'events/s':>9} {'peak/avg online':>16} {'comments':>9}"
          f" {'clickers':>9} {'orders(paid)':>13} {'GMV':>12}")
    for viewers in SIZES:
        scenario = Scenario(start=start, duration=timedelta(hours=2), shelf=example_shelf(),
                            audience=AudienceModel(viewers=viewers), seed=1)
        timings = []
        for _ in range(3):
            began = time.perf_counter()
            simulation = simulate(scenario)
            count = sum(1 for _ in simulation.events())
            timings.append(time.perf_counter() - began)
        elapsed = statistics.median(timings)
        f = simulation.figures
        print(f"{viewers:>8,} {count:>9,} {elapsed:>6.2f}s {count / elapsed:>9,.0f} "
              f"{f.peak_online:>7,} / {f.average_online:>6,.0f} {f.comments:>9,} {f.clickers:>9,} "
              f"{f.orders_created:>6} ({f.orders_paid}) {'¥' + format_yuan(f.gmv_fen):>12}")
        if viewers == DEFAULT_VIEWERS:
            default = f
    by_type = ", ".join(f"{kind} {count:,}" for kind, count in sorted(default.events_by_type.items()))
    print(f"\ndefault run ({DEFAULT_VIEWERS:,} viewers): {default.commenters:,} commenters, {default.likes:,} likes, "
          f"{default.clicks:,} clicks, {default.orders_refunded} refunded; events by type: {by_type}")


if __name__ == "__main__":
    main()
