"""Demand-topic grouping: quality against the simulator's templates, and speed.

The simulator writes each demand, question and complaint comment from one of its authored
templates (with product names, link numbers, forms of address, emoji and punctuation varied), so
the template is a known "true topic". This prints, per setting, the adjusted Rand index and
V-measure of the topics found against the templates, the number of topics against the number of
templates, and comments grouped per second on one core. The texts are simulated, not real
comments: the figures say how well paraphrase noise is absorbed, not how real viewers phrase.

    PYTHONPATH=src .venv/bin/python bench/demand_grouping.py [--comments 3000]
"""

from __future__ import annotations

import argparse
import random
import time
from collections import defaultdict
from dataclasses import replace

from sklearn.metrics import adjusted_rand_score, v_measure_score

from livebridge.demand.embedding import SentenceEncoder
from livebridge.demand.grouping import Comment, GroupingSettings, TextCleaner, fit_vectorizer, group_comments
from livebridge.simulate.comments import CommentWriter
from livebridge.simulate.scenario import example_shelf
from livebridge.text import Intent, normalize

KINDS: tuple[Intent, ...] = ("demand", "question", "complaint")

# Authored for this benchmark (not real comments): one wish, worded differently, per group.
PARAPHRASES: dict[str, list[str]] = {
    "timer": ["希望加个定时功能", "要是有定时功能就好了", "能不能加定时", "定时功能什么时候有", "想要能预约定时的"],
    "bigger": ["出个大号的吧", "有没有大一点的尺寸", "能不能做大容量的", "希望出个大容量版本", "容量再大点就好了"],
    "pink": ["有没有粉色", "出个粉色的吧", "希望有粉色款", "粉色什么时候上", "想要粉色的"],
    "cheaper": ["能不能便宜点", "再便宜点吧", "价格能再低点吗", "太贵了 便宜点", "能不能优惠一点"],
    "quiet": ["声音太大了", "噪音好大", "能不能出个静音版", "希望声音小一点", "太吵了"],
    "cable": ["线要是再长点就好了", "电源线太短了", "线能不能长一点", "希望线长一些"],
    "app": ["希望能连手机APP", "能不能用手机控制", "要是能APP遥控就好了", "支持手机app吗"],
    "bundle": ["出个套装吧", "能不能搞个组合套餐", "套装一起买划算点", "希望有套装优惠"],
}


def simulated(count: int, seed: int) -> list[tuple[str, str, int, str]]:
    """(kind, template, product index, normalised text) for ``count`` comments over the example shelf."""
    shelf = example_shelf()
    rng = random.Random(seed)
    writer = CommentWriter(shelf, rng)
    rows: list[tuple[str, str, int, str]] = []
    for _ in range(count):
        kind = rng.choice(KINDS)
        index = rng.randrange(len(shelf))
        written = writer.write(kind, shelf[index], is_explained=rng.random() < 0.5)
        rows.append((kind, written.template, index, normalize(written.text)))
    return rows


def run(
    rows: list[tuple[str, str, int, str]],
    settings: GroupingSettings,
    *,
    incremental: bool = False,
) -> tuple[float, float, int, int, float, int]:
    """Group every partition at once, or (``incremental``) the first half, then the second half into it.

    A fresh encoder cache per run (the model stays loaded): the speed is that of a first rebuild."""
    encoder = SentenceEncoder()
    shelf = example_shelf()
    partitions: dict[tuple[str, int], list[tuple[int, str, str]]] = defaultdict(list)
    for event_id, (kind, template, product, text) in enumerate(rows, start=1):
        partitions[(kind, product)].append((event_id, template, text))
    started = time.perf_counter()
    cleaners = {i: TextCleaner((*p.aliases, p.name)) for i, p in enumerate(shelf)}
    texts = [cleaners[key[1]].clean(text) for key, items in partitions.items() for _, _, text in items]
    vectorizer = fit_vectorizer(texts)
    truth: list[str] = []
    found: list[str] = []
    for (kind, product), items in sorted(partitions.items()):
        comments = [Comment(e, t) for e, _, t in items]
        split = len(comments) // 2 if incremental else len(comments)
        first = group_comments(comments[:split], {}, vectorizer, cleaners[product], settings, encoder)
        existing = {n: [c for c in comments if c.event_row_id in set(ids)] for n, ids in enumerate(first.new_groups)}
        second = group_comments(comments[split:], existing, vectorizer, cleaners[product], settings, encoder)
        topic_of = {e: f"{kind}/{product}/{n}" for n, ids in existing.items() for e in (c.event_row_id for c in ids)}
        topic_of.update({e: f"{kind}/{product}/{n}" for e, n in second.joins.items()})
        topic_of.update({e: f"{kind}/{product}/new{n}" for n, ids in enumerate(second.new_groups) for e in ids})
        for event_id, template, _ in items:
            truth.append(f"{kind}/{product}/{template}")
            found.append(topic_of[event_id])
    elapsed = time.perf_counter() - started
    return (
        adjusted_rand_score(truth, found),
        v_measure_score(truth, found),
        len(set(found)),
        len(set(truth)),
        len(rows) / elapsed,
        encoder.encoded,
    )


