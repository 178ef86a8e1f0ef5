"""Comment detectors: near-duplicate bursts, template floods and accounts that only copy.

Near-duplicates are found with MinHash over character bigrams (the reference's choice for short
Chinese comments: 64 permutations, LSH with 16 bands of 4 rows, Jaccard ≈ 0.5) computed for all
comments at once: the normalised texts are joined into one string, turned into a code-point
array, and every bigram of every comment is hashed in one NumPy pass. Comments shorter than six
characters after normalisation ("666", "来了") or with fewer than three different characters
("哈哈哈哈哈哈", "666666") are left out: a crowd chanting them is ordinary live chat, and too
short to tell from a script.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from livebridge.integrity.columns import SECOND, Kind, SessionEvents
from livebridge.integrity.ranges import distinct_in_ranges, previous_same
from livebridge.integrity.results import DetectorResult, Family, Reason, Status

__all__ = ["CommentClusters", "cluster_comments", "comment_bursts", "copy_accounts", "template_floods"]

MIN_CHARS: Final = 6
MIN_DISTINCT_CHARS: Final = 3
PERMUTATIONS: Final = 64
BANDS: Final = 16
ROWS_PER_BAND: Final = PERMUTATIONS // BANDS
MIN_JACCARD: Final = 0.5
MIN_COMMENTS: Final = 10  # fewer comments than this: not enough data
BURST_WINDOW: Final = 60 * SECOND
BURST_ACCOUNTS: Final = 5
FLOOD_COMMENTS: Final = 10
FLOOD_ACCOUNTS: Final = 6
FLOOD_REPEATED_SHARE: Final = 0.5
COPY_MIN_COMMENTS: Final = 3
SAMPLE_ACCOUNTS: Final = 20
_SEPARATOR: Final = "\ue000"  # a private-use character: not a word character, never in normal text
_NOT_WORD: Final = re.compile(r"[^\w\ue000]|_")
_HASH_SEED: Final = 20261123
Ints = npt.NDArray[np.int64]
Formatter = Callable[[int], str]


def normalise_all(texts: list[str]) -> list[str]:
    """NFKC, lower case, letters and digits only, for all texts in one pass over one string."""
    joined = _SEPARATOR.join(text.replace(_SEPARATOR, "") for text in texts)
    cleaned = _NOT_WORD.sub("", unicodedata.normalize("NFKC", joined).lower())
    return cleaned.split(_SEPARATOR)


def is_scriptlike(text: str) -> bool:
    """Long and varied enough to be a script: ≥ 6 characters, ≥ 3 different ones ("666666" is a chant)."""
    return len(text) >= MIN_CHARS and len(set(text)) >= MIN_DISTINCT_CHARS


def _permutations() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    rng = np.random.default_rng(_HASH_SEED)
    multipliers = rng.integers(1, 2**63, PERMUTATIONS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    offsets = rng.integers(0, 2**63, PERMUTATIONS, dtype=np.uint64)
    return multipliers, offsets


def minhash_signatures(texts: list[str]) -> npt.NDArray[np.uint64]:
    """One row of 64 MinHash values (multiply-shift hashes of code-point bigrams) per text.

    Every text must have at least two characters.
    """
    joined = _SEPARATOR.join(texts)
    points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    is_separator = points == ord(_SEPARATOR)
    owner = np.cumsum(is_separator)
    pair = ~(is_separator[:-1] | is_separator[1:])
    bigrams = (points[:-1][pair] << np.uint64(21)) | points[1:][pair]
    owners = owner[:-1][pair]
    starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
    multipliers, offsets = _permutations()
    signatures = np.empty((len(texts), PERMUTATIONS), dtype=np.uint64)
    for first in range(0, PERMUTATIONS, 8):  # eight permutations at a time bound the memory
        hashed = (bigrams[:, None] * multipliers[None, first : first + 8] + offsets[None, first : first + 8]) >> (
            np.uint64(32)
        )
        signatures[:, first : first + 8] = np.minimum.reduceat(hashed, starts, axis=0)
    return signatures


@dataclass(frozen=True)
class CommentClusters:
    """``positions``: event positions of the eligible comments (≥ 6 characters), in time order.

    ``cluster``: a label per eligible comment (near-duplicates share one); ``accounts``: distinct
    accounts per cluster; ``size``: comments per cluster; ``texts``: the original texts.
    """

    total_comments: int
    positions: npt.NDArray[np.intp]
    cluster: Ints
    viewer: Ints
    time: Ints
    accounts: Ints
    size: Ints
    texts: list[str]
    exact_copy: npt.NDArray[np.bool_]  # the same normalised text was posted earlier by another account


def cluster_comments(events: SessionEvents) -> CommentClusters:
    comment_positions = events.of(Kind.COMMENT)
    originals = [str(text or "") for text in events.text[comment_positions]]
    normalised = normalise_all(originals)
    eligible = np.flatnonzero(
        np.fromiter((is_scriptlike(text) for text in normalised), dtype=bool, count=len(normalised))
    )
    positions = comment_positions[eligible]
    viewer = events.viewer[positions].astype(np.int64)
    viewer[viewer < 0] = events.viewer_keys.size  # comments without an account share one "unknown"
    if eligible.size < 2:
        cluster = np.arange(eligible.size, dtype=np.int64)
    else:
        signatures = minhash_signatures([normalised[i] for i in eligible.tolist()])
        cluster = _lsh_clusters(signatures)
    size = np.bincount(cluster, minlength=int(cluster.max(initial=-1)) + 1).astype(np.int64)
    keys = np.array([normalised[i] for i in eligible.tolist()], dtype=object)
    exact_copy = np.zeros(eligible.size, dtype=bool)
    if eligible.size:
        _, first, text_code = np.unique(keys, return_index=True, return_inverse=True)  # first = earliest
        exact_copy = viewer[first[text_code]] != viewer
    pairs = np.unique(cluster * (events.viewer_keys.size + 1) + viewer)
    accounts = np.bincount(pairs // (events.viewer_keys.size + 1), minlength=size.size).astype(np.int64)
    return CommentClusters(
        total_comments=int(comment_positions.size),
        positions=positions,
        cluster=cluster,
        viewer=viewer,
        time=events.time[positions],
        accounts=accounts,
        size=size,
        texts=[originals[i] for i in eligible.tolist()],
        exact_copy=exact_copy,
    )


def _lsh_clusters(signatures: npt.NDArray[np.uint64]) -> Ints:
    """Connected components of "shares a band bucket and the estimated Jaccard is ≥ 0.5"."""
    count = signatures.shape[0]
    firsts: list[Ints] = []
    seconds: list[Ints] = []
    mix = np.uint64(0x9E3779B97F4A7C15)
    for band in range(BANDS):
        rows = signatures[:, band * ROWS_PER_BAND : (band + 1) * ROWS_PER_BAND]
        key = rows[:, 0].copy()
        for column in range(1, ROWS_PER_BAND):
            key = key * mix + rows[:, column]
        order = np.argsort(key, kind="stable")
        same = np.flatnonzero(key[order][1:] == key[order][:-1])
        firsts.append(order[same])
        seconds.append(order[same + 1])
    first = np.concatenate(firsts)
    second = np.concatenate(seconds)
    if first.size:
        similar = (signatures[first] == signatures[second]).mean(axis=1) >= MIN_JACCARD
        first, second = first[similar], second[similar]
    graph = sparse.coo_matrix((np.ones(first.size), (first, second)), shape=(count, count))
    _, labels = connected_components(graph, directed=False)
    clusters: Ints = labels.astype(np.int64)
    return clusters


def _example(clusters: CommentClusters, members: npt.NDArray[np.intp]) -> str:
    text = clusters.texts[int(members[0])]
    return text if len(text) <= 30 else text[:30] + "…"


def _accounts(events: SessionEvents, viewers: Ints) -> list[str]:
    known = np.unique(viewers[viewers < events.viewer_keys.size])
    return [str(events.viewer_keys[v]) for v in known[:SAMPLE_ACCOUNTS]]


def _not_enough(name: str, clusters: CommentClusters) -> DetectorResult | None:
    if clusters.total_comments < MIN_COMMENTS:
        return DetectorResult.not_enough(name, Family.COMMENTS, f"{clusters.total_comments} comments")
    return None


def comment_bursts(events: SessionEvents, clusters: CommentClusters, clock: Formatter) -> DetectorResult:
    """Near-identical comments from ≥ 5 accounts within 60 seconds, far above the template's own rate."""
    name = "comment_bursts"
    if (missing := _not_enough(name, clusters)) is not None:
        return missing
    shared = np.flatnonzero(clusters.accounts[clusters.cluster] >= BURST_ACCOUNTS)
    if shared.size == 0:
        return DetectorResult(detector=name, family=Family.COMMENTS, status=Status.OK)
    order = shared[np.lexsort((clusters.time[shared], clusters.cluster[shared]))]
    relative = clusters.time[order] - clusters.time.min()
    key = clusters.cluster[order] * (np.int64(1) << 42) + relative
    lefts = np.arange(order.size, dtype=np.int64)
    rights = np.searchsorted(key, key + BURST_WINDOW, side="left").astype(np.int64)
    who = clusters.cluster[order] * (events.viewer_keys.size + 1) + clusters.viewer[order]
    accounts = distinct_in_ranges(previous_same(who), lefts, rights)
    # A template said all evening reaches a few accounts a minute by chance: the burst must stand
    # out from the template's own average rate (Poisson tail λ + 4√λ + 3).
    span = max(events.end - events.start, BURST_WINDOW)  # the whole session, not just its comments
    usual = clusters.size[clusters.cluster[order]] * (BURST_WINDOW / span)
    bursts = np.flatnonzero((accounts >= BURST_ACCOUNTS) & (accounts >= usual + 4 * np.sqrt(usual) + 3))
    steps = np.zeros(order.size + 1, dtype=np.int64)
    np.add.at(steps, bursts, 1)
    np.add.at(steps, rights[bursts], -1)
    inside = order[np.cumsum(steps[:-1]) > 0]
    reasons: list[Reason] = []
    labels, counts = np.unique(clusters.cluster[inside], return_counts=True)
    for label in labels[np.argsort(-counts, kind="stable")][:5]:
        members = inside[clusters.cluster[inside] == label]
        reasons.append(
            Reason(
                code="comment_burst",
                params={
                    "start": clock(int(clusters.time[members].min())),
                    "end": clock(int(clusters.time[members].max())),
                    "accounts": int(np.unique(clusters.viewer[members]).size),
                    "comments": int(members.size),
                    "example": _example(clusters, members),
                },
                weight=members.size / clusters.total_comments,
                accounts=_accounts(events, clusters.viewer[members]),
                start=int(clusters.time[members].min()),
                end=int(clusters.time[members].max()),
            )
        )
    return DetectorResult(
        detector=name,
        family=Family.COMMENTS,
        status=Status.OK,
        reasons=reasons,
        flagged_comments=np.sort(clusters.positions[inside]),
    )


