"""Grouping short comments into demand topics: pure functions, no database.

Per (product, kind) partition, new comments are placed in three steps, each deterministic for the
same input (everything is ordered by ``event_row_id``):

1. **Near-duplicates** by MinHash-LSH over character bigrams (64 permutations, Jaccard ≥ 0.5, the
   setting measured best for 10–30 character comments in the reference notes). A new comment
   that near-duplicates a comment already in a topic joins that topic.
2. **Existing topics**: each remaining near-duplicate group is compared with the centroid of each
   existing topic, and joins the closest one when the similarity reaches ``join_threshold``.
   Comments already in a topic never move, so topic ids stay stable across rebuilds and user merges
   and splits survive.
3. **New topics**: the groups left over are clustered by average-linkage agglomerative clustering
   on cosine distance, cut at ``1 - cluster_threshold``.

The similarity in steps 2 and 3 blends two signals: ``semantic_weight`` × the cosine of sentence
embeddings (USE multilingual v3, ``embedding.py``: different wordings of one wish, 「希望加个定时功能」
and 「定时功能什么时候有」) + the rest × the cosine of character 1–3-gram TF-IDF vectors (the
shared words of rewordings of one phrase). Both parts are L2-normalised and concatenated with
weights √w and √(1 − w), so the cosine of the concatenation is exactly the weighted sum. Only one
text per near-duplicate group (its first) and at most ``centroid_sample`` distinct texts per
existing topic are embedded: that bounds the encoder's work, and the vectors are cached per text.

Before vectorising, forms of address (主播, 姐妹们 …), emoji and bracketed emotes, the product's own
names and link numbers are removed: they say nothing about what is asked.
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jieba
import numpy as np
from datasketch import MinHash, MinHashLSH
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize as l2_normalize

from livebridge.demand.embedding import TextEncoder, shared_encoder

__all__ = [
    "Comment",
    "Grouping",
    "GroupingSettings",
    "TextCleaner",
    "fit_vectorizer",
    "group_comments",
    "key_phrases",
    "phrase_counts",
    "readable_label",
    "vectors_of",
]

ADDRESS_WORDS = ("主播主播", "主播", "姐妹们", "宝子们", "家人们", "宝宝们", "老板", "小姐姐", "亲")
jieba.setLogLevel(logging.WARNING)

_EMOTE = re.compile(r"\[[^\[\]]{1,6}\]")
_NON_WORD = re.compile(r"[^\w]+")
_EMOJI = re.compile(r"[\u2600-\u27bf\U0001f000-\U0001faff\ufe0f]")
_DEMONSTRATIVES = ("这个", "这款", "那个")
# A link number names the product (3号链接, 链接3, 三号, 3号宝贝): the partition already says which.
_LINK_REFERENCE = re.compile(r"(?:\d{1,3}|[一二三四五六七八九十]{1,3})号(?:链接|宝贝)?|链接\s?\d{1,3}")
# Words of two or more characters that carry no topic of their own (single characters are dropped anyway).
STOPWORDS = frozenset(
    (
        "我们",
        "你们",
        "这个",
        "那个",
        "这款",
        "一个",
        "什么",
        "怎么",
        "多少",
        "能不能",
        "可以",
        "可不可以",
        "请问",
        "一下",
        "啊啊",
        "哈哈",
        "哈哈哈",
        "主播",
        "姐妹们",
        "宝子们",
        "家人们",
        "老板",
        "链接",
        "号链接",
        "了吗",
        "真的",
        "还有",
        "有没有",
        "是不是",
        "就是",
        "现在",
        "今天",
    )
)


@dataclass(frozen=True, slots=True)
class Comment:
    """An eligible comment: its insight's ``event_row_id`` and normalised text."""

    event_row_id: int
    text: str


@dataclass(frozen=True)
class GroupingSettings:
    shingle_size: int = 2
    num_perm: int = 64
    duplicate_threshold: float = 0.5
    # Chosen with bench/demand_grouping.py (see docs/benchmarks.md).
    join_threshold: float = 0.45
    cluster_threshold: float = 0.45
    semantic_weight: float = 0.6  # 0: character n-grams alone, no encoder
    centroid_sample: int = 32


