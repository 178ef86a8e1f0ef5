"""A seeded, deterministic live-session simulator: a ``Scenario`` in, time-ordered ``LiveEvent``s out.

The model (parameters and sources in docs/simulator.md):

* Viewers arrive as a Poisson process conditioned on its total (场观 UV): the arrival intensity is
  raised at the opening, while a product is explained (more for popular products, most for a
  福利款) and in random traffic bursts. They stay a log-normal time; some come back once.
* The funnel is per visit: product clicks are a Poisson process whose intensity rises while a
  product is explained, scaled so that the share of clicking visits hits the session's
  click-through rate; a share of clickers order (one of the products they clicked), most orders
  are paid within a minute, a few paid orders are refunded later in the session.
* Comments, likes, gifts, follows and shares happen inside a visit, more densely while a product
  is explained; comment text comes from ``comments.CommentWriter``.
* ``OnlineCount`` every 5 s is exactly the number of viewers in the room.

Everything is drawn up front with NumPy (vectorised, one seeded generator); events are built
lazily in time order. Within one millisecond the order is fixed (explanations, enters, actions,
leaves, then the online count), so the stream order agrees with who is in the room.
"""

from __future__ import annotations

import enum
import hashlib
import math
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, TypedDict

import numpy as np
import numpy.typing as npt

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
)
from livebridge.simulate.comments import CommentWriter
from livebridge.simulate.scenario import ExplainSlot, Scenario, ShelfProduct, SkuSpec, plan_schedule
from livebridge.text.labels import MODEL_INTENTS, Intent

__all__ = ["SOURCE", "CommentLabel", "SessionFigures", "Simulation", "generate_events", "simulate"]

SOURCE: Final = "simulator"
ONLINE_SAMPLE_MS: Final = 5_000

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

# (name, value of one in fen, how often it is chosen); made-up, cheap gifts dominate.
_GIFTS: Final = (
    ("小心心", 10, 0.34), ("玫瑰", 10, 0.2), ("点亮灯牌", 10, 0.15), ("棒棒糖", 90, 0.12),
    ("加油鸭", 150, 0.1), ("爱心发射", 990, 0.07), ("浪漫花火", 2_990, 0.02),
)
_CHEAP_GIFT_BUNDLES: Final = ((1, 0.8), (10, 0.15), (66, 0.05))
_COMMENT_FULL_INTEREST_S: Final = 120.0
_PACK_FACTOR: Final = 1_000_000  # a visit this long is as likely to comment as any longer one


class _Kind(enum.IntEnum):
    """Event kinds, numbered in their order within one millisecond."""

    EXPLAIN_END = 0
    EXPLAIN_START = 1
    ENTER = 2
    PRODUCT_CLICK = 3
    CART_ADD = 4
    ORDER_CREATED = 5
    ORDER_PAID = 6
    COMMENT = 7
    LIKE = 8
    GIFT = 9
    FOLLOW = 10
    SHARE = 11
    ORDER_REFUNDED = 12
    LEAVE = 13
    ONLINE_COUNT = 14


class _SimulatedMarks(TypedDict):
    source: str
    is_simulated: bool


_EventBuilder = Callable[[str, datetime, int, int], LiveEvent]  # (event id, time, viewer index, payload)
_EVENT_CLASS: Final[dict[_Kind, type[LiveEvent]]] = {
    _Kind.EXPLAIN_END: ProductExplainEnd, _Kind.EXPLAIN_START: ProductExplainStart, _Kind.ENTER: Enter,
    _Kind.PRODUCT_CLICK: ProductClick, _Kind.CART_ADD: CartAdd, _Kind.ORDER_CREATED: OrderCreated,
    _Kind.ORDER_PAID: OrderPaid, _Kind.COMMENT: Comment, _Kind.LIKE: Like, _Kind.GIFT: Gift, _Kind.FOLLOW: Follow,
    _Kind.SHARE: Share, _Kind.ORDER_REFUNDED: OrderRefunded, _Kind.LEAVE: Leave, _Kind.ONLINE_COUNT: OnlineCount,
}


@dataclass(frozen=True, slots=True)
class CommentLabel:
    """The truth behind a simulated comment, for evaluating comment understanding."""

    intent: Intent
    template: str
    link_number: int | None


