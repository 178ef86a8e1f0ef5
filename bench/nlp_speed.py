"""End-to-end comment understanding speed: normalise + intent + aspects + sentiment, on one core.

    .venv/bin/livebridge nlp train          # once (or: python -m livebridge.text.cli train)
    .venv/bin/python bench/nlp_speed.py [--model-dir var/models] [--batch-size 1000] [--comments 20000]

Comments: every authored comment (``src/livebridge/text/corpus``, train and test files) and the
real Bilibili danmaku of ``bilibili-live-events-2021`` from the shared data folder, repeated up to
``--comments``. A second run uses the held-back online-shopping reviews (longer texts, as in
after-sales messages).

* batch: ``CommentAnalyzer.analyze_batch`` on chunks of ``--batch-size``; best of ``--repeats``
  passes after a warm-up; comments per second.
* single: ``CommentAnalyzer.analyze`` on one comment per call (``--single`` calls); p50 and p99
  latency.

The process (every thread of it) is pinned to one CPU core. Goals: ≥ 5,000
comments/s in batches, p99 ≤ 5 ms for a single comment.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from collections.abc import Sequence
from itertools import cycle, islice
from pathlib import Path

from livebridge.text import CommentAnalyzer, TextModelError
from livebridge.text.datasets import read_authored_comments, read_online_shopping_reviews, resolve_data_dir

BATCH_GOAL_PER_SECOND = 5_000
P99_GOAL_MS = 5.0


def live_comments(data_dir: Path) -> list[str]:
    authored = [comment.text for split in ("train", "test") for comment in read_authored_comments(split)]
    danmaku = []
    for path in sorted((data_dir / "bilibili-live-events-2021").glob("*/danmaku.csv")):
        with path.open(encoding="utf-8", newline="") as stream:
            danmaku += [row["_content"] for row in csv.DictReader(stream) if row.get("_content")]
    return authored + danmaku


def batch_throughput(analyzer: CommentAnalyzer, texts: Sequence[str], batch_size: int, repeats: int) -> float:
    analyzer.analyze_batch(texts[:batch_size])
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for start in range(0, len(texts), batch_size):
            analyzer.analyze_batch(texts[start : start + batch_size])
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


def single_latencies_ms(analyzer: CommentAnalyzer, texts: Sequence[str]) -> list[float]:
    for text in texts[:200]:
        analyzer.analyze(text)
    latencies = []
    for text in texts:
        started = time.perf_counter()
        analyzer.analyze(text)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(name: str, texts: Sequence[str], analyzer: CommentAnalyzer, args: argparse.Namespace) -> None:
    per_second = batch_throughput(analyzer, texts, args.batch_size, args.repeats)
    latencies = single_latencies_ms(analyzer, texts[: args.single])
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    mean_chars = statistics.fmean(len(text) for text in texts)
    print(f"{name}: {len(texts):,} texts, {mean_chars:.1f} characters on average")
    print(
        f"  batch of {args.batch_size}: {per_second:,.0f} comments/s "
        f"({per_second / BATCH_GOAL_PER_SECOND:.1f}x the goal of {BATCH_GOAL_PER_SECOND:,}/s)"
    )
    print(
        f"  single comment ({len(latencies):,} calls): p50 {p50:.3f} ms, p99 {p99:.3f} ms, "
        f"max {max(latencies):.3f} ms (goal p99 <= {P99_GOAL_MS} ms)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--comments", type=int, default=20_000)
    parser.add_argument("--single", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    try:
        analyzer = CommentAnalyzer.load(args.model_dir)
        data_dir = resolve_data_dir(args.data_dir)
    except TextModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    comments = live_comments(data_dir)
    reviews = [review.text for review in read_online_shopping_reviews(data_dir, held_out=True)]
    print(f"pinned to CPU core {core}; Python {sys.version.split()[0]}")
    stream = list(islice(cycle(comments), args.comments))
    report("live comments (authored + Bilibili danmaku)", stream, analyzer, args)
    report("reviews (online_shopping held-back fifth)", reviews[: args.comments], analyzer, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