@dataclass
class Grouping:
    """Where each new comment goes: an existing topic, or one of the new groups (in creation order)."""

    joins: dict[int, int] = field(default_factory=dict)  # event_row_id → existing topic id
    new_groups: list[list[int]] = field(default_factory=list)  # event_row_ids, each list one new topic
    duplicate_of: dict[int, int] = field(default_factory=dict)  # event_row_id → its near-duplicate group's first


class TextCleaner:
    """Removes what says nothing about the request: address words, emotes, emoji, product names, link numbers."""

    def __init__(self, product_terms: Iterable[str] = ()) -> None:
        # Longest first (a name inside a longer one goes with it), then by text: the same order in every process.
        terms = sorted({t.lower() for t in (*product_terms, *_DEMONSTRATIVES) if t}, key=lambda t: (-len(t), t))
        self._terms = terms

    def strip_leading(self, text: str) -> str:
        """Without the product names and demonstratives it starts with: the product is shown beside the label."""
        stripped = text
        while True:
            lowered = stripped.lower()
            term = next((t for t in self._terms if lowered.startswith(t)), None)
            if term is None or len(term) >= len(stripped):
                return stripped
            stripped = stripped[len(term) :].lstrip(" ，,")

    def clean(self, text: str) -> str:
        cleaned = _EMOJI.sub(" ", _EMOTE.sub(" ", text.lower()))
        for word in ADDRESS_WORDS:
            if cleaned.startswith(word):
                cleaned = cleaned[len(word) :]
        for term in self._terms:
            cleaned = cleaned.replace(term, " ")
        cleaned = _LINK_REFERENCE.sub(" ", cleaned)
        return " ".join(cleaned.split())


@functools.cache
def _minhash_template(num_perm: int) -> MinHash:
    """Building a MinHash draws its permutations; every signature of a run shares one template's."""
    return MinHash(num_perm=num_perm, seed=1)


@functools.cache
def _lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """LSH bands and rows for a threshold (datasketch finds them by numeric integration: do it once)."""
    probe = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return probe.b, probe.r


# Signatures and word cuts are cached by text: a worker regrouping as comments arrive meets the
# same (cleaned) texts again and again.
@functools.lru_cache(maxsize=200_000)
def _signature(text: str, shingle_size: int, num_perm: int) -> MinHash | None:
    """The MinHash of a text's character shingles (read-only: shared through the cache), or None if empty."""
    shingles = _shingles(text, shingle_size)
    if not shingles:
        return None
    template = _minhash_template(num_perm)
    signature = MinHash(num_perm=num_perm, seed=1, permutations=template.permutations, scheme=template.scheme)
    signature.update_batch(sorted(shingles))
    return signature


def _shingles(text: str, size: int) -> set[bytes]:
    compact = _NON_WORD.sub("", text)
    if len(compact) <= size:
        return {compact.encode()} if compact else set()
    return {compact[i : i + size].encode() for i in range(len(compact) - size + 1)}


class _UnionFind:
    def __init__(self, items: Iterable[int]) -> None:
        self.parent = {item: item for item in items}

    def find(self, item: int) -> int:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:  # the smaller id stays the root: groups are named by their first comment
            self.parent[max(ra, rb)] = min(ra, rb)


def fit_vectorizer(texts: Sequence[str]) -> TfidfVectorizer:
    """Character 1–3-gram TF-IDF, fitted on the cleaned texts of one rebuild (a placeholder when all are empty)."""
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1)
    usable = [text for text in texts if text.strip()]
    vectorizer.fit(usable or ["∅"])
    return vectorizer


def vectors_of(vectorizer: TfidfVectorizer, texts: Sequence[str]) -> Any:
    return vectorizer.transform([text or " " for text in texts])