@dataclass(frozen=True, slots=True)
class SessionFigures:
    """What was simulated, with the funnel rates drawn for this session (``target_*``)."""

    viewers: int
    visits: int
    peak_online: int
    average_online: float
    commenters: int
    comments: int
    likes: int
    clickers: int
    clicks: int
    cart_adds: int
    buyers: int
    orders_created: int
    orders_paid: int
    orders_refunded: int
    gmv_fen: int  # paid orders
    refunded_fen: int
    target_click_through: float
    target_click_to_order: float
    target_pay_rate: float
    target_refund_rate: float
    events_by_type: Mapping[str, int]

    @property
    def comment_share(self) -> float:
        return self.commenters / self.viewers

    @property
    def click_through(self) -> float:
        return self.clickers / self.viewers

    @property
    def click_to_order(self) -> float:
        return self.buyers / self.clickers if self.clickers else 0.0

    @property
    def pay_rate(self) -> float:
        return self.orders_paid / self.orders_created if self.orders_created else 0.0

    @property
    def refund_rate(self) -> float:
        return self.orders_refunded / self.orders_paid if self.orders_paid else 0.0

    @property
    def gpm_fen(self) -> int:
        """Paid GMV per thousand views (a visit is a view)."""
        return round(self.gmv_fen * 1000 / self.visits)


class _Clock:
    """Sampling times from a per-second intensity: inverse transform of its cumulative sum."""

    def __init__(self, intensity: Floats, grid: Floats) -> None:
        self.grid = grid
        self.cumulative = np.concatenate(([0.0], np.cumsum(intensity * np.diff(grid))))

    def exposure(self, starts: Floats, ends: Floats) -> Floats:
        """The integral of the intensity over each interval."""
        return np.interp(ends, self.grid, self.cumulative) - np.interp(starts, self.grid, self.cumulative)

    def draw(self, rng: np.random.Generator, count: int) -> Floats:
        """``count`` sorted times over the whole session."""
        return np.sort(np.interp(rng.uniform(0.0, self.cumulative[-1], count), self.cumulative, self.grid))

    def draw_within(self, rng: np.random.Generator, starts: Floats, ends: Floats, counts: Ints) -> tuple[Ints, Floats]:
        """``counts[i]`` times inside ``[starts[i], ends[i]]`` each; returns (interval index, time)."""
        owner = np.repeat(np.arange(starts.size, dtype=np.int64), counts)
        low = np.interp(starts[owner], self.grid, self.cumulative)
        high = np.interp(ends[owner], self.grid, self.cumulative)
        times = np.interp(low + rng.random(owner.size) * (high - low), self.cumulative, self.grid)
        # Interpolation can round a hair outside the interval; the in-room guarantee must hold exactly.
        return owner, np.clip(times, starts[owner], ends[owner])


@dataclass(slots=True)
class _Visits:
    viewer: Ints
    enter: Floats
    leave: Floats

    @property
    def size(self) -> int:
        return int(self.viewer.size)

    @staticmethod
    def concat(first: _Visits, second: _Visits) -> _Visits:
        return _Visits(np.concatenate((first.viewer, second.viewer)), np.concatenate((first.enter, second.enter)),
                       np.concatenate((first.leave, second.leave)))


@dataclass(slots=True)
class _Orders:
    viewer: Ints
    sku: Ints
    quantity: Ints
    created: Floats
    paid: Floats  # NaN: never paid
    refunded: Floats  # NaN: not refunded
    visit_leave: Floats

    @staticmethod
    def concat(first: _Orders, second: _Orders) -> _Orders:
        def joined(name: str) -> npt.NDArray[Any]:
            return np.concatenate((getattr(first, name), getattr(second, name)))

        return _Orders(joined("viewer"), joined("sku"), joined("quantity"), joined("created"), joined("paid"),
                       joined("refunded"), joined("visit_leave"))

    def by_creation(self) -> _Orders:
        order = np.argsort(self.created, kind="stable")
        return _Orders(self.viewer[order], self.sku[order], self.quantity[order], self.created[order],
                       self.paid[order], self.refunded[order], self.visit_leave[order])


