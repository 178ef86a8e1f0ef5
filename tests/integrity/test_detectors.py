"""Each detector on a small hand-built session: it finds what was planted and nothing else."""

from __future__ import annotations

import numpy as np
import pytest

from livebridge.integrity import authenticity
from livebridge.integrity.authenticity import assess
from livebridge.integrity.columns import SECOND, SessionEvents
from livebridge.integrity.comments import cluster_comments, comment_bursts, copy_accounts, template_floods
from livebridge.integrity.orders import (
    dense_blocks,
    order_brushing,
    order_table,
    quick_refunds,
    shared_fingerprints,
)
from livebridge.integrity.results import DetectorResult, Family, Status, reason_text
from livebridge.integrity.viewers import (
    PresenceHistory,
    co_appearance,
    entry_bursts,
    first_entries,
    heartbeats,
    lockstep,
    online_jumps,
)
from tests.integrity.fixtures import START, Session, clock, crowd

SCRIPT = "这款真的超级好用已经回购三次了"


def viewers_of(events: SessionEvents, result: DetectorResult) -> set[str]:
    return {str(key) for key in events.viewer_keys[result.flagged_viewers]}


def orders_of(events: SessionEvents, result: DetectorResult) -> set[str]:
    return {str(key) for key in events.order_ids[result.flagged_orders]}


def comment_authors(events: SessionEvents, result: DetectorResult) -> set[str]:
    return {str(events.viewer_keys[events.viewer[p]]) for p in result.flagged_comments}


def test_a_silent_burst_of_entries_is_flagged_with_its_window() -> None:
    session = crowd(Session(), 400, talk_every=3)
    for i in range(120):
        session.add("enter", 1800 + i * 0.05, f"bot{i}")
    events = session.build()
    result = entry_bursts(events, clock)
    assert result.status == Status.OK
    bots = {f"bot{i}" for i in range(120)}
    flagged = viewers_of(events, result)
    # An honest viewer who happens to enter, silently, in the same seconds cannot be told apart.
    assert bots <= flagged
    assert len(flagged - bots) <= 2
    (reason,) = result.reasons
    assert reason.params["entrants"] >= 120
    assert reason.params["silent"] == len(flagged)
    assert "12:30" in reason_text(reason)


def test_a_burst_trickling_in_over_a_minute_is_found_at_the_longer_windows() -> None:
    # 400 honest viewers in an hour (λ ≈ 0.11 a second). 60 bots, one a second for a minute, put 5
    # into every 5-s step: under λ + 4√λ + 3 ≈ 6.5 there, far over it in a 30- or 60-s window.
    session = crowd(Session(), 400, talk_every=3)
    for i in range(60):
        session.add("enter", 1800 + i + 0.5, f"bot{i}")
    events = session.build()
    result = entry_bursts(events, clock)
    assert result.status == Status.OK
    bots = {f"bot{i}" for i in range(60)}
    flagged = viewers_of(events, result)
    assert bots <= flagged
    assert len(flagged - bots) <= 3
    (reason,) = result.reasons
    # The burst is the minute the bots took (the most significant window), not a longer one.
    assert 60 <= reason.params["entrants"] <= 70


def test_a_burst_that_talks_like_the_room_is_not_flagged() -> None:
    session = crowd(Session(), 400, talk_every=3)
    for i in range(120):
        session.add("enter", 1800 + i * 0.05, f"fan{i}")
        if i % 2 == 0:
            session.add("like", 1830 + i, f"fan{i}")
    events = session.build()
    assert entry_bursts(events, clock).flagged_viewers.size == 0


def test_a_burst_in_a_room_where_nobody_interacts_is_not_judged() -> None:
    session = crowd(Session(), 400, talk_every=10_000)  # one comment in the whole room
    for i in range(60):
        session.add("enter", 1800 + i * 0.1, f"bot{i}")
    result = entry_bursts(session.build(), clock)
    assert result.status == Status.NOT_ENOUGH_DATA
    assert "too low" in result.note


def test_a_flood_far_above_the_room_rate_needs_no_interaction_test() -> None:
    session = crowd(Session(), 400, talk_every=10_000)
    for i in range(150):
        session.add("enter", 1800 + i * 0.05, f"bot{i}")
    events = session.build()
    result = entry_bursts(events, clock)
    assert {f"bot{i}" for i in range(150)} <= viewers_of(events, result)


