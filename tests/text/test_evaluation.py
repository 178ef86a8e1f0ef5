"""Metrics of ``livebridge nlp eval --json`` on data never trained on stay above their floors."""

from __future__ import annotations

from typing import Any

import pytest

from livebridge.text.evaluation import GOALS, failed_goals
from livebridge.text.labels import ASPECTS, MODEL_INTENTS

# The published goals, plus floors for the figures that have no goal (a little under today's value).
FLOORS = {
    **GOALS,
    "comment_sentiment.accuracy": 0.85,
    "aspect_sentiment.accuracy_on_detected_aspects": 0.85,
    "review_sentiment.pipeline_accuracy": 0.88,
    "absa_aspect_sentiment.accuracy": 0.80,
}


@pytest.mark.parametrize(("metric", "floor"), FLOORS.items())
def test_metric_stays_above_its_floor(eval_report: dict[str, Any], metric: str, floor: float) -> None:
    section, name = metric.split(".")
    assert eval_report[section][name] >= floor


def test_report_covers_every_intent_and_aspect(eval_report: dict[str, Any]) -> None:
    assert set(eval_report["intent"]["per_class_f1"]) == set(MODEL_INTENTS)
    assert set(eval_report["aspects"]["per_aspect_f1"]) == set(ASPECTS)
    assert eval_report["review_sentiment"]["held_back_reviews"] > 9000
    assert failed_goals(eval_report) == []


def test_failed_goals_names_the_metrics_below_their_goal() -> None:
    report = {"goals": {"a.b": {"floor": 0.8, "value": 0.79}, "c.d": {"floor": 0.8, "value": 0.8}}}
    assert failed_goals(report) == ["a.b"]