class _Rows:
    """Event rows collected column-wise per kind: time (s), viewer index (-1: none), payload."""

    def __init__(self) -> None:
        self._parts: list[tuple[_Kind, Floats, Ints, Ints]] = []

    def add(self, kind: _Kind, times: Floats, viewers: Ints | None = None, payload: Ints | None = None) -> None:
        size = times.size
        self._parts.append((
            kind,
            times,
            viewers if viewers is not None else np.full(size, -1, dtype=np.int64),
            payload if payload is not None else np.zeros(size, dtype=np.int64),
        ))

    def count(self, kind: _Kind) -> int:
        return sum(times.size for part_kind, times, _, _ in self._parts if part_kind == kind)

    def distinct_viewers(self, kind: _Kind) -> int:
        viewers = [viewers for part_kind, _, viewers, _ in self._parts if part_kind == kind]
        return int(np.unique(np.concatenate(viewers)).size) if viewers else 0

    def sorted_columns(self) -> tuple[list[int], list[int], list[int], list[int]]:
        """(millisecond, kind, viewer, payload) lists in stream order."""
        times = np.concatenate([times for _, times, _, _ in self._parts])
        kinds = np.concatenate([np.full(times.size, int(kind), dtype=np.int64) for kind, times, _, _ in self._parts])
        viewers = np.concatenate([viewers for _, _, viewers, _ in self._parts])
        payloads = np.concatenate([payload for _, _, _, payload in self._parts])
        milliseconds = np.floor(times * 1000.0).astype(np.int64)
        order = np.lexsort((viewers, kinds, milliseconds))  # stable: full ties keep insertion order
        return (milliseconds[order].tolist(), kinds[order].tolist(), viewers[order].tolist(),
                payloads[order].tolist())


def _pack(index: Ints, quantity: Ints) -> Ints:
    """A table index and a quantity in one payload integer (quantities stay far below the factor)."""
    return index * _PACK_FACTOR + quantity


class Simulation:
    """A generated session: its figures, the comment truth, and its events in time order."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.run_key = hashlib.blake2b(repr(scenario).encode(), digest_size=6).hexdigest()
        self.schedule: tuple[ExplainSlot, ...] = (
            scenario.schedule if scenario.schedule is not None
            else plan_schedule(scenario.shelf, scenario.duration_s, scenario.seed)
        )
        self._id_prefix = f"sim-{self.run_key}-"
        builder = _Builder(scenario, self.schedule, self._id_prefix)
        self.figures = builder.figures
        self._columns = builder.rows.sorted_columns()
        self._builders = builder.event_builders()
        kinds, payloads = self._columns[1], self._columns[3]
        self.comment_labels: Mapping[str, CommentLabel] = {
            f"{self._id_prefix}{seq}": builder.comment_labels[payloads[seq]]
            for seq, kind in enumerate(kinds) if kind == _Kind.COMMENT
        }

    def __len__(self) -> int:
        return len(self._columns[0])

    def events(self) -> Iterator[LiveEvent]:
        """Built on the fly, so a long session streams without holding every event in memory."""
        start, builders, prefix = self.scenario.start, self._builders, self._id_prefix
        for seq, (ms, kind, viewer, payload) in enumerate(zip(*self._columns, strict=True)):
            yield builders[kind](f"{prefix}{seq}", start + timedelta(milliseconds=ms), viewer, payload)


def simulate(scenario: Scenario) -> Simulation:
    return Simulation(scenario)


def generate_events(scenario: Scenario) -> Iterator[LiveEvent]:
    """The scenario's events in time order (``simulate`` also gives figures and comment truth)."""
    return simulate(scenario).events()