def test_lockstep_groups_but_not_honest_viewers() -> None:
    session = crowd(Session(), 200)
    for i in range(8):
        session.add("enter", 600.2 + i * 0.1, f"bot{i}").add("leave", 1500.3 + i * 0.1, f"bot{i}")
    events = session.build()
    result = lockstep(events)
    assert viewers_of(events, result) == {f"bot{i}" for i in range(8)}
    assert result.reasons[0].params["largest"] == 8


def test_lockstep_needs_leave_events() -> None:
    session = Session()
    for i in range(100):
        session.add("enter", i, f"u{i}")
    assert lockstep(session.build()).status == Status.NOT_ENOUGH_DATA


def test_heartbeat_accounts_re_enter_like_a_clock() -> None:
    session = crowd(Session(), 100)
    for beat in range(8):
        session.add("enter", 100 + beat * 60.0, "ticker").add("leave", 130 + beat * 60.0, "ticker")
    irregular = [0, 50, 400, 430, 1200, 1210, 3000]
    for at in irregular:
        session.add("enter", at, "regular-fan").add("leave", at + 5, "regular-fan")
    events = session.build()
    assert viewers_of(events, heartbeats(events)) == {"ticker"}


def test_accounts_entering_together_across_sessions() -> None:
    ring = [f"ring{i}" for i in range(6)]

    def one_session(seed: int, offset: float) -> SessionEvents:
        session = crowd(Session(), 80, seed=seed)
        for i, account in enumerate(ring):
            session.add("enter", offset + i * 2, account)
        return session.build()

    earlier = [one_session(seed, offset) for seed, offset in ((2, 900.0), (3, 1500.0))]
    history = []
    for past in earlier:
        viewers, first = first_entries(past)
        history.append(PresenceHistory(0, past.viewer_keys[viewers], first - past.start))
    events = one_session(4, 2000.0)
    result = co_appearance(events, history)
    assert viewers_of(events, result) == set(ring)
    assert result.reasons[0].params["sessions"] == 3
    assert co_appearance(events, history[:1]).status == Status.NOT_ENOUGH_DATA


def test_online_count_jump_without_enters() -> None:
    session = crowd(Session(), 100)
    for step in range(60):
        session.add("online_count", step * 60, count=40 + (500 if step >= 30 else 0) + step % 3)
    events = session.build()
    result = online_jumps(events, clock)
    (reason,) = result.reasons
    assert reason.params["jump"] >= 490
    assert reason.params["samples"] == 1
    assert reason.params["at"] == "12:30:00"


def test_online_jumps_need_samples() -> None:
    assert online_jumps(crowd(Session(), 100).build(), clock).status == Status.NOT_ENOUGH_DATA


def test_near_duplicate_burst_from_several_accounts() -> None:
    session = crowd(Session(), 150)
    variants = [SCRIPT, SCRIPT + "！", SCRIPT + "👍", "哈" + SCRIPT, SCRIPT.replace("三", "3"), SCRIPT + "~~"]
    for i, text in enumerate(variants):
        session.add("comment", 1200 + i * 5, f"water{i}", text=text)
    events = session.build()
    clusters = cluster_comments(events)
    result = comment_bursts(events, clusters, clock)
    assert comment_authors(events, result) == {f"water{i}" for i in range(6)}
    assert "这款真的超级好用" in result.reasons[0].params["example"]


def test_short_chants_are_not_scripts() -> None:
    session = crowd(Session(), 150)
    for i in range(30):
        session.add("comment", 1200 + i, f"chant{i}", text="666666")
    events = session.build()
    clusters = cluster_comments(events)
    assert comment_bursts(events, clusters, clock).flagged_comments.size == 0
    assert template_floods(events, clusters).flagged_comments.size == 0


def test_template_flood_by_repeating_accounts() -> None:
    session = crowd(Session(), 150)
    for i in range(6):
        for k in range(2):
            session.add("comment", 300 + i * 400 + k * 150, f"water{i}", text=SCRIPT + "!" * k)
    events = session.build()
    result = template_floods(events, cluster_comments(events))
    assert comment_authors(events, result) == {f"water{i}" for i in range(6)}


