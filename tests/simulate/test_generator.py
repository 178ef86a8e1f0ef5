"""The generator: deterministic, time-ordered, valid on the wire, and consistent as a live room."""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import math
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

import pytest

from livebridge.ingest.schemas import (
    CartAdd,
    Comment,
    Enter,
    Follow,
    Gift,
    Leave,
    Like,
    LiveEvent,
    OnlineCount,
    OrderCreated,
    OrderPaid,
    OrderRefunded,
    ProductClick,
    ProductExplainEnd,
    ProductExplainStart,
    Share,
    decode_event,
    encode,
)
from livebridge.simulate import (
    AudienceModel,
    ExplainSlot,
    FunnelModel,
    Scenario,
    Simulation,
    example_shelf,
    generate_events,
    load_shelf,
    simulate,
)
from livebridge.simulate.comments import TEMPLATES
from livebridge.text.labels import Intent
from tests.simulate.conftest import START

SHELF = example_shelf()
PRICES = {sku.code: product.unit_price_fen(sku) for product in SHELF for sku in product.skus}
IN_ROOM_ACTIONS = (Comment, ProductClick, CartAdd, OrderCreated, OrderPaid, Like, Gift, Follow, Share)


def make_scenario(*, minutes: float = 30, viewers: int = 3_000, seed: int = 3, **changes: Any) -> Scenario:
    scenario = Scenario(start=START, duration=timedelta(minutes=minutes), shelf=SHELF,
                        audience=AudienceModel(viewers=viewers), seed=seed)
    return dataclasses.replace(scenario, **changes)


@pytest.fixture(scope="module")
def session() -> Simulation:
    return simulate(make_scenario())


@pytest.fixture(scope="module")
def events(session: Simulation) -> list[LiveEvent]:
    return list(session.events())


@pytest.fixture(scope="module")
def big_session() -> Simulation:
    """Large enough for the funnel rates to be measured within a few points."""
    return simulate(make_scenario(minutes=90, viewers=40_000, seed=11))


def test_same_seed_same_events_other_seed_other_events() -> None:
    scenario = make_scenario(minutes=10, viewers=500)
    first = [encode(event) for event in simulate(scenario).events()]
    assert first == [encode(event) for event in generate_events(scenario)]
    assert first != [encode(event) for event in simulate(dataclasses.replace(scenario, seed=4)).events()]


def test_event_ids_are_unique_and_differ_per_namespace_and_start(session: Simulation, events: list[LiveEvent]) -> None:
    ids = {event.event_id for event in events}
    assert len(ids) == len(events) == len(session)
    small = make_scenario(minutes=5, viewers=100)
    base = {event.event_id for event in simulate(small).events()}
    for other in (dataclasses.replace(small, id_namespace="session:42"),
                  small.starting_at(START + timedelta(days=1))):
        assert base.isdisjoint(event.event_id for event in simulate(other).events())


def test_time_order_and_simulated_marks(session: Simulation, events: list[LiveEvent]) -> None:
    times = [event.occurred_at for event in events]
    assert times == sorted(times)
    assert times[0] >= START
    assert times[-1] <= session.scenario.end
    assert all(event.is_simulated and event.source == "simulator" for event in events)


def test_every_event_survives_the_wire(events: list[LiveEvent]) -> None:
    for event in events:
        assert decode_event(encode(event)) == event


def test_every_actor_is_in_the_room(events: list[LiveEvent]) -> None:
    in_room: set[str] = set()
    for event in events:
        if isinstance(event, Enter):
            assert event.viewer_id not in in_room
            in_room.add(event.viewer_id)
        elif isinstance(event, Leave):
            in_room.remove(event.viewer_id)
        elif isinstance(event, IN_ROOM_ACTIONS):
            assert event.viewer_id in in_room, event
        elif isinstance(event, OnlineCount):
            assert event.count == len(in_room)
    assert not in_room  # the room empties when the session ends