def template_floods(events: SessionEvents, clusters: CommentClusters) -> DetectorResult:
    """One template ≥ 10 times from ≥ 6 accounts, at least half by accounts repeating it, however spread out."""
    name = "template_floods"
    if (missing := _not_enough(name, clusters)) is not None:
        return missing
    # Accounts that post the template again and again: people say a phrase once, scripts repeat it.
    pair = clusters.cluster * (events.viewer_keys.size + 1) + clusters.viewer
    _, pair_index, pair_count = np.unique(pair, return_inverse=True, return_counts=True)
    repeated = np.bincount(clusters.cluster, weights=pair_count[pair_index] >= 2, minlength=clusters.size.size)
    flooded = np.flatnonzero(
        (clusters.size >= FLOOD_COMMENTS)
        & (clusters.accounts >= FLOOD_ACCOUNTS)
        & (repeated >= FLOOD_REPEATED_SHARE * clusters.size)
    )
    members = np.flatnonzero(np.isin(clusters.cluster, flooded))
    reasons: list[Reason] = []
    for label in flooded[np.argsort(-clusters.size[flooded], kind="stable")][:5]:
        mine = np.flatnonzero(clusters.cluster == label)
        reasons.append(
            Reason(
                code="template_flood",
                params={
                    "comments": int(mine.size),
                    "accounts": int(clusters.accounts[label]),
                    "example": _example(clusters, mine),
                },
                weight=mine.size / clusters.total_comments,
                accounts=_accounts(events, clusters.viewer[mine]),
                start=int(clusters.time[mine].min()),
                end=int(clusters.time[mine].max()),
            )
        )
    return DetectorResult(
        detector=name,
        family=Family.COMMENTS,
        status=Status.OK,
        reasons=reasons,
        flagged_comments=np.sort(clusters.positions[members]),
    )