class _Builder:
    """Draws one session. Each step uses the single seeded generator, in a fixed order."""

    def __init__(self, scenario: Scenario, schedule: tuple[ExplainSlot, ...], id_prefix: str) -> None:
        self.scenario = scenario
        self.id_prefix = id_prefix
        self.rng = np.random.default_rng(scenario.seed)
        self.rows = _Rows()
        self.comment_labels: list[CommentLabel] = []
        self.comment_texts: list[str] = []
        self._writer = CommentWriter(scenario.shelf, random.Random(f"comments:{scenario.seed}"))
        self.duration = scenario.duration_s
        self._index_shelf()
        self._explained = self._explained_per_second(schedule)
        self._build_clocks()
        self._draw_rates()

        first = self._first_visits()
        again = self._returning_visits(first)
        click_scale = self._click_scale(_Visits.concat(first, again))
        left_before_shopping = first.leave.copy()
        first_orders = self._shop(first, click_scale)
        again = self._after_shopping(again, first.leave - left_before_shopping)
        again_orders = self._shop(again, click_scale)
        visits = _Visits.concat(first, again)
        self.orders = self._emit_orders(_Orders.concat(first_orders, again_orders).by_creation())
        self.rows.add(_Kind.ENTER, visits.enter, visits.viewer)
        self.rows.add(_Kind.LEAVE, visits.leave, visits.viewer)
        commenters = self._comments(visits)
        likes = self._likes(visits)
        self._single_actions(visits, first)
        online = self._online_counts(visits)
        self._explain_events(schedule)
        self.figures = self._figures(visits, commenters, likes, online)

    # -- set-up ---------------------------------------------------------------------------------

    def _index_shelf(self) -> None:
        shelf = self.scenario.shelf
        self.product_by_link: dict[int, ShelfProduct] = {product.link_number: product for product in shelf}
        self.links = np.array([product.link_number for product in shelf], dtype=np.int64)
        popularity = np.array([product.popularity for product in shelf])
        self.link_weights = popularity / popularity.sum()
        top = int(self.links.max()) + 1
        self.popularity_of_link = np.zeros(top)
        self.popularity_of_link[self.links] = popularity
        self.is_deal_link = np.zeros(top)
        self.is_deal_link[self.links] = [float(product.is_deal) for product in shelf]
        self.skus: list[SkuSpec] = []
        first_sku = np.zeros(top, dtype=np.int64)
        sku_count = np.zeros(top, dtype=np.int64)
        unit_prices: list[int] = []
        for product in shelf:
            first_sku[product.link_number] = len(self.skus)
            sku_count[product.link_number] = len(product.skus)
            self.skus.extend(product.skus)
            unit_prices.extend(product.unit_price_fen(sku) for sku in product.skus)
        self.first_sku_of_link, self.sku_count_of_link = first_sku, sku_count
        self.unit_price_fen = np.array(unit_prices, dtype=np.int64)
        self.link_of_sku = np.repeat(self.links, [len(product.skus) for product in shelf])

    def _explained_per_second(self, schedule: tuple[ExplainSlot, ...]) -> Ints:
        explained = np.zeros(math.ceil(self.duration), dtype=np.int64)
        for slot in schedule:
            explained[math.floor(slot.start_s):math.ceil(slot.end_s)] = slot.link_number
        return explained

    def _build_clocks(self) -> None:
        audience, engagement, funnel = self.scenario.audience, self.scenario.engagement, self.scenario.funnel
        seconds = self._explained.size
        grid = np.minimum(np.arange(seconds + 1, dtype=np.float64), self.duration)
        popularity = self.popularity_of_link[self._explained]
        deal = self.is_deal_link[self._explained]
        opening = 1.0 + audience.opening_boost * np.exp(-(np.arange(seconds) + 0.5) / audience.opening_fade_s)
        arrivals = opening * (1.0 + audience.explanation_boost * popularity + audience.deal_boost * deal)
        for _ in range(self.rng.poisson(audience.bursts_per_hour * self.duration / 3600.0)):
            start = int(self.rng.integers(0, seconds))
            length = int(self.rng.uniform(*audience.burst_seconds))
            arrivals[start:start + length] *= 1.0 + audience.burst_boost
        self.arrival_clock = _Clock(arrivals, grid)
        self.activity_clock = _Clock(1.0 + engagement.explanation_comment_boost * popularity, grid)
        self.click_clock = _Clock(
            1.0 + funnel.explanation_click_boost * popularity * (1.0 + funnel.deal_click_boost * deal), grid
        )

    def _draw_rates(self) -> None:
        funnel = self.scenario.funnel
        self.click_through, self.click_to_order, self.pay_rate, self.refund_rate = (
            float(self.rng.uniform(*bounds))
            for bounds in (funnel.click_through, funnel.click_to_order, funnel.pay_rate, funnel.refund_rate)
        )

    def _lognormal(self, median: float, sigma: float, size: int) -> Floats:
        return self.rng.lognormal(math.log(median), sigma, size)

    def _explained_at(self, times: Floats) -> Ints:
        return self._explained[np.minimum(times.astype(np.int64), self._explained.size - 1)]

    def _any_link(self, size: int) -> Ints:
        return self.rng.choice(self.links, size=size, p=self.link_weights)

    # -- visits ---------------------------------------------------------------------------------

    def _dwell(self, size: int) -> Floats:
        audience = self.scenario.audience
        return np.maximum(self._lognormal(audience.dwell_median_s, audience.dwell_sigma, size), audience.min_dwell_s)

    def _first_visits(self) -> _Visits:
        viewers = self.scenario.audience.viewers
        enter = self.arrival_clock.draw(self.rng, viewers)
        leave = np.minimum(enter + self._dwell(viewers), self.duration)
        return _Visits(np.arange(viewers, dtype=np.int64), enter, leave)

    def _returning_visits(self, first: _Visits) -> _Visits:
        """Some viewers come back once, a while after their first visit."""
        audience = self.scenario.audience
        chosen = (self.rng.random(first.size) < audience.returning_share) & (first.leave < self.duration - 60.0)
        enter = first.leave[chosen] + 1.0 + self._lognormal(audience.return_gap_median_s, 0.8, int(chosen.sum()))
        kept = enter < self.duration - 10.0
        enter = enter[kept]
        leave = np.minimum(enter + self._dwell(enter.size), self.duration)
        return _Visits(first.viewer[chosen][kept], enter, leave)

    def _after_shopping(self, again: _Visits, first_visit_extension: Floats) -> _Visits:
        """Returning visits moved later by as much as shopping lengthened the viewer's first visit."""
        shift = first_visit_extension[again.viewer]  # a viewer's index is that of their first visit
        enter = again.enter + shift
        kept = enter < self.duration - 10.0
        return _Visits(again.viewer[kept], enter[kept], np.minimum(again.leave + shift, self.duration)[kept])

    # -- the funnel -----------------------------------------------------------------------------

    def _click_scale(self, visits: _Visits) -> float:
        """The click intensity scale at which the expected share of viewers who click is the target.

        Visits rarely click twice for one viewer, so viewers × rate ≈ Σ over visits of P(click).
        """
        exposure = self.click_clock.exposure(visits.enter, visits.leave)
        target = min(1.0, self.click_through * self.scenario.audience.viewers / visits.size)
        if target <= 0.0:
            return 0.0
        low, high = 0.0, 1e-3
        while np.mean(1.0 - np.exp(-high * exposure)) < target and high < 1e6:
            high *= 2.0
        for _ in range(60):
            middle = (low + high) / 2.0
            low, high = (middle, high) if np.mean(1.0 - np.exp(-middle * exposure)) < target else (low, middle)
        return (low + high) / 2.0

    def _shop(self, visits: _Visits, click_scale: float) -> _Orders:
        """Clicks, cart adds and orders of these visits; buyers' visits last until they have paid."""
        rng, funnel = self.rng, self.scenario.funnel
        counts = rng.poisson(click_scale * self.click_clock.exposure(visits.enter, visits.leave))
        owner, times = self.click_clock.draw_within(rng, visits.enter, visits.leave, counts)
        explained = self._explained_at(times)
        on_explained = (explained > 0) & (rng.random(times.size) < funnel.explained_click_share)
        links = np.where(on_explained, explained, self._any_link(times.size))
        self.rows.add(_Kind.PRODUCT_CLICK, times, visits.viewer[owner], links)

        # Every click gets a SKU and a quantity; a cart add shows them, an order from it reuses them.
        skus = self.first_sku_of_link[links] + (rng.random(times.size) * self.sku_count_of_link[links]).astype(np.int64)
        weights = np.asarray(funnel.quantity_weights, dtype=np.float64)
        quantities = rng.choice(np.arange(1, weights.size + 1), size=times.size, p=weights / weights.sum())
        carted = rng.random(times.size) < funnel.cart_add_share
        cart_times = np.minimum(times + rng.uniform(3.0, 30.0, times.size), visits.leave[owner])
        cart_rows = _pack(skus, quantities)
        self.rows.add(_Kind.CART_ADD, cart_times[carted], visits.viewer[owner][carted], cart_rows[carted])

        # A clicking visit orders from its last click; a 福利款 converts better.
        order = np.lexsort((times, owner))
        last_click = order[np.r_[owner[order][1:] != owner[order][:-1], True]] if order.size else order
        deal_weight = 1.0 + funnel.deal_click_boost * self.is_deal_link[links[last_click]]
        chance = self.click_to_order * deal_weight / (deal_weight.mean() if last_click.size else 1.0)
        ordering = last_click[rng.random(last_click.size) < chance]
        created = times[ordering] + self._lognormal(funnel.order_delay_median_s, 0.6, ordering.size)
        in_session = created < self.duration - 0.01
        ordering, created = ordering[in_session], created[in_session]
        paid = created + self._lognormal(funnel.pay_delay_median_s, 0.8, ordering.size)
        paid = np.where((rng.random(ordering.size) < self.pay_rate) & (paid < self.duration), paid, np.nan)
        refundable = ~np.isnan(paid) & (paid < self.duration - 120.0)
        refunded = np.where(
            refundable & (rng.random(ordering.size) < self.refund_rate),
            paid + 60.0 + rng.random(ordering.size) * (self.duration - 61.0 - paid),
            np.nan,
        )
        visit = owner[ordering]
        last_step = np.where(np.isnan(paid), created, paid)
        visits.leave[visit] = np.maximum(
            visits.leave[visit], np.minimum(last_step + rng.uniform(5.0, 60.0, visit.size), self.duration)
        )
        return _Orders(visits.viewer[visit], skus[ordering], quantities[ordering], created, paid, refunded,
                       visits.leave[visit])

    def _emit_orders(self, orders: _Orders) -> _Orders:
        """Order rows; an order's number (in its id) is its rank by creation time."""
        number = np.arange(orders.viewer.size, dtype=np.int64)
        paid, refunded = ~np.isnan(orders.paid), ~np.isnan(orders.refunded)
        self.rows.add(_Kind.ORDER_CREATED, orders.created, orders.viewer, number)
        self.rows.add(_Kind.ORDER_PAID, orders.paid[paid], orders.viewer[paid], number[paid])
        self.rows.add(_Kind.ORDER_REFUNDED, orders.refunded[refunded], orders.viewer[refunded], number[refunded])
        return orders

    # -- engagement -----------------------------------------------------------------------------

    def _comments(self, visits: _Visits) -> int:
        """Comments of the visits and of paying buyers; returns the number of distinct commenters."""
        rng, engagement = self.rng, self.scenario.engagement
        interest = 1.0 - np.exp(-(visits.leave - visits.enter) / _COMMENT_FULL_INTEREST_S)
        # Per visit, so that viewers × share ≈ Σ over visits of P(comment), as for clicks.
        per_visit = engagement.commenter_share * self.scenario.audience.viewers / visits.size
        chance = np.minimum(1.0, per_visit * interest / interest.mean())
        commenting = rng.random(visits.size) < chance
        chattiness = self._lognormal(engagement.comments_per_commenter_hour / 3600.0, engagement.chattiness_sigma,
                                     self.scenario.audience.viewers)
        extra = rng.poisson(chattiness[visits.viewer] * self.activity_clock.exposure(visits.enter, visits.leave))
        owner, times = self.activity_clock.draw_within(rng, visits.enter, visits.leave, commenting * (1 + extra))
        explained = self._explained_at(times)
        intents = np.where(explained > 0, self._draw_intents(engagement.intent_mix_explaining, times.size),
                           self._draw_intents(engagement.intent_mix_between, times.size))
        mentioned = np.where((explained > 0) & (rng.random(times.size) < engagement.explained_mention_share),
                             explained, self._any_link(times.size))
        self._write_comments(times, visits.viewer[owner], intents, mentioned, explained)

        paid = np.flatnonzero(~np.isnan(self.orders.paid))
        saying = paid[rng.random(paid.size) < engagement.buyer_comment_share]
        said_at = np.minimum(self.orders.paid[saying] + rng.uniform(2.0, 20.0, saying.size),
                             self.orders.visit_leave[saying])
        links = self.link_of_sku[self.orders.sku[saying]]
        purchase = np.full(saying.size, MODEL_INTENTS.index("purchase_intent"), dtype=np.int64)
        self._write_comments(said_at, self.orders.viewer[saying], purchase, links, self._explained_at(said_at))
        return int(np.unique(np.concatenate((visits.viewer[owner], self.orders.viewer[saying]))).size)

    def _draw_intents(self, mix: Mapping[Intent, float], size: int) -> Ints:
        weights = np.array([mix.get(intent, 0.0) for intent in MODEL_INTENTS])
        return self.rng.choice(len(MODEL_INTENTS), size=size, p=weights / weights.sum())

    def _write_comments(self, times: Floats, viewers: Ints, intents: Ints, links: Ints, explained: Ints) -> None:
        first = len(self.comment_texts)
        for intent, link, now_explained in zip(intents.tolist(), links.tolist(), explained.tolist(), strict=True):
            written = self._writer.write(
                MODEL_INTENTS[intent], self.product_by_link[link], is_explained=link == now_explained
            )
            self.comment_texts.append(written.text)
            self.comment_labels.append(CommentLabel(written.intent, written.template, written.link_number))
        self.rows.add(_Kind.COMMENT, times, viewers, np.arange(first, len(self.comment_texts), dtype=np.int64))

    def _likes(self, visits: _Visits) -> int:
        rng, engagement = self.rng, self.scenario.engagement
        liking = rng.random(visits.size) < engagement.liker_share
        rate = engagement.like_batches_per_minute / 60.0
        batches = liking * rng.poisson(rate * self.activity_clock.exposure(visits.enter, visits.leave))
        owner, times = self.activity_clock.draw_within(rng, visits.enter, visits.leave, batches)
        counts = rng.geometric(1.0 / engagement.like_batch_mean, owner.size).astype(np.int64)
        self.rows.add(_Kind.LIKE, times, visits.viewer[owner], counts)
        return int(counts.sum())

    def _once_per_visit(self, kind: _Kind, visits: _Visits, share: float, payload: Ints | None = None) -> Bools:
        chosen = self.rng.random(visits.size) < share
        owner, times = self.activity_clock.draw_within(self.rng, visits.enter, visits.leave, chosen.astype(np.int64))
        self.rows.add(kind, times, visits.viewer[owner], None if payload is None else payload[owner])
        return chosen

    def _single_actions(self, visits: _Visits, first: _Visits) -> None:
        """Gifts and shares in any visit; a viewer follows at most once, so only in a first visit."""
        engagement = self.scenario.engagement
        gift = self.rng.choice(len(_GIFTS), size=visits.size, p=[weight for _, _, weight in _GIFTS])
        bundles = np.array([size for size, _ in _CHEAP_GIFT_BUNDLES])
        bundle = self.rng.choice(bundles, size=visits.size, p=[weight for _, weight in _CHEAP_GIFT_BUNDLES])
        cheap = np.array([value for _, value, _ in _GIFTS])[gift] <= 10
        self._once_per_visit(_Kind.GIFT, visits, engagement.gift_share, _pack(gift, np.where(cheap, bundle, 1)))
        self._once_per_visit(_Kind.SHARE, visits, engagement.share_share)
        self._once_per_visit(_Kind.FOLLOW, first, engagement.follow_share)

    def _online_counts(self, visits: _Visits) -> Ints:
        sample_ms = np.arange(0, int(self.duration * 1000) + 1, ONLINE_SAMPLE_MS, dtype=np.int64)
        entered = np.sort(np.floor(visits.enter * 1000.0).astype(np.int64))
        left = np.sort(np.floor(visits.leave * 1000.0).astype(np.int64))
        online = np.searchsorted(entered, sample_ms, side="right") - np.searchsorted(left, sample_ms, side="right")
        self.rows.add(_Kind.ONLINE_COUNT, sample_ms / 1000.0, None, online.astype(np.int64))
        return online

    def _explain_events(self, schedule: tuple[ExplainSlot, ...]) -> None:
        links = np.array([slot.link_number for slot in schedule], dtype=np.int64)
        self.rows.add(_Kind.EXPLAIN_START, np.array([slot.start_s for slot in schedule], dtype=np.float64), None, links)
        self.rows.add(_Kind.EXPLAIN_END, np.array([slot.end_s for slot in schedule], dtype=np.float64), None, links)

    # -- output ---------------------------------------------------------------------------------

    def _figures(self, visits: _Visits, commenters: int, likes: int, online: Ints) -> SessionFigures:
        orders, rows = self.orders, self.rows
        amounts = self.unit_price_fen[orders.sku] * orders.quantity
        paid, refunded = ~np.isnan(orders.paid), ~np.isnan(orders.refunded)
        return SessionFigures(
            viewers=self.scenario.audience.viewers,
            visits=visits.size,
            peak_online=int(online.max()),
            average_online=float(online.mean()),
            commenters=commenters,
            comments=rows.count(_Kind.COMMENT),
            likes=likes,
            clickers=rows.distinct_viewers(_Kind.PRODUCT_CLICK),
            clicks=rows.count(_Kind.PRODUCT_CLICK),
            cart_adds=rows.count(_Kind.CART_ADD),
            buyers=int(np.unique(orders.viewer).size),
            orders_created=int(orders.viewer.size),
            orders_paid=int(paid.sum()),
            orders_refunded=int(refunded.sum()),
            gmv_fen=int(amounts[paid].sum()),
            refunded_fen=int(amounts[refunded].sum()),
            target_click_through=self.click_through,
            target_click_to_order=self.click_to_order,
            target_pay_rate=self.pay_rate,
            target_refund_rate=self.refund_rate,
            events_by_type={str(_EVENT_CLASS[kind].__struct_config__.tag): rows.count(kind) for kind in _Kind},
        )

    def event_builders(self) -> list[_EventBuilder]:
        """One function per kind that turns a row into its event."""
        prefix, skus, orders = self.id_prefix, self.skus, self.orders
        viewer_ids = [f"{prefix}u{index}" for index in range(self.scenario.audience.viewers)]
        order_ids = [f"{prefix}o{number}" for number in range(orders.viewer.size)]
        order_skus = [skus[index].code for index in orders.sku.tolist()]
        order_quantities = orders.quantity.tolist()
        order_amounts = (self.unit_price_fen[orders.sku] * orders.quantity).tolist()
        texts = self.comment_texts
        common: _SimulatedMarks = {"source": SOURCE, "is_simulated": True}

        def viewer_event(cls: type[Enter | Leave | Follow | Share]) -> _EventBuilder:
            return lambda event_id, at, viewer, _: cls(
                event_id=event_id, occurred_at=at, viewer_id=viewer_ids[viewer], **common
            )

        def order_event(cls: type[OrderCreated | OrderPaid | OrderRefunded]) -> _EventBuilder:
            return lambda event_id, at, viewer, number: cls(
                event_id=event_id, occurred_at=at, viewer_id=viewer_ids[viewer], order_id=order_ids[number],
                sku_code=order_skus[number], quantity=order_quantities[number], amount_fen=order_amounts[number],
                **common,
            )

        def explain_event(cls: type[ProductExplainStart | ProductExplainEnd]) -> _EventBuilder:
            return lambda event_id, at, _, link: cls(event_id=event_id, occurred_at=at, link_number=link, **common)

        def cart_add(event_id: str, at: datetime, viewer: int, payload: int) -> LiveEvent:
            sku, quantity = divmod(payload, _PACK_FACTOR)
            return CartAdd(event_id=event_id, occurred_at=at, viewer_id=viewer_ids[viewer], sku_code=skus[sku].code,
                           quantity=quantity, **common)

        def gift(event_id: str, at: datetime, viewer: int, payload: int) -> LiveEvent:
            index, quantity = divmod(payload, _PACK_FACTOR)
            name, value_fen, _ = _GIFTS[index]
            return Gift(event_id=event_id, occurred_at=at, viewer_id=viewer_ids[viewer], gift_name=name,
                        quantity=quantity, value_fen=value_fen * quantity, **common)

        builders: dict[_Kind, _EventBuilder] = {
            _Kind.EXPLAIN_END: explain_event(ProductExplainEnd),
            _Kind.EXPLAIN_START: explain_event(ProductExplainStart),
            _Kind.ENTER: viewer_event(Enter),
            _Kind.PRODUCT_CLICK: lambda event_id, at, viewer, link: ProductClick(
                event_id=event_id, occurred_at=at, viewer_id=viewer_ids[viewer], link_number=link, **common
            ),
            _Kind.CART_ADD: cart_add,
            _Kind.ORDER_CREATED: order_event(OrderCreated),
            _Kind.ORDER_PAID: order_event(OrderPaid),
            _Kind.COMMENT: lambda event_id, at, viewer, index: Comment(
                event_id=event_id, occurred_at=at, viewer_id=viewer_ids[viewer], text=texts[index], **common
            ),
            _Kind.LIKE: lambda event_id, at, viewer, count: Like(
                event_id=event_id, occurred_at=at, viewer_id=viewer_ids[viewer], count=count, **common
            ),
            _Kind.GIFT: gift,
            _Kind.FOLLOW: viewer_event(Follow),
            _Kind.SHARE: viewer_event(Share),
            _Kind.ORDER_REFUNDED: order_event(OrderRefunded),
            _Kind.LEAVE: viewer_event(Leave),
            _Kind.ONLINE_COUNT: lambda event_id, at, _, count: OnlineCount(
                event_id=event_id, occurred_at=at, count=count, **common
            ),
        }
        return [builders[kind] for kind in _Kind]