def test_accounts_that_only_copy_earlier_comments() -> None:
    session = crowd(Session(), 150)
    originals = ["今天的价格真的很划算吗", "电饭煲的内胆是什么材质", "能不能再讲一下保修政策"]
    for i, text in enumerate(originals):
        session.add("comment", 100 + i * 10, f"asker{i}", text=text)
    for k, text in enumerate(originals):
        session.add("comment", 900 + k * 30, "parrot", text=text)
    events = session.build()
    result = copy_accounts(events, cluster_comments(events))
    assert viewers_of(events, result) == {"parrot"}
    assert comment_authors(events, result) == {"parrot"}


def test_comment_detectors_need_comments() -> None:
    events = Session().add("comment", 1, "a", text="就一条评论而已呢").build()
    clusters = cluster_comments(events)
    assert comment_bursts(events, clusters, clock).status == Status.NOT_ENOUGH_DATA


def test_brushing_flags_the_top_buyer_of_the_brushed_sku() -> None:
    session = Session()
    for i in range(20):
        session.order(i * 300, f"buyer{i}", f"o{i}", "SKU-POP")
    for k in range(4):
        session.order(2000 + k * 100, "brusher", f"b{k}", "SKU-X")
    session.order(2050, "helper", "h1", "SKU-X")
    events = session.build()
    result = order_brushing(events, order_table(events), clock)
    # Every window holding b0 also holds the helper's order (5 / 2); [2050 s+, 5650 s] holds b1-b3
    # alone (3 / 1). Only orders inside brushing windows count, so b0 is not flagged.
    assert orders_of(events, result) == {"b1", "b2", "b3"}
    assert viewers_of(events, result) == {"brusher"}
    reason = result.reasons[0]
    assert reason.params["sku"] == "SKU-X"
    assert reason.params["rate"] == "3.0"
    assert reason_text(reason).startswith("SKU SKU-X 在 ")


def test_dense_block_found_despite_camouflage() -> None:
    session = Session()
    for i in range(60):  # honest buyers: one product each, mostly the best seller
        session.order(i * 60, f"buyer{i}", f"o{i}", "SKU-POP" if i % 3 else f"SKU-{i % 7}")
    ring = [f"ring{a}" for a in range(8)]
    for a, account in enumerate(ring):
        for s in ("SKU-A", "SKU-B", "SKU-C"):
            session.order(100 + a * 30, account, f"r{a}{s}", s)
        session.order(200 + a * 30, account, f"camo{a}", "SKU-POP")  # camouflage on the best seller
    events = session.build()
    result = dense_blocks(events, order_table(events))
    assert viewers_of(events, result) == set(ring)
    assert {f"r{a}{s}" for a in range(8) for s in ("SKU-A", "SKU-B", "SKU-C")} <= orders_of(events, result)


def test_dense_block_keeps_members_when_camouflage_pulls_a_best_seller_in() -> None:
    # Every ring account also bought the best seller, so the peeled set holds it; the ring's own
    # SKUs are bought by 2 or 3 of the accounts each. The best seller's buyers are mostly outside
    # the block, so it is not part of the block, and an account with 2 of the 3 ring SKUs stays in.
    session = Session()
    for i in range(90):
        session.order(i * 40, f"buyer{i}", f"o{i}", "SKU-POP" if i % 3 else f"SKU-{i % 7}")
    ring = {"ring0": "ABC", "ring1": "ABC", "ring2": "AB", "ring3": "BC", "ring4": "AC", "ring5": "ABC"}
    for account, skus in ring.items():
        for s in skus:
            session.order(500 + len(s) * 7, account, f"{account}{s}", f"SKU-{s}")
        session.order(600, account, f"camo-{account}", "SKU-POP")
    events = session.build()
    result = dense_blocks(events, order_table(events))
    assert viewers_of(events, result) == set(ring)
    assert not any(order.startswith("camo-") for order in orders_of(events, result))


def test_quick_refunds_by_repeaters() -> None:
    session = Session()
    for i in range(20):
        session.order(i * 200, f"buyer{i}", f"o{i}", "SKU-A", refund_after=3600 if i == 0 else None)
    session.order(100, "flipper", "f1", "SKU-A", refund_after=120).order(900, "flipper", "f2", "SKU-B", refund_after=60)
    session.order(150, "oops", "x1", "SKU-C", refund_after=60)  # one quick refund alone is ordinary
    events = session.build()
    result = quick_refunds(events, order_table(events), clock)
    assert orders_of(events, result) == {"f1", "f2"}


