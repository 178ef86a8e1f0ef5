"""``CommentAnalyzer`` on hard live-room comments, odd input, and batch behaviour."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livebridge.text import ASPECTS, INTENTS, SENTIMENTS, CommentAnalysis, CommentAnalyzer


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # questions, most without a question mark, in slang
        ("这个多少钱", "question"),
        ("这件有白色的没", "question"),
        ("木有大码吗", "question"),
        ("咋用啊", "question"),
        ("亲 包邮不", "question"),
        ("家人们这个质量咋样", "question"),
        ("不会起球吧", "question"),
        ("3号链接多少钱", "question"),
        # buying, including asking for the link number
        ("几号链接", "purchase_intent"),
        ("这是几号链接", "purchase_intent"),
        ("已拍", "purchase_intent"),
        ("上车", "purchase_intent"),
        ("宝宝们冲", "purchase_intent"),
        # wanting what does not exist yet
        ("能不能出个大码", "demand"),
        ("要是有粉色就好了", "demand"),
        ("能便宜点吗", "demand"),
        ("质量太差了", "complaint"),
        ("用了两天就坏了", "complaint"),
        ("客服一直不回", "complaint"),
        ("说明书看不懂", "complaint"),
        ("😡😡", "complaint"),
        ("这个锅很好用", "praise"),
        ("没有不满意的地方", "praise"),
        ("yyds", "praise"),
        ("绝绝子", "praise"),
        ("👍👍", "praise"),
        ("主播晚上好", "chitchat"),
        ("来了来了", "chitchat"),
        ("刚来 讲到哪了", "chitchat"),
        ("加微信领红包", "spam"),
        ("兼职日结 私我", "spam"),
        ("点我头像领福利", "spam"),
    ],
)
def test_intent(analyzer: CommentAnalyzer, text: str, intent: str) -> None:
    assert analyzer.analyze(text).intent == intent


@pytest.mark.parametrize(
    ("text", "aspects"),
    [
        ("有没有大码", {"size"}),
        ("这件有白色的没", {"colour"}),
        ("太贵了吧", {"price"}),
        ("用了两天就坏了", {"quality"}),
        ("面料是纯棉的吗", {"material"}),
        ("声音大不大", {"function"}),
        ("盒子压坏了", {"packaging"}),
        ("快递几天到", {"logistics"}),
        ("售后怎么联系", {"after_sales"}),
        ("是正品吗", {"authenticity"}),
        ("这个适合敏感肌吗", {"usage_installation"}),
        ("颜色好看但是质量不行", {"colour", "quality"}),
        ("主播晚上好", set()),
    ],
)
def test_aspects(analyzer: CommentAnalyzer, text: str, aspects: set[str]) -> None:
    assert set(analyzer.analyze(text).aspects) == aspects


@pytest.mark.parametrize(
    ("text", "sentiment"),
    [
        ("不是不好", "positive"),
        ("没有不满意", "positive"),
        ("质量太差了", "negative"),
        ("这个锅很好用", "positive"),
        ("有没有大码", "neutral"),
        ("几号链接", "neutral"),
    ],
)
def test_sentiment_including_negation(analyzer: CommentAnalyzer, text: str, sentiment: str) -> None:
    assert analyzer.analyze(text).sentiment == sentiment


def test_each_aspect_takes_the_sentiment_of_its_own_clause(analyzer: CommentAnalyzer) -> None:
    assert analyzer.analyze("颜色好看但是质量不行").aspect_sentiments == {"colour": "positive", "quality": "negative"}
    mixed = analyzer.analyze("不是不好用 就是有点贵").aspect_sentiments
    assert mixed["price"] == "negative"


def test_link_number_is_reported(analyzer: CommentAnalyzer) -> None:
    assert analyzer.analyze("3号链接多少钱").link_number == 3
    assert analyzer.analyze("几号链接").link_number is None


@pytest.mark.parametrize("text", ["", "   ", "？？？", "...!!!", "\x00\x01\x02", b"\xff\xfe\xfd", b""])
def test_empty_or_garbage_input_is_unknown(analyzer: CommentAnalyzer, text: str | bytes) -> None:
    result = analyzer.analyze(text)
    assert (result.intent, result.intent_confidence, result.sentiment) == ("unknown", 0.0, "neutral")
    assert (result.aspects, result.aspect_sentiments) == ((), {})


def test_very_long_and_mixed_script_input(analyzer: CommentAnalyzer) -> None:
    long_result = analyzer.analyze("质量很好物流也快" * 20_000)
    assert len(long_result.normalized) == 500
    assert long_result.sentiment == "positive"
    assert analyzer.analyze("مرحبا こんにちは 안녕 Привет 你好").intent in INTENTS


def test_batch_matches_single_calls_in_order(analyzer: CommentAnalyzer) -> None:
    texts: list[str | bytes] = ["已拍", "", "质量太差了", "颜色好看但是质量不行", b"\xff", "有没有大码", "加v看主页"]
    assert analyzer.analyze_batch(texts) == [analyzer.analyze(text) for text in texts]
    assert analyzer.analyze_batch([]) == []


def test_analysis_is_json_ready(analyzer: CommentAnalyzer) -> None:
    record = analyzer.analyze("颜色好看但是质量不行 3号链接").to_dict()
    assert json.loads(json.dumps(record, ensure_ascii=False)) == record
    assert set(record) == {
        "intent", "intent_confidence", "aspects", "sentiment", "aspect_sentiments", "normalized", "link_number"
    }


def test_polarity_of_reviews(analyzer: CommentAnalyzer) -> None:
    assert analyzer.polarity_batch(["东西收到了，质量非常好，下次还来", "用了两天就坏了，太失望了"]) == [
        "positive",
        "negative",
    ]


def test_mention_sentiment_reads_the_clause_of_the_mention(analyzer: CommentAnalyzer) -> None:
    text = "屏幕很清晰，但是电池续航太差了"
    assert analyzer.mention_sentiment(text, "屏幕") == "positive"
    assert analyzer.mention_sentiment(text, "电池续航") == "negative"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_any_input_gives_a_valid_analysis(analyzer: CommentAnalyzer, raw: str | bytes) -> None:
    result = analyzer.analyze(raw)
    assert isinstance(result, CommentAnalysis)
    assert result.intent in INTENTS
    assert 0.0 <= result.intent_confidence <= 1.0
    assert set(result.aspects) <= set(ASPECTS)
    assert result.sentiment in SENTIMENTS
    assert set(result.aspect_sentiments) == set(result.aspects)
