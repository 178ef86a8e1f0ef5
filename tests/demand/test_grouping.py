"""Grouping with sentence embeddings: different wordings of one wish meet, different wishes stay apart.

These run the real encoder (USE multilingual v3, offline, weights inside the installed package)."""

from __future__ import annotations

from collections.abc import Sequence

from livebridge.demand.embedding import SentenceEncoder
from livebridge.demand.grouping import Comment, Grouping, GroupingSettings, TextCleaner, fit_vectorizer, group_comments
from livebridge.text import normalize

# Authored wishes, worded so that they share few characters within a wish.
TIMER = ["希望加个定时功能", "要是有定时功能就好了", "定时功能什么时候有"]
PINK = ["有没有粉色", "出个粉色的吧", "希望有粉色款", "想要粉色的"]
CHEAPER = ["能不能便宜点", "再便宜点吧", "太贵了 便宜点"]
N_GRAMS_ALONE = GroupingSettings(semantic_weight=0.0)


def comments(texts: Sequence[str], start: int = 1) -> list[Comment]:
    return [Comment(start + i, normalize(text)) for i, text in enumerate(texts)]


def group(
    new: Sequence[Comment],
    existing: dict[int, list[Comment]] | None = None,
    settings: GroupingSettings | None = None,
    encoder: SentenceEncoder | None = None,
) -> Grouping:
    cleaner = TextCleaner(("暖风机",))
    everything = [*new, *(c for members in (existing or {}).values() for c in members)]
    vectorizer = fit_vectorizer([cleaner.clean(c.text) for c in everything])
    return group_comments(new, existing or {}, vectorizer, cleaner, settings, encoder or SentenceEncoder())


def test_wordings_of_one_wish_form_one_topic_and_wishes_stay_apart() -> None:
    new = comments(TIMER + PINK + CHEAPER)
    ids = [c.event_row_id for c in new]
    expected = [ids[:3], ids[3:7], ids[7:]]
    assert group(new).new_groups == expected
    # Character n-grams alone keep some wordings apart: the embeddings are what brings them together.
    assert group(new, settings=N_GRAMS_ALONE).new_groups != expected


def test_a_new_wording_joins_the_topic_of_its_wish() -> None:
    existing = {10: comments(TIMER[:1] + TIMER[2:], start=1), 20: comments(PINK, start=5)}
    new = comments(["暖风机要是有定时功能就好了", "出个粉色的吧", "能不能出个静音版"], start=20)
    grouping = group(new, existing)
    assert grouping.joins == {20: 10, 21: 20}
    assert grouping.new_groups == [[22]]
    assert group(new, existing, settings=N_GRAMS_ALONE).joins.get(20) is None


def test_the_same_comments_give_the_same_grouping_with_a_cold_or_warm_cache() -> None:
    encoder = SentenceEncoder()
    new = comments(TIMER + PINK + CHEAPER + ["出个大号的吧", "出个大号的吧🤔", "主播 出个大号的吧"])
    first = group(new, encoder=encoder)
    encoded = encoder.encoded
    # One text per near-duplicate group is encoded (the three 大号 comments are one group).
    near_duplicate_groups = {first.duplicate_of.get(c.event_row_id, c.event_row_id) for c in new}
    assert len(near_duplicate_groups) < len(new)
    assert encoded == len(near_duplicate_groups)
    assert group(new, encoder=encoder) == first
    assert encoder.encoded == encoded  # the second run found every vector in the cache
    assert group(new, encoder=SentenceEncoder()) == first


def test_the_cache_keeps_the_most_recently_used_texts() -> None:
    encoder = SentenceEncoder(cache_size=2)
    vectors = encoder.encode(["有没有粉色", "能不能便宜点", ""])
    assert vectors.shape == (3, 512)
    assert not vectors[2].any()  # an empty text is a zero vector, not a model call
    assert encoder.encoded == 2
    encoder.encode(["有没有粉色"])  # refreshes it: 能不能便宜点 is now the oldest
    encoder.encode(["出个套装吧"])
    assert encoder.encoded == 3
    again = encoder.encode(["有没有粉色", "能不能便宜点"])
    assert encoder.encoded == 4  # only the evicted text was encoded again
    assert abs(float(again[0] @ vectors[0]) - 1.0) < 1e-5