def group_comments(
    new: Sequence[Comment],
    existing: Mapping[int, Sequence[Comment]],
    vectorizer: TfidfVectorizer,
    cleaner: TextCleaner,
    settings: GroupingSettings | None = None,
    encoder: TextEncoder | None = None,
) -> Grouping:
    """Place ``new`` comments of one partition: join ``existing`` topics (id → members) or form new groups.

    ``encoder`` embeds texts when ``settings.semantic_weight`` > 0 (the process's shared encoder if not given)."""
    settings = settings or GroupingSettings()
    grouping = Grouping()
    if not new:
        return grouping
    new = sorted(new, key=lambda c: c.event_row_id)
    cleaned = {c.event_row_id: cleaner.clean(c.text) for c in new}
    member_topic = {c.event_row_id: topic_id for topic_id, members in existing.items() for c in members}
    for members in existing.values():
        cleaned.update({c.event_row_id: cleaner.clean(c.text) for c in members})

    # 1. Near-duplicates, among the new comments and against comments already placed.
    lsh = MinHashLSH(
        threshold=settings.duplicate_threshold,
        num_perm=settings.num_perm,
        params=_lsh_params(settings.duplicate_threshold, settings.num_perm),
    )
    signatures: dict[int, MinHash] = {}
    for event_id in sorted(cleaned):
        signature = _signature(cleaned[event_id], settings.shingle_size, settings.num_perm)
        if signature is None:
            continue
        signatures[event_id] = signature
        lsh.insert(str(event_id), signature)
    union = _UnionFind(c.event_row_id for c in new)
    closest_placed: dict[int, tuple[float, int]] = {}  # new comment → (-Jaccard, placed comment) of its best match
    for comment in new:
        signature = signatures.get(comment.event_row_id)
        if signature is None:
            continue
        for key in sorted(lsh.query(signature)):
            other = int(key)
            if other == comment.event_row_id:
                continue
            similarity = signature.jaccard(signatures[other])
            if similarity < settings.duplicate_threshold:
                continue
            if other in member_topic:
                match = (-similarity, other)
                closest_placed[comment.event_row_id] = min(closest_placed.get(comment.event_row_id, match), match)
            else:
                union.union(comment.event_row_id, other)
    groups: dict[int, list[int]] = {}
    for comment in new:
        groups.setdefault(union.find(comment.event_row_id), []).append(comment.event_row_id)
    pending: list[list[int]] = []
    for root, event_ids in sorted(groups.items()):
        matches = [closest_placed[e] for e in event_ids if e in closest_placed]
        if matches:
            # Near-duplicates of a placed comment join the topic of the closest one.
            _, placed = min(matches)
            for event_id in event_ids:
                grouping.joins[event_id] = member_topic[placed]
                grouping.duplicate_of[event_id] = placed
            continue
        if len(event_ids) > 1:
            grouping.duplicate_of.update(dict.fromkeys(event_ids, root))
        pending.append(event_ids)
    if not pending:
        return grouping

    # 2. Existing topics, by centroid similarity (one transform for every text of the partition).
    order = sorted(cleaned)
    row_of = {event_id: row for row, event_id in enumerate(order)}
    matrix = vectors_of(vectorizer, [cleaned[e] for e in order])

    def mean_vector(event_ids: Iterable[int]) -> Any:
        return np.asarray(matrix[[row_of[e] for e in event_ids]].mean(axis=0))

    weight = settings.semantic_weight
    encoder = (encoder or shared_encoder()) if weight > 0 else None
    group_vectors = l2_normalize(np.vstack([mean_vector(ids) for ids in pending]))
    if encoder is not None:
        # One representative per near-duplicate group, its first comment: the others say the same.
        group_vectors = _blend(group_vectors, encoder.encode([cleaned[ids[0]] for ids in pending]), weight)
    leftover: list[int] = list(range(len(pending)))
    if existing:
        topic_ids = sorted(existing)
        centroids = l2_normalize(
            np.vstack(
                [
                    np.asarray(vectors_of(vectorizer, [cleaned[c.event_row_id] for c in existing[t]]).mean(axis=0))
                    for t in topic_ids
                ]
            )
        )
        if encoder is not None:
            samples = [_sample(existing[t], cleaned, settings.centroid_sample) for t in topic_ids]
            embedded = encoder.encode([text for sample in samples for text in sample])
            bounds = np.cumsum([0, *(len(sample) for sample in samples)])
            semantic_centroids = np.vstack(
                [
                    embedded[start:end].mean(axis=0) if end > start else np.zeros(embedded.shape[1], np.float32)
                    for start, end in itertools.pairwise(bounds.tolist())
                ]
            )
            centroids = _blend(centroids, l2_normalize(semantic_centroids), weight)
        similarity = group_vectors @ centroids.T
        leftover = []
        for index, ids in enumerate(pending):
            best = int(similarity[index].argmax())
            if similarity[index, best] >= settings.join_threshold:
                for event_id in ids:
                    grouping.joins[event_id] = topic_ids[best]
            else:
                leftover.append(index)

    # 3. New topics from what is left.
    if len(leftover) == 1:
        grouping.new_groups.append(sorted(pending[leftover[0]]))
    elif leftover:
        matrix = group_vectors[leftover]
        zero = ~matrix.any(axis=1)
        matrix[zero, 0] = 1.0  # an empty text is its own group instead of a NaN distance
        tree = linkage(matrix, method="average", metric="cosine")
        labels = fcluster(tree, t=1.0 - settings.cluster_threshold, criterion="distance")
        clusters: dict[int, list[int]] = {}
        for index, label in zip(leftover, labels.tolist(), strict=True):
            clusters.setdefault(int(label), []).extend(pending[index])
        grouping.new_groups.extend(sorted((sorted(ids) for ids in clusters.values()), key=lambda ids: ids[0]))
    return grouping


