"""Measure trained comment models on data they never saw.

* Authored corpus, frozen test file: intent (macro-F1, per-class F1), aspects (micro-F1,
  per-aspect F1), comment sentiment, aspect sentiment.
* online_shopping_10_cats, held-back fifth: review sentiment. ``accuracy`` is the polarity model
  (these reviews are all positive or negative); ``pipeline_accuracy`` runs the full analyser,
  where a "neutral" answer counts as wrong.
* ABSA (camera/car/notebook/phone), held-back fifth: the sentiment towards a given aspect term,
  read from the clause that contains it; neutral answers count as wrong.
* ASAP restaurant sample (out of domain): is price mentioned, and with which sentiment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from livebridge.text.analyzer import CommentAnalyzer
from livebridge.text.datasets import (
    read_absa_mentions,
    read_asap_price_reviews,
    read_authored_comments,
    read_online_shopping_reviews,
    resolve_data_dir,
)
from livebridge.text.labels import ASPECTS, MODEL_INTENTS, SENTIMENTS

__all__ = ["GOALS", "evaluate", "failed_goals"]

# metric path → the lowest acceptable value
GOALS: Final[dict[str, float]] = {
    "intent.macro_f1": 0.85,
    "aspects.micro_f1": 0.80,
    "review_sentiment.accuracy": 0.93,
}


def evaluate(analyzer: CommentAnalyzer, data_dir: Path | str | None = None) -> dict[str, Any]:
    """All metrics, as a JSON-ready nested dict (numbers rounded to 4 places)."""
    shared = resolve_data_dir(data_dir)
    report = {
        **_authored_metrics(analyzer),
        "review_sentiment": _review_metrics(analyzer, shared),
        "absa_aspect_sentiment": _absa_metrics(analyzer, shared),
        "asap_price": _asap_metrics(analyzer, shared),
    }
    report["goals"] = {name: {"floor": floor, "value": _lookup(report, name)} for name, floor in GOALS.items()}
    return report


def failed_goals(report: dict[str, Any]) -> list[str]:
    return [name for name, goal in report["goals"].items() if goal["value"] < goal["floor"]]


def _authored_metrics(analyzer: CommentAnalyzer) -> dict[str, Any]:
    comments = read_authored_comments("test")
    results = analyzer.analyze_batch([comment.text for comment in comments])
    gold_intents = [comment.intent for comment in comments]
    predicted_intents = [result.intent for result in results]
    intent_f1 = f1_score(gold_intents, predicted_intents, labels=list(MODEL_INTENTS), average=None, zero_division=0)

    gold_aspects = np.array([[aspect in comment.aspects for aspect in ASPECTS] for comment in comments])
    predicted_aspects = np.array([[aspect in result.aspects for aspect in ASPECTS] for result in results])
    precision, recall, micro_f1, _ = precision_recall_fscore_support(
        gold_aspects, predicted_aspects, average="micro", zero_division=0
    )
    aspect_f1 = f1_score(gold_aspects, predicted_aspects, average=None, zero_division=0)

    gold_pairs = {(row, *pair) for row, comment in enumerate(comments) for pair in comment.aspect_sentiments.items()}
    predicted_pairs = {(row, *pair) for row, result in enumerate(results) for pair in result.aspect_sentiments.items()}
    detected = [
        (comment.aspect_sentiments[aspect], result.aspect_sentiments[aspect])
        for comment, result in zip(comments, results, strict=True)
        for aspect in comment.aspects
        if aspect in result.aspect_sentiments
    ]
    gold_sentiments = [comment.sentiment for comment in comments]
    predicted_sentiments = [result.sentiment for result in results]
    return {
        "intent": {
            "test_comments": len(comments),
            "accuracy": _round(accuracy_score(gold_intents, predicted_intents)),
            "macro_f1": _round(float(np.mean(intent_f1))),
            "per_class_f1": {intent: _round(value) for intent, value in zip(MODEL_INTENTS, intent_f1, strict=True)},
        },
        "aspects": {
            "test_comments": len(comments),
            "gold_mentions": int(gold_aspects.sum()),
            "micro_precision": _round(precision),
            "micro_recall": _round(recall),
            "micro_f1": _round(micro_f1),
            "per_aspect_f1": {aspect: _round(value) for aspect, value in zip(ASPECTS, aspect_f1, strict=True)},
        },
        "comment_sentiment": {
            "test_comments": len(comments),
            "accuracy": _round(accuracy_score(gold_sentiments, predicted_sentiments)),
            "macro_f1": _round(
                f1_score(gold_sentiments, predicted_sentiments, labels=list(SENTIMENTS), average="macro")
            ),
        },
        "aspect_sentiment": {
            "gold_pairs": len(gold_pairs),
            "pair_micro_f1": _round(_set_f1(gold_pairs, predicted_pairs)),
            "accuracy_on_detected_aspects": _round(
                accuracy_score([gold for gold, _ in detected], [found for _, found in detected]) if detected else 0.0
            ),
        },
    }


def _review_metrics(analyzer: CommentAnalyzer, shared: Path) -> dict[str, Any]:
    reviews = read_online_shopping_reviews(shared, held_out=True)
    gold = [review.sentiment for review in reviews]
    results = analyzer.analyze_batch([review.text for review in reviews])
    predicted = analyzer.polarity_batch([review.text for review in reviews])
    pipeline = [result.sentiment for result in results]
    return {
        "held_back_reviews": len(reviews),
        "accuracy": _round(accuracy_score(gold, predicted)),
        "pipeline_accuracy": _round(accuracy_score(gold, pipeline)),
        "pipeline_neutral_share": _round(pipeline.count("neutral") / max(len(pipeline), 1)),
    }


def _absa_metrics(analyzer: CommentAnalyzer, shared: Path) -> dict[str, Any]:
    mentions = read_absa_mentions(shared, held_out=True)
    gold = [mention.sentiment for mention in mentions]
    predicted = [analyzer.mention_sentiment(mention.sentence, mention.term) for mention in mentions]
    return {
        "held_back_mentions": len(mentions),
        "accuracy": _round(accuracy_score(gold, predicted)),
        "macro_f1_positive_negative": _round(
            f1_score(gold, predicted, labels=["positive", "negative"], average="macro", zero_division=0)
        ),
        "neutral_share": _round(predicted.count("neutral") / max(len(predicted), 1)),
    }


def _asap_metrics(analyzer: CommentAnalyzer, shared: Path) -> dict[str, Any]:
    reviews = read_asap_price_reviews(shared)
    results = analyzer.analyze_batch([review.text for review in reviews])
    gold = [review.price_sentiment is not None for review in reviews]
    found = ["price" in result.aspects for result in results]
    precision, recall, f1, _ = precision_recall_fscore_support(gold, found, average="binary", zero_division=0)
    both = [
        (review.price_sentiment, result.aspect_sentiments["price"])
        for review, result in zip(reviews, results, strict=True)
        if review.price_sentiment is not None and "price" in result.aspect_sentiments
    ]
    return {
        "reviews": len(reviews),
        "price_mentioned": sum(gold),
        "price_precision": _round(precision),
        "price_recall": _round(recall),
        "price_f1": _round(f1),
        "price_sentiment_accuracy_on_detected": _round(
            accuracy_score([g for g, _ in both], [p for _, p in both]) if both else 0.0
        ),
    }


def _set_f1(gold: set[Any], predicted: set[Any]) -> float:
    if not gold or not predicted:
        return 0.0
    hits = len(gold & predicted)
    return 2 * hits / (len(gold) + len(predicted))


def _lookup(report: dict[str, Any], dotted: str) -> float:
    value: Any = report
    for part in dotted.split("."):
        value = value[part]
    return float(value)


def _round(value: Any) -> float:
    return round(float(value), 4)
