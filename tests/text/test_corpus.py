"""The authored corpus: marked as authored, complete, and split once with a frozen test file."""

from __future__ import annotations

import json
import re
from collections import Counter

from livebridge.text import normalize
from livebridge.text.datasets import AUTHORED_CORPUS_DIR, file_sha256, read_authored_comments
from livebridge.text.labels import ASPECTS, MODEL_INTENTS, SENTIMENTS

TEST_FILE = AUTHORED_CORPUS_DIR / "authored_live_comments.test.jsonl"
# The test file was split off once and is never rewritten; changing it must be a deliberate act.
FROZEN_TEST_SHA256 = "c048ec08af01fa9b9934e7a56257d4f4c2bab12ac2bee81f61119021489a7558"


def test_the_test_file_is_frozen() -> None:
    assert file_sha256(TEST_FILE) == FROZEN_TEST_SHA256
    assert len(read_authored_comments("test")) == 674


def test_every_record_is_marked_as_authored() -> None:
    readme = (AUTHORED_CORPUS_DIR / "README.md").read_text(encoding="utf-8")
    assert "written by the LiveBridge project" in readme
    for split in ("train", "test"):
        path = AUTHORED_CORPUS_DIR / f"authored_live_comments.{split}.jsonl"
        for line in path.read_text(encoding="utf-8").splitlines():
            assert json.loads(line)["origin"] == "authored"


def test_size_and_coverage_of_both_splits() -> None:
    train, test = read_authored_comments("train"), read_authored_comments("test")
    assert len(train) + len(test) >= 3000
    for comments in (train, test):
        assert set(Counter(comment.intent for comment in comments)) == set(MODEL_INTENTS)
        assert set(Counter(aspect for comment in comments for aspect in comment.aspects)) == set(ASPECTS)
        assert {comment.sentiment for comment in comments} == set(SENTIMENTS)


def test_no_test_comment_is_in_the_train_file_even_after_normalisation() -> None:
    train = {normalize(comment.text) for comment in read_authored_comments("train")}
    assert [c.text for c in read_authored_comments("test") if normalize(c.text) in train] == []


def test_the_corpus_holds_the_hard_cases() -> None:
    texts = [comment.text for split in ("train", "test") for comment in read_authored_comments(split)]
    joined = "\n".join(texts)
    slang = ("咋", "啥", "木有", "亲", "宝宝们", "家人们", "yyds", "绝绝子")
    for phrase in (*slang, "不是不好", "没有不满意", "几号链接", "3号链接"):
        assert phrase in joined, phrase
    assert any(re.search(r"[\U0001f300-\U0001faff]", text) for text in texts)
    questions_without_mark = [
        c for c in read_authored_comments("train") if c.intent == "question" and not re.search(r"[?？]", c.text)
    ]
    assert len(questions_without_mark) > 500