def test_online_count_is_enters_minus_leaves_at_the_sample_time(events: list[LiveEvent]) -> None:
    enters = sorted(event.occurred_at for event in events if isinstance(event, Enter))
    leaves = sorted(event.occurred_at for event in events if isinstance(event, Leave))
    samples = [event for event in events if isinstance(event, OnlineCount)]
    assert len(samples) == 30 * 12 + 1  # every 5 s, both ends included
    assert all(b.occurred_at - a.occurred_at == timedelta(seconds=5) for a, b in itertools.pairwise(samples))
    for sample in samples:
        at = sample.occurred_at
        assert sample.count == bisect.bisect_right(enters, at) - bisect.bisect_right(leaves, at)
    assert max(sample.count for sample in samples) > 0


def test_dwell_times_are_heavy_tailed_with_a_median_of_a_minute_or_two(events: list[LiveEvent]) -> None:
    open_visits: dict[str, datetime] = {}
    dwell: list[float] = []
    for event in events:
        if isinstance(event, Enter):
            open_visits[event.viewer_id] = event.occurred_at
        elif isinstance(event, Leave):
            dwell.append((event.occurred_at - open_visits.pop(event.viewer_id)).total_seconds())
    dwell.sort()
    median = dwell[len(dwell) // 2]
    assert 60 <= median <= 120
    assert dwell[int(len(dwell) * 0.95)] > 5 * median  # a long tail of viewers who stay


def test_arrivals_rise_at_the_opening(events: list[LiveEvent]) -> None:
    per_minute = Counter(int((event.occurred_at - START).total_seconds() // 60)
                         for event in events if isinstance(event, Enter))
    assert per_minute[0] + per_minute[1] > 1.5 * (per_minute[25] + per_minute[26])


def test_funnel_rates_come_from_the_configured_ranges(big_session: Simulation) -> None:
    figures, funnel = big_session.figures, big_session.scenario.funnel

    def close(measured: float, target: float, trials: int) -> bool:
        """Within four standard errors of a binomial proportion."""
        return abs(measured - target) <= 4 * math.sqrt(target * (1 - target) / trials) + 1e-9

    for name in ("click_through", "click_to_order", "pay_rate", "refund_rate"):
        low, high = getattr(funnel, name)
        assert low <= getattr(figures, f"target_{name}") <= high
    assert close(figures.click_through, figures.target_click_through, figures.viewers)
    assert close(figures.click_to_order, figures.target_click_to_order, figures.clickers)
    assert close(figures.pay_rate, figures.target_pay_rate, figures.orders_created)
    assert close(figures.refund_rate, figures.target_refund_rate, figures.orders_paid)
    assert 0.05 <= figures.comment_share <= 0.15  # §6: real rooms


def test_a_narrow_funnel_is_met() -> None:
    funnel = FunnelModel(click_through=(0.2, 0.2), click_to_order=(0.3, 0.3), pay_rate=(0.9, 0.9))
    figures = simulate(make_scenario(minutes=30, viewers=8_000, funnel=funnel)).figures
    assert figures.click_through == pytest.approx(0.2, rel=0.08)
    assert figures.click_to_order == pytest.approx(0.3, rel=0.12)
    assert figures.pay_rate == pytest.approx(0.9, abs=0.04)


def test_figures_agree_with_the_events(session: Simulation, events: list[LiveEvent]) -> None:
    figures = session.figures
    by_type = Counter(event.__struct_config__.tag for event in events)
    assert dict(by_type) == {tag: count for tag, count in figures.events_by_type.items() if count}
    assert figures.clickers == len({event.viewer_id for event in events if isinstance(event, ProductClick)})
    assert figures.buyers == len({event.viewer_id for event in events if isinstance(event, OrderCreated)})
    assert figures.gmv_fen == sum(event.amount_fen for event in events if isinstance(event, OrderPaid))
    assert figures.likes == sum(event.count for event in events if isinstance(event, Like))
    assert figures.viewers == len({event.viewer_id for event in events if isinstance(event, Enter)})


def test_orders_cost_price_times_quantity_and_are_paid_then_refunded(big_session: Simulation) -> None:
    created: dict[str, OrderCreated] = {}
    paid: dict[str, OrderPaid] = {}
    refunds = 0
    for event in big_session.events():
        if isinstance(event, OrderCreated):
            assert event.amount_fen == PRICES[event.sku_code] * event.quantity
            assert event.order_id not in created
            created[event.order_id] = event
        elif isinstance(event, OrderPaid):
            order = created[event.order_id]
            assert (event.sku_code, event.quantity, event.amount_fen, event.viewer_id) == (
                order.sku_code, order.quantity, order.amount_fen, order.viewer_id)
            assert event.order_id not in paid
            assert event.occurred_at >= order.occurred_at
            paid[event.order_id] = event
        elif isinstance(event, OrderRefunded):
            payment = paid[event.order_id]  # only paid orders are refunded, once, after payment
            assert event.occurred_at > payment.occurred_at
            assert event.amount_fen == payment.amount_fen
            refunds += 1
    assert refunds == big_session.figures.orders_refunded > 0
    quick = sum((payment.occurred_at - created[order_id].occurred_at) <= timedelta(minutes=1)
                for order_id, payment in paid.items())
    assert quick >= 0.8 * len(paid)  # most orders are paid within a minute
    assert any(quantity > 1 for quantity in (order.quantity for order in created.values()))


def test_cart_adds_name_shelf_skus(events: list[LiveEvent]) -> None:
    carts = [event for event in events if isinstance(event, CartAdd)]
    assert carts
    assert all(event.sku_code in PRICES for event in carts)


def test_explain_events_match_the_schedule(session: Simulation, events: list[LiveEvent]) -> None:
    starts = [(e.link_number, e.occurred_at) for e in events if isinstance(e, ProductExplainStart)]
    ends = [(e.link_number, e.occurred_at) for e in events if isinstance(e, ProductExplainEnd)]

    def at(seconds: float) -> datetime:
        return START + timedelta(milliseconds=math.floor(seconds * 1000))

    assert starts == [(slot.link_number, at(slot.start_s)) for slot in session.schedule]
    assert ends == [(slot.link_number, at(slot.end_s)) for slot in session.schedule]


def test_the_planned_schedule_takes_products_in_turn_with_breaks() -> None:
    schedule = simulate(make_scenario(minutes=120, viewers=200)).schedule
    assert schedule[0].link_number == 1  # the 福利款 opens
    assert {slot.link_number for slot in schedule} == {product.link_number for product in SHELF}
    for slot, following in itertools.pairwise(schedule):
        assert 240 <= slot.end_s - slot.start_s <= 420
        assert 30 <= following.start_s - slot.end_s <= 120


def test_a_given_schedule_is_followed_and_clicks_follow_the_explained_product() -> None:
    schedule = (ExplainSlot(2, 60, 600), ExplainSlot(5, 660, 1_200))
    session = simulate(make_scenario(minutes=20, viewers=4_000, schedule=schedule))
    assert session.schedule == schedule
    during = [event.link_number for event in session.events() if isinstance(event, ProductClick)
              and timedelta(seconds=60) < event.occurred_at - START < timedelta(seconds=600)]
    assert len(during) > 50
    assert during.count(2) / len(during) >= 0.6


def test_comments_are_varied_and_name_the_shelf(session: Simulation, events: list[LiveEvent]) -> None:
    comments = [event for event in events if isinstance(event, Comment)]
    labels = [session.comment_labels[event.event_id] for event in comments]
    templates_used: dict[Intent, set[str]] = defaultdict(set)
    for label in labels:
        templates_used[label.intent].add(label.template)
    assert set(templates_used) == set(TEMPLATES)
    for intent, used in templates_used.items():
        assert len(used) >= min(6, len(TEMPLATES[intent])), intent
    assert len({event.text for event in comments}) > 0.3 * len(comments)
    naming = [(event.text, label.link_number) for event, label in zip(comments, labels, strict=True)
              if label.link_number is not None]
    assert len(naming) > 0.2 * len(comments)
    product_words = {link: (*product.names, str(link), "这个", "这款", "号链接")
                     for link, product in ((p.link_number, p) for p in SHELF)}
    assert sum(any(word in text for word in product_words[link]) for text, link in naming) > 0.9 * len(naming)


def test_comments_rise_and_turn_to_shopping_while_a_product_is_explained(session: Simulation,
                                                                         events: list[LiveEvent]) -> None:
    slots = session.schedule
    explaining_s = sum(slot.end_s - slot.start_s for slot in slots)
    between_s = session.scenario.duration_s - explaining_s

    def explained(event: LiveEvent) -> bool:
        offset = (event.occurred_at - START).total_seconds()
        return any(slot.start_s <= offset < slot.end_s for slot in slots)

    comments = [event for event in events if isinstance(event, Comment)]
    during = [event for event in comments if explained(event)]
    between = [event for event in comments if not explained(event)]
    online = {event.occurred_at: event.count for event in events if isinstance(event, OnlineCount)}
    assert len(during) / explaining_s > len(between) / between_s
    assert sum(online.values()) > 0

    def shopping_share(part: list[Comment]) -> float:
        intents = [session.comment_labels[event.event_id].intent for event in part]
        return sum(intent in ("question", "purchase_intent") for intent in intents) / len(intents)

    assert shopping_share(during) > shopping_share(between) + 0.1


def test_a_few_regulars_write_many_comments(events: list[LiveEvent]) -> None:
    per_viewer = Counter(event.viewer_id for event in events if isinstance(event, Comment))
    assert max(per_viewer.values()) >= 5
    assert sum(count > 1 for count in per_viewer.values()) > 0.2 * len(per_viewer)


def test_generator_speed() -> None:
    scenario = make_scenario(minutes=120, viewers=10_000)
    started = time.perf_counter()
    count = sum(1 for _ in simulate(scenario).events())
    rate = count / (time.perf_counter() - started)
    assert count > 50_000
    assert rate >= 50_000, f"{rate:,.0f} events/s"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"start": datetime(2026, 11, 20, 20)}, "time zone"),  # naive
        ({"schedule": (ExplainSlot(2, 0, 100), ExplainSlot(3, 50, 200))}, "overlap"),
        ({"schedule": (ExplainSlot(42, 0, 100),)}, "not on the shelf"),
        ({"schedule": (ExplainSlot(2, 0, 4_000),)}, "after the session"),
        ({"shelf": (SHELF[0], SHELF[0])}, "unique"),
        ({"duration": timedelta(seconds=5)}, "at least 10 seconds"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_scenarios_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_scenario(minutes=60, **changes)


def test_bad_model_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="click_through"):
        FunnelModel(click_through=(0.2, 0.1))
    with pytest.raises(ValueError, match="viewers"):
        AudienceModel(viewers=0)


