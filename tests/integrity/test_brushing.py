"""The Shopee order-brushing rule on hand-made cases with known answers, and against brute force."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from livebridge.integrity.brushing import HOUR, brushing_rule
from livebridge.integrity.columns import SECOND

A, B, C, D = 0, 1, 2, 3


def run(orders: Sequence[tuple[float, int]]) -> tuple[bool, list[int]]:
    """``orders``: (seconds, buyer) → (is brushing, suspicious buyers)."""
    times = np.array([round(t * SECOND) for t, _ in orders], dtype=np.int64)
    buyers = np.array([b for _, b in orders], dtype=np.int64)
    verdict = brushing_rule(times, buyers)
    return verdict.is_brushing, verdict.suspicious_buyers.tolist()


def test_three_orders_of_one_buyer_within_an_hour_is_brushing() -> None:
    assert run([(0, A), (600, A), (1200, A)]) == (True, [A])


def test_two_orders_are_never_enough() -> None:
    assert run([(0, A), (10, A)]) == (False, [])


def test_rate_exactly_three_counts_and_just_below_does_not() -> None:
    six_by_two = [(0, A), (60, A), (120, A), (180, A), (240, B), (300, B)]
    assert run(six_by_two)[0] is True  # 6 / 2 = 3
    five_by_two = [(0, A), (10, B), (20, A), (30, B), (40, A)]  # every window holds all or fewer: ≤ 2.5
    assert run(five_by_two) == (False, [])
    # Interleaved buyers: no run of orders in any window reaches 3 per buyer (the whole is 6 / 3 = 2).
    assert run([(0, A), (10, B), (20, A), (30, C), (40, A), (50, B)]) == (False, [])


def test_a_window_ending_before_the_other_buyer_isolates_the_brusher() -> None:
    # The whole set is 5 / 2 = 2.5, but [−3400 s, 200 s] holds A's four orders alone: 4 / 1.
    assert run([(0, A), (60, A), (120, A), (180, A), (240, B)]) == (True, [A])


def test_an_order_exactly_one_hour_later_is_in_the_same_window() -> None:
    assert run([(0, A), (1800, A), (3600, A)]) == (True, [A])


def test_one_microsecond_past_the_hour_is_not() -> None:
    times = np.array([0, 1800 * SECOND, HOUR + 1], dtype=np.int64)
    assert brushing_rule(times, np.array([A, A, A])).is_brushing is False


def test_windows_need_not_start_or_end_at_an_order() -> None:
    # The window starting at A's first order also holds C (4 orders / 2 buyers), the one ending at
    # A's last order also holds B (4 / 2); only windows starting strictly between them see 3 / 1.
    orders = [(100, B), (3000, A), (3500, A), (3650, A), (6550, C)]
    assert run(orders) == (True, [A])


def test_a_tie_makes_all_tied_buyers_suspicious() -> None:
    orders = [(0, A), (60, B), (120, A), (180, B), (240, A), (300, B)]  # 6 / 2 = 3; A and B 3 each
    assert run(orders) == (True, [A, B])


def test_shares_are_counted_over_the_union_of_brushing_windows() -> None:
    # Two brushing hours far apart: A has 3 orders in the first, B 4 in the second; over the union
    # B has the highest share (4 of 7), so B alone is suspicious.
    first = [(0, A), (60, A), (120, A)]
    second = [(10_000 + i * 60, B) for i in range(4)]
    assert run(first + second) == (True, [B])


def test_orders_outside_brushing_windows_do_not_count() -> None:
    # C orders a lot, but spread over days: never 3 in an hour with few buyers. A brushes once.
    spread = [(i * 7200, C) for i in range(10)]
    brushed = [(100_000, A), (100_100, A), (100_200, A)]
    assert run(spread + brushed) == (True, [A])


def _brute_force(times: list[int], buyers: list[int]) -> tuple[bool, list[int]]:
    """Every window start on a half-second grid (all distinct sets for whole-second times)."""
    inside: set[int] = set()
    hour = 3600
    for doubled in range(2 * (min(times) - hour) - 2, 2 * max(times) + 3):
        start = doubled / 2
        members = [i for i, t in enumerate(times) if start <= t <= start + hour]
        if len(members) >= 3 and len(members) >= 3 * len({buyers[i] for i in members}):
            inside.update(members)
    if not inside:
        return False, []
    counts: dict[int, int] = {}
    for i in inside:
        counts[buyers[i]] = counts.get(buyers[i], 0) + 1
    top = max(counts.values())
    return True, sorted(b for b, c in counts.items() if c == top)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=9000), st.integers(min_value=0, max_value=3)),
        min_size=1,
        max_size=12,
    )
)
def test_agrees_with_brute_force_over_every_window(orders: list[tuple[int, int]]) -> None:
    times = [t for t, _ in orders]
    buyers = [b for _, b in orders]
    verdict = brushing_rule(np.array(times, dtype=np.int64) * SECOND, np.array(buyers, dtype=np.int64))
    assert (verdict.is_brushing, verdict.suspicious_buyers.tolist()) == _brute_force(times, buyers)


def test_three_orders_with_two_helpers_can_never_be_brushing() -> None:
    # Why the evaluation tops such injections up: 3 orders of one account plus one order each of two
    # helper accounts is 5 orders ÷ 3 buyers in the best window, whatever the times.
    assert run([(0, A), (60, A), (120, A), (30, B), (90, C)]) == (False, [])
    assert run([(0, A), (60, A), (120, A), (3000, B), (9000, C)]) == (True, [A])