def copy_accounts(events: SessionEvents, clusters: CommentClusters) -> DetectorResult:
    """Accounts with ≥ 3 comments (of ≥ 6 characters), every one a copy of a text another account posted before."""
    name = "copy_accounts"
    if (missing := _not_enough(name, clusters)) is not None:
        return missing
    written = np.bincount(clusters.viewer, minlength=events.viewer_keys.size + 1)
    copies = np.bincount(clusters.viewer[clusters.exact_copy], minlength=events.viewer_keys.size + 1)
    copiers = np.flatnonzero((written >= COPY_MIN_COMMENTS) & (copies == written))
    copiers = copiers[copiers < events.viewer_keys.size]
    members = np.flatnonzero(np.isin(clusters.viewer, copiers))
    reasons: list[Reason] = []
    if copiers.size:
        reasons.append(
            Reason(
                code="copy_accounts",
                params={"accounts": int(copiers.size), "comments": int(members.size)},
                weight=members.size / clusters.total_comments,
                accounts=[str(events.viewer_keys[v]) for v in copiers[:SAMPLE_ACCOUNTS]],
            )
        )
    return DetectorResult(
        detector=name,
        family=Family.COMMENTS,
        status=Status.OK,
        reasons=reasons,
        flagged_comments=np.sort(clusters.positions[members]),
        flagged_viewers=copiers.astype(np.intp),
    )
