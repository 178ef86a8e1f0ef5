"""Readers of the public data: read as stored, and the held-back fifth is never in training."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from livebridge.text import TrainingDataError, datasets
from livebridge.text.datasets import (
    DATA_DIR_ENV,
    is_held_out,
    read_absa_mentions,
    read_asap_price_reviews,
    read_authored_comments,
    read_online_shopping_reviews,
    resolve_data_dir,
)


def test_held_out_rule_is_stable_and_keeps_a_fifth() -> None:
    texts = [f"评论{number}" for number in range(20_000)]
    share = sum(map(is_held_out, texts)) / len(texts)
    assert 0.19 < share < 0.21
    assert [is_held_out(text) for text in texts[:50]] == [is_held_out(text) for text in texts[:50]]


def test_online_shopping_training_part_never_holds_a_held_back_review(shared_data_dir: Path) -> None:
    training = {review.text for review in read_online_shopping_reviews(shared_data_dir, held_out=False)}
    held_back = {review.text for review in read_online_shopping_reviews(shared_data_dir, held_out=True)}
    assert not training & held_back
    assert 0.18 < len(held_back) / (len(training) + len(held_back)) < 0.22
    assert len(training) > 35_000


def test_absa_split_is_by_sentence(shared_data_dir: Path) -> None:
    training = read_absa_mentions(shared_data_dir, held_out=False)
    held_back = read_absa_mentions(shared_data_dir, held_out=True)
    assert not {m.sentence for m in training} & {m.sentence for m in held_back}
    assert {m.domain for m in training} == set(datasets.ABSA_DOMAINS)
    assert all(m.term in m.sentence and " " not in m.term for m in training[:200])


def test_asap_price_sentiment(shared_data_dir: Path) -> None:
    reviews = read_asap_price_reviews(shared_data_dir)
    assert len(reviews) == 200
    assert {review.price_sentiment for review in reviews} == {None, "positive", "neutral", "negative"}


def test_missing_data_folder_names_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(TrainingDataError, match=DATA_DIR_ENV):
        resolve_data_dir(tmp_path / "absent")
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    assert resolve_data_dir() == tmp_path


def test_a_bad_authored_record_is_reported_with_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = {"text": "已拍", "intent": "purchase_intent", "aspects": [], "sentiment": "neutral", "aspect_sentiments": {}}
    bad = {**good, "aspects": ["size"]}
    (tmp_path / "authored_live_comments.train.jsonl").write_text(
        json.dumps(good, ensure_ascii=False) + "\n" + json.dumps(bad, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    monkeypatch.setattr(datasets, "AUTHORED_CORPUS_DIR", tmp_path)
    with pytest.raises(TrainingDataError, match=r"train\.jsonl:2"):
        read_authored_comments("train")