def paraphrases(settings: GroupingSettings) -> tuple[float, float, int]:
    """ARI, V-measure and number of topics of the authored paraphrases, grouped at once."""
    texts = [text for group in PARAPHRASES.values() for text in group]
    truth = [name for name, group in PARAPHRASES.items() for _ in group]
    cleaner = TextCleaner()
    vectorizer = fit_vectorizer([cleaner.clean(t) for t in texts])
    grouping = group_comments(
        [Comment(i, normalize(t)) for i, t in enumerate(texts)], {}, vectorizer, cleaner, settings
    )
    found = {e: n for n, ids in enumerate(grouping.new_groups) for e in ids}
    labels = [found[i] for i in range(len(texts))]
    return adjusted_rand_score(truth, labels), v_measure_score(truth, labels), len(grouping.new_groups)


def table(rows: list[tuple[str, str, int, str]], grid: list[GroupingSettings], *, incremental: bool) -> None:
    print(
        "weight  cluster  join   templates: ARI    V      topics/templates  comments/s  encoded"
        "   paraphrases: ARI    V      topics"
    )
    for settings in grid:
        ari, v, topics, templates, speed, encoded = run(rows, settings, incremental=incremental)
        p_ari, p_v, p_topics = paraphrases(settings)
        print(
            f"{settings.semantic_weight:>6.2f}  {settings.cluster_threshold:>7.2f}  {settings.join_threshold:>4.2f}"
            f"             {ari:.3f}  {v:.3f}  {topics:>5}/{templates:<5}       {speed:>9,.0f}  {encoded:>7}"
            f"                {p_ari:.3f}  {p_v:.3f}  {p_topics:>3}/{len(PARAPHRASES)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--weights", default="0,0.3,0.5,0.7", help="semantic weights to try (0: n-grams alone)")
    parser.add_argument("--thresholds", default="0.3,0.35,0.4,0.45", help="cluster (and join) thresholds to try")
    args = parser.parse_args()
    weights = [float(w) for w in args.weights.split(",")]
    thresholds = [float(t) for t in args.thresholds.split(",")]
    rows = simulated(args.comments, args.seed)
    started = time.perf_counter()
    SentenceEncoder().encode(["加载模型"])
    print(f"sentence encoder loaded in {time.perf_counter() - started:.1f} s (once per process)")
    sample = sorted({text for *_, text in rows})[:1000]
    started = time.perf_counter()
    SentenceEncoder().encode(sample)
    print(f"encoder alone: {len(sample) / (time.perf_counter() - started):,.0f} texts/s (one batch, one thread)")
    print(f"{len(rows)} simulated comments (demand/question/complaint) over {len(example_shelf())} products")
    print("all at once (join threshold unused)")
    default = GroupingSettings()
    grid = [
        replace(default, semantic_weight=w, cluster_threshold=t, join_threshold=t) for w in weights for t in thresholds
    ]
    table(rows, grid, incremental=False)
    print("incremental (half, then half joining the first half's topics)")
    table(rows, grid, incremental=True)


if __name__ == "__main__":
    main()