def test_a_shelf_file_is_read_and_errors_name_the_field() -> None:
    shelf = load_shelf(b'{"products": [{"link_number": 3, "name": "\xe6\xb5\x8b\xe8\xaf\x95\xe9\x94\x85", '
                       b'"category": "x", "skus": [{"code": "T-1", "price_fen": 100}]}]}')
    assert shelf[0].link_number == 3
    assert shelf[0].unit_price_fen(shelf[0].skus[0]) == 100
    with pytest.raises(ValueError, match="price_fen"):
        load_shelf(b'{"products": [{"link_number": 3, "name": "n", "category": "x", '
                   b'"skus": [{"code": "T-1", "price_fen": 0}]}]}')
    with pytest.raises(ValueError, match=r"\$\.products\[0\]"):
        load_shelf(b'{"products": [{"name": "n"}]}')
    with pytest.raises(ValueError, match="not JSON"):
        load_shelf(b"{")


def test_live_discount_rounds_half_up() -> None:
    product = dataclasses.replace(SHELF[0], live_discount_bp=1_500)
    sku = dataclasses.replace(product.skus[0], price_fen=12_345)
    assert product.unit_price_fen(sku) == 10_493  # 10 493.25 → 10 493
    assert dataclasses.replace(product, live_discount_bp=5_000).unit_price_fen(
        dataclasses.replace(sku, price_fen=101)) == 51  # 50.5 → 51
