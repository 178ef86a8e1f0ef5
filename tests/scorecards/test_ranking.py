"""The weighted ranking and the verified figures, on hand-made scorecards and findings (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from livebridge.scorecards.compute import (
    Audience,
    HostedSession,
    OrderTable,
    Purchases,
    ScorecardInputs,
    build_scorecards,
    empty_scorecard,
    rank_scorecards,
)
from livebridge.scorecards.schemas import HostScorecard, RankingWeights
from livebridge.scorecards.sources import SessionIntegrity

T = datetime(2026, 8, 2, 12, 0, tzinfo=UTC)


def card(host_id: int, name: str, **figures: object) -> HostScorecard:
    return empty_scorecard(host_id, name, False).model_copy(update=figures)


CARDS = [
    card(1, "X", net_gmv_fen=100_000, orders=100, refund_rate_bp=2_000, conversion_bp=500, gpm_fen=1_000),
    card(2, "Y", net_gmv_fen=50_000, orders=300, refund_rate_bp=1_000, conversion_bp=300, gpm_fen=3_000),
    card(3, "Z"),
]


def test_default_weights_favour_net_gmv_over_order_volume() -> None:
    ranked, excluded = rank_scorecards(CARDS, RankingWeights())
    # Used: net GMV 30, refund rate 15, conversion 10, GPM 5, orders 5 (= 65); nobody has the rest.
    assert excluded == ["repurchase_90d", "repurchase_30d", "authenticity", "complaints"]
    scores = {c.host_name: c.score for c in ranked}
    assert scores["X"] == round(100 * (30 * 1 + 15 * 0 + 10 * 1 + 5 * 0 + 5 * (100 / 300)) / 65, 1) == 64.1
    assert scores["Y"] == round(100 * (30 * 0.5 + 15 * 1 + 10 * 0 + 5 * 1 + 5 * 1) / 65, 1) == 61.5
    assert scores["Z"] == 0.0  # no figures: no credit
    assert [(c.rank, c.host_name) for c in ranked] == [(1, "X"), (2, "Y"), (3, "Z")]
    x = ranked[0]
    assert x.metric_scores["refund_rate"] == 0.0  # the worse refund rate scales to 0
    assert ranked[2].metric_scores["conversion"] is None


def test_a_brand_that_weighs_order_volume_gets_another_order() -> None:
    weights = RankingWeights(net_gmv=0, refund_rate=0, conversion=0, gpm=0, orders=60)
    ranked, _ = rank_scorecards(CARDS, weights)
    assert [(c.host_name, c.score) for c in ranked] == [("Y", 100.0), ("X", 33.3), ("Z", 0.0)]


def test_all_zero_weights_are_refused() -> None:
    zero = dict.fromkeys(RankingWeights.model_fields, 0)
    with pytest.raises(ValueError, match="At least one weight"):
        RankingWeights(**zero)


def _inputs(integrity: dict[int, SessionIntegrity]) -> ScorecardInputs:
    hosted = [
        HostedSession(1, 7, "小暖", False, True, None, None, T, T + timedelta(hours=1)),
        HostedSession(2, 7, "小暖", False, True, None, None, T + timedelta(days=1), T + timedelta(days=1, hours=1)),
    ]
    orders = OrderTable.build(
        [
            (1, "a", "u1", 1_000, T + timedelta(minutes=1)),
            (1, "b", "bot1", 500, T + timedelta(minutes=2)),
            (2, "c", "u2", 2_000, T + timedelta(days=1, minutes=1)),
            (2, "d", "u3", 700, T + timedelta(days=1, minutes=2)),
        ],
        {"c": 2_000},
    )
    return ScorecardInputs(
        hosted=hosted,
        audiences={1: Audience(10, 0, 8, 5.0), 2: Audience(20, 0, 12, 9.0)},
        orders=orders,
        purchases=Purchases.build([], orders.buyers),
        viewers={(7, None): 10},
        understood={},
        integrity=integrity,
        topics={1: frozenset({11, 12}), 2: frozenset({12, 13})},
        as_of=T + timedelta(days=200),
    )


FINDINGS = {
    1: SessionIntegrity(frozenset({"bot1", "bot2"}), frozenset(), 6, 4.0, 70),
    2: SessionIntegrity(frozenset(), frozenset({"d"}), 11, 8.0, 90),
}


def test_verified_figures_leave_out_flagged_viewers_and_orders() -> None:
    (scorecard,) = build_scorecards(_inputs(FINDINGS))
    assert (scorecard.orders, scorecard.gmv_fen, scorecard.net_gmv_fen) == (4, 4_200, 2_200)
    assert scorecard.verified_viewers == 8  # 10 − bot1 − bot2
    assert (scorecard.verified_peak_viewers, scorecard.verified_average_viewers) == (11, 6.0)
    assert scorecard.verified_net_gmv_fen == 1_000  # a; b's buyer is a bot, c refunded, d brushed
    assert scorecard.verified_conversion_bp == 2_500  # u1 and u2 of 8 verified viewers
    assert scorecard.conversion_bp == 4_000  # reported: 4 buyers of 10 viewers
    assert scorecard.authenticity_index == 80
    assert scorecard.demand_topics == 3
    assert "authenticity_index" not in scorecard.unavailable


def test_one_session_without_findings_makes_every_verified_figure_unavailable() -> None:
    (scorecard,) = build_scorecards(_inputs({1: FINDINGS[1]}))
    assert scorecard.verified_viewers is None
    assert scorecard.verified_net_gmv_fen is None
    assert scorecard.authenticity_index is None
    assert scorecard.unavailable["authenticity_index"] == "integrity_unavailable"


def test_sessions_too_thin_for_an_index_say_so() -> None:
    thin = {key: SessionIntegrity(f.flagged_viewers, f.flagged_orders, f.verified_peak_viewers,
                                  f.verified_average_viewers, None) for key, f in FINDINGS.items()}
    (scorecard,) = build_scorecards(_inputs(thin))
    assert scorecard.verified_viewers == 8
    assert scorecard.authenticity_index is None
    assert scorecard.unavailable["authenticity_index"] == "not_enough_data"


def test_nothing_to_rank_leaves_nothing_out() -> None:
    assert rank_scorecards([], RankingWeights()) == ([], [])