def test_shared_fingerprints_link_buyers() -> None:
    session = Session()
    for i in range(10):
        session.order(i * 60, f"buyer{i}", f"o{i}", "SKU-A")
    events = session.build()
    table = order_table(events)
    assert shared_fingerprints(events, table, None).status == Status.NOT_ENOUGH_DATA
    prints = {"o1": ["addr:1"], "o2": ["addr:1", "dev:9"], "o3": ["dev:9"], "o4": ["addr:7"], "o5": ["addr:8"]}
    result = shared_fingerprints(events, table, prints)
    assert orders_of(events, result) == {"o1", "o2", "o3"}


def test_an_empty_session_is_not_enough_data_everywhere() -> None:
    result = assess(Session().build(), clock)
    assert result.index is None
    assert {f.status for f in result.families} == {Status.NOT_ENOUGH_DATA}
    assert all(d.status == Status.NOT_ENOUGH_DATA for d in result.detectors)


def test_no_orders_and_no_samples_leave_those_families_out_of_the_index() -> None:
    result = assess(crowd(Session(), 200).build(), clock)
    families = {f.family: f for f in result.families}
    assert families[Family.ORDERS].status == Status.NOT_ENOUGH_DATA
    assert families[Family.VIEWERS].status == Status.OK
    assert result.index == 100
    online = next(d for d in result.detectors if d.detector == "online_jumps")
    assert online.status == Status.NOT_ENOUGH_DATA
    assert "0 online-count samples" in online.note


def test_a_failing_detector_is_unavailable_never_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(events: SessionEvents) -> DetectorResult:
        raise ValueError("corrupt columns")

    monkeypatch.setattr(authenticity, "copy_accounts", lambda events, clusters: broken(events))
    monkeypatch.setattr(authenticity, "template_floods", lambda events, clusters: broken(events))
    monkeypatch.setattr(authenticity, "comment_bursts", lambda events, clusters, clock: broken(events))
    result = assess(crowd(Session(), 200).build(), clock)
    statuses = {d.detector: d.status for d in result.detectors}
    assert statuses["copy_accounts"] == Status.UNAVAILABLE
    comments = next(f for f in result.families if f.family == Family.COMMENTS)
    assert comments.status == Status.UNAVAILABLE
    assert comments.probability is None
    assert "corrupt columns" in next(d.note for d in result.detectors if d.detector == "copy_accounts")


def test_verified_figures_take_out_what_was_flagged() -> None:
    session = crowd(Session(), 400, talk_every=3)
    for i in range(120):
        session.add("enter", 1800 + i * 0.05, f"bot{i}").add("leave", 2400, f"bot{i}")
    for i in range(10):
        session.order(i * 300, f"u{i * 3}", f"o{i}", "SKU-POP", amount=10_000, refund_after=7200 if i == 0 else None)
    for k in range(3):
        session.order(3000 + k * 60, "brusher", f"b{k}", "SKU-X", amount=5_000)
    result = assess(session.build(), clock)
    figures = result.figures
    flagged_entrants = int(np.isin(result.flagged_viewers, first_entries(session.build())[0]).sum())
    assert figures.viewers == 400 + 120
    assert 120 <= flagged_entrants <= 122
    assert figures.verified_viewers == figures.viewers - flagged_entrants
    assert figures.gmv_gross_fen == 10 * 10_000 + 3 * 5_000
    assert figures.gmv_net_refunds_fen == 9 * 10_000 + 3 * 5_000
    assert figures.gmv_net_flagged_fen == 9 * 10_000
    assert figures.orders == 13
    assert figures.verified_orders == 10
    assert figures.online_source == "enters minus leaves"
    assert figures.verified_peak_online < figures.peak_online
    # While the 120 bots are in the room (minutes 30-40) the verified count is 120 lower (or 1-2 more
    # for the honest viewers flagged with them).
    during = [(r, v) for m, r, v in figures.online_series if START + 1810 * SECOND <= m <= START + 2390 * SECOND]
    assert during
    assert all(120 <= r - v <= 122 for r, v in during), during
    assert result.index is not None
    assert result.index < 60
    minutes = np.array([m for m, _, _ in figures.online_series])
    assert np.all(minutes % (60 * SECOND) == 0)
    assert minutes[0] >= START - 60 * SECOND
