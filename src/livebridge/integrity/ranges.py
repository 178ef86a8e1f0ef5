"""Distinct values in many index ranges at once, vectorised (a merge-sort tree built with NumPy).

Both the order-brushing rule (unique buyers in every one-hour window) and the comment-burst
detector (distinct accounts in every 60-second window) need "how many distinct values lie in
positions ``[l, r)``" for tens of thousands of ranges. With ``prev[k]`` the previous position of
the value at ``k`` (-1 if none), the repeats inside ``[l, r)`` are the ``k < r`` with
``prev[k] >= l``, a dominance count answered level by level in O(log² n) per range.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["distinct_in_ranges", "previous_same"]

Ints = npt.NDArray[np.int64]


def previous_same(values: npt.NDArray[np.integer]) -> Ints:
    """``prev[k]``: the largest ``j < k`` with ``values[j] == values[k]``, or -1."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    prev = np.full(values.size, -1, dtype=np.int64)
    same = np.flatnonzero(sorted_values[1:] == sorted_values[:-1]) + 1
    prev[order[same]] = order[same - 1]
    return prev


def _repeats(prev: Ints, lefts: Ints, rights: Ints) -> Ints:
    """For each query, the number of ``k < right`` with ``prev[k] >= left``."""
    n = prev.size
    total = np.zeros(lefts.size, dtype=np.int64)
    if n == 0 or lefts.size == 0:
        return total
    span = n + 2
    positions = np.arange(n, dtype=np.int64)
    level = 0
    while (1 << level) <= n:
        block_size = 1 << level
        blocks = positions >> level
        keys = np.sort(blocks * span + prev + 1)
        uses = ((rights >> level) & 1).astype(bool)
        if uses.any():
            block = (rights[uses] >> level) - 1
            first_at_least = np.searchsorted(keys, block * span + lefts[uses] + 1, side="left")
            block_end = np.minimum((block + 1) * block_size, n)
            total[uses] += block_end - first_at_least
        level += 1
    return total


def distinct_in_ranges(prev: Ints, lefts: Ints, rights: Ints) -> Ints:
    """Distinct values in ``[lefts[i], rights[i])`` given ``prev = previous_same(values)``."""
    return (rights - lefts) - _repeats(prev, lefts, rights)