def _blend(text_vectors: Any, embeddings: Any, weight: float) -> Any:
    """Rows whose cosine is ``weight`` × the embeddings' cosine + (1 − ``weight``) × the text vectors'."""
    return l2_normalize(np.hstack([np.sqrt(1.0 - weight) * text_vectors, np.sqrt(weight) * embeddings]))


def _sample(members: Sequence[Comment], cleaned: Mapping[int, str], limit: int) -> list[str]:
    """A topic's first ``limit`` distinct non-empty texts by comment id: its centroid does not drift as it grows."""
    texts = (cleaned[c.event_row_id] for c in sorted(members, key=lambda c: c.event_row_id))
    return list(itertools.islice(dict.fromkeys(t for t in texts if t), limit))


def readable_label(texts: Sequence[str], vectors: Any, cleaner: TextCleaner, limit: int = 24) -> str:
    """The medoid comment (closest to the centroid of the L2-normalised TF-IDF ``vectors`` of ``texts``), tidied:
    without address words, emoji and the product name it starts with."""
    if not texts:
        return ""
    tidy = [cleaner.strip_leading(_tidy(text)) for text in texts]
    centroid = np.asarray(vectors.mean(axis=0)).ravel()
    scores = vectors @ centroid
    # Ties go to the shorter, then the earlier text: labels should be short.
    best = min(range(len(texts)), key=lambda i: (-round(float(scores[i]), 6), len(tidy[i]), i))
    label = tidy[best] or texts[best]
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _tidy(text: str) -> str:
    cleaned = _EMOJI.sub("", _EMOTE.sub("", text)).strip()
    for word in ADDRESS_WORDS:
        if cleaned.startswith(word):
            cleaned = cleaned[len(word) :].lstrip(" ，,")
    return cleaned.strip(" ，,~～!！")


def key_phrases(counts: Counter[str], topics_with_word: Counter[str], topic_total: int, top: int = 3) -> list[str]:
    """Words frequent in this topic (``counts``) and found in few other topics (class-based TF-IDF)."""
    scored = [
        (count * float(np.log(1 + topic_total / topics_with_word.get(word, 1))), word) for word, count in counts.items()
    ]
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [word for _, word in scored[:top]]


def phrase_counts(texts: Sequence[str], cleaner: TextCleaner) -> Counter[str]:
    """jieba words of the texts, without stop words, digits and single characters."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(_words(cleaner.clean(text)))
    return counts


@functools.lru_cache(maxsize=200_000)
def _words(text: str) -> tuple[str, ...]:
    words = (word.strip() for word in jieba.cut(text))
    return tuple(w for w in words if len(w) >= 2 and w not in STOPWORDS and not w.isdigit())
