"""What the simulator imitates: a live session's shelf, explanation plan, audience and funnel.

Plain, validated data; ``generator.simulate`` turns a ``Scenario`` into events. The defaults and
where their ranges come from are in docs/simulator.md.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Final

import msgspec

from livebridge.text.labels import Intent

__all__ = [
    "AudienceModel",
    "EngagementModel",
    "ExplainSlot",
    "FunnelModel",
    "Scenario",
    "ShelfProduct",
    "SkuSpec",
    "example_shelf",
    "load_shelf",
    "plan_schedule",
]

BASIS_POINTS: Final = 10_000
MAX_LINK_NUMBER: Final = 999
MAX_CODE_CHARS: Final = 64


@dataclass(frozen=True, slots=True)
class SkuSpec:
    code: str
    price_fen: int
    spec: str = ""  # 规格 as the viewer sees it, e.g. "5L 白色"

    def __post_init__(self) -> None:
        if not 0 < len(self.code) <= MAX_CODE_CHARS:
            raise ValueError(f"SKU code must have 1-{MAX_CODE_CHARS} characters: {self.code!r}")
        if self.price_fen <= 0:
            raise ValueError(f"SKU {self.code}: price_fen must be positive")


@dataclass(frozen=True, slots=True)
class ShelfProduct:
    link_number: int  # 几号链接 on the shelf
    name: str
    category: str
    skus: tuple[SkuSpec, ...]
    aliases: tuple[str, ...] = ()  # what viewers call it: 炸锅, 电饭锅, AF5 …
    popularity: float = 1.0  # relative pull; traffic, clicks and comments while explained scale with it
    is_deal: bool = False  # 福利款: its explanations bring a traffic and order spike
    live_discount_bp: int = 0  # live-room discount off the SKU price

    def __post_init__(self) -> None:
        if not 1 <= self.link_number <= MAX_LINK_NUMBER:
            raise ValueError(f"link_number must be 1-{MAX_LINK_NUMBER}: {self.link_number}")
        if not self.skus:
            raise ValueError(f"product {self.name!r} has no SKU")
        if self.popularity <= 0:
            raise ValueError(f"product {self.name!r}: popularity must be positive")
        if not 0 <= self.live_discount_bp < BASIS_POINTS:
            raise ValueError(f"product {self.name!r}: live_discount_bp must be 0-9999")

    def unit_price_fen(self, sku: SkuSpec) -> int:
        """The live price of one piece: the SKU price less the live discount, rounded half up."""
        return (sku.price_fen * (BASIS_POINTS - self.live_discount_bp) + BASIS_POINTS // 2) // BASIS_POINTS

    @property
    def names(self) -> tuple[str, ...]:
        """Every way of naming the product in a comment."""
        return (self.name, *self.aliases)


@dataclass(frozen=True, slots=True)
class ExplainSlot:
    """One explanation (讲解) of a product, in seconds from the session start."""

    link_number: int
    start_s: float
    end_s: float

    def __post_init__(self) -> None:
        if not 0 <= self.start_s < self.end_s:
            raise ValueError(f"explanation of link {self.link_number} must end after it starts")


def _unit_range(name: str, low: float, high: float) -> None:
    if not 0 <= low <= high <= 1:
        raise ValueError(f"{name} must be a range within 0..1, low first: ({low}, {high})")


def _share(name: str, value: float) -> None:
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be within 0..1: {value}")


@dataclass(frozen=True, slots=True)
class AudienceModel:
    """Who comes and how long they stay."""

    viewers: int = 10_000  # distinct viewers over the session (场观 UV)
    dwell_median_s: float = 90.0
    dwell_sigma: float = 1.1  # log-normal: most leave within minutes, a tail of regulars stays 20+ min
    min_dwell_s: float = 3.0
    returning_share: float = 0.12  # viewers who leave and come back once
    return_gap_median_s: float = 300.0
    opening_boost: float = 2.0  # extra arrivals at the start (开播推流), fading out
    opening_fade_s: float = 600.0
    explanation_boost: float = 0.5  # × the explained product's popularity
    deal_boost: float = 1.5  # on top while a 福利款 is explained
    bursts_per_hour: float = 1.0  # platform traffic pushes (流量推送)
    burst_boost: float = 3.0
    burst_seconds: tuple[float, float] = (30.0, 120.0)

    def __post_init__(self) -> None:
        if self.viewers < 1:
            raise ValueError("viewers must be at least 1")
        if self.dwell_median_s <= 0 or self.dwell_sigma < 0 or self.min_dwell_s <= 0:
            raise ValueError("dwell times must be positive")
        _share("returning_share", self.returning_share)
        if min(self.opening_boost, self.explanation_boost, self.deal_boost, self.burst_boost) < 0:
            raise ValueError("traffic boosts must not be negative")
        if not 0 < self.burst_seconds[0] <= self.burst_seconds[1]:
            raise ValueError("burst_seconds must be a positive range, low first")


def _default_intent_mix_explaining() -> dict[Intent, float]:
    return {
        "question": 0.28, "purchase_intent": 0.17, "demand": 0.09, "complaint": 0.05,
        "praise": 0.09, "chitchat": 0.29, "spam": 0.03,
    }


def _default_intent_mix_between() -> dict[Intent, float]:
    return {
        "question": 0.17, "purchase_intent": 0.05, "demand": 0.07, "complaint": 0.06,
        "praise": 0.07, "chitchat": 0.55, "spam": 0.03,
    }


@dataclass(frozen=True, slots=True)
class EngagementModel:
    """What viewers do in the room besides buying."""

    commenter_share: float = 0.10  # §6: 5-15 % of viewers comment in real rooms, >30 % is abnormal
    comments_per_commenter_hour: float = 10.0  # median chattiness after a commenter's first comment
    chattiness_sigma: float = 1.0  # log-normal: a few regulars write most of the comments
    explanation_comment_boost: float = 0.8  # × popularity: comments, likes and follows rise while explained
    buyer_comment_share: float = 0.35  # buyers who write 已拍 after paying
    explained_mention_share: float = 0.7  # comments about the explained product while one is explained
    intent_mix_explaining: dict[Intent, float] = field(default_factory=_default_intent_mix_explaining)
    intent_mix_between: dict[Intent, float] = field(default_factory=_default_intent_mix_between)
    liker_share: float = 0.25
    like_batches_per_minute: float = 3.0  # platforms send likes in batches with a count
    like_batch_mean: float = 8.0
    follow_share: float = 0.015
    share_share: float = 0.01
    gift_share: float = 0.004

    def __post_init__(self) -> None:
        for name in ("commenter_share", "buyer_comment_share", "explained_mention_share", "liker_share",
                     "follow_share", "share_share", "gift_share"):
            _share(name, getattr(self, name))
        for name, mix in (("intent_mix_explaining", self.intent_mix_explaining),
                          ("intent_mix_between", self.intent_mix_between)):
            if not mix or min(mix.values()) < 0 or sum(mix.values()) <= 0:
                raise ValueError(f"{name} needs non-negative weights with a positive sum")
        if self.like_batch_mean < 1:
            raise ValueError("like_batch_mean must be at least 1")


@dataclass(frozen=True, slots=True)
class FunnelModel:
    """The shopping funnel. Each session draws its own rate uniformly from each range."""

    click_through: tuple[float, float] = (0.03, 0.10)  # viewers who click a product (观看-点击)
    click_to_order: tuple[float, float] = (0.05, 0.20)  # clickers who place an order
    pay_rate: tuple[float, float] = (0.80, 0.90)  # orders that are paid
    refund_rate: tuple[float, float] = (0.02, 0.06)  # paid orders refunded before the session ends
    explained_click_share: float = 0.75  # clicks on the explained product while one is explained
    explanation_click_boost: float = 3.0  # × popularity: click intensity while a product is explained
    deal_click_boost: float = 1.0  # on top for a 福利款; its clickers also order twice as often
    cart_add_share: float = 0.2  # clicks followed by 加购
    quantity_weights: tuple[float, ...] = (0.86, 0.11, 0.03)  # 1, 2, 3 pieces
    order_delay_median_s: float = 20.0  # click → order created
    pay_delay_median_s: float = 12.0  # created → paid; most within a minute

    def __post_init__(self) -> None:
        for name in ("click_through", "click_to_order", "pay_rate", "refund_rate"):
            low, high = getattr(self, name)
            _unit_range(name, low, high)
        _share("explained_click_share", self.explained_click_share)
        _share("cart_add_share", self.cart_add_share)
        if not self.quantity_weights or min(self.quantity_weights) < 0 or sum(self.quantity_weights) <= 0:
            raise ValueError("quantity_weights need non-negative weights with a positive sum")
        if self.order_delay_median_s <= 0 or self.pay_delay_median_s <= 0:
            raise ValueError("order and payment delays must be positive")


@dataclass(frozen=True, slots=True)
class Scenario:
    start: datetime
    duration: timedelta
    shelf: tuple[ShelfProduct, ...]
    schedule: tuple[ExplainSlot, ...] | None = None  # None: planned by ``plan_schedule``
    audience: AudienceModel = field(default_factory=AudienceModel)
    engagement: EngagementModel = field(default_factory=EngagementModel)
    funnel: FunnelModel = field(default_factory=FunnelModel)
    seed: int = 0
    # Mixed into event, viewer and order ids: the same scenario posted to two sessions of one
    # tenant must not collide on (tenant, source, event_id).
    id_namespace: str = ""

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("start must carry a time zone")
        if self.seed < 0:
            raise ValueError("seed must not be negative")
        if self.duration < timedelta(seconds=10):
            raise ValueError("duration must be at least 10 seconds")
        if not self.shelf:
            raise ValueError("the shelf is empty")
        links = [product.link_number for product in self.shelf]
        if len(set(links)) != len(links):
            raise ValueError("link numbers on the shelf must be unique")
        codes = [sku.code for product in self.shelf for sku in product.skus]
        if len(set(codes)) != len(codes):
            raise ValueError("SKU codes on the shelf must be unique")
        if self.schedule is not None:
            self._check_schedule(self.schedule, set(links))

    def _check_schedule(self, schedule: tuple[ExplainSlot, ...], links: set[int]) -> None:
        previous_end = 0.0
        for slot in schedule:
            if slot.link_number not in links:
                raise ValueError(f"the schedule explains link {slot.link_number}, which is not on the shelf")
            if slot.start_s < previous_end:
                raise ValueError("explanations must be in time order and must not overlap")
            if slot.end_s > self.duration_s:
                raise ValueError("an explanation ends after the session")
            previous_end = slot.end_s

    @property
    def duration_s(self) -> float:
        return self.duration.total_seconds()

    @property
    def end(self) -> datetime:
        return self.start + self.duration

    def starting_at(self, start: datetime) -> Scenario:
        """The same scenario moved in time (event ids change with it, so a rerun is new data)."""
        return dataclasses.replace(self, start=start)


def plan_schedule(shelf: tuple[ShelfProduct, ...], duration_s: float, seed: int) -> tuple[ExplainSlot, ...]:
    """Explain the products in turn (福利款 first in each round), 4-7 minutes each with short breaks.

    Hosts warm the room up before the first product and close without one; when the shelf is
    done they start over (过款), as real rooms do.
    """
    rng = random.Random(f"schedule:{seed}")
    in_turn = sorted(shelf, key=lambda product: (not product.is_deal, product.link_number))
    closing_s = min(120.0, duration_s * 0.05)
    slots: list[ExplainSlot] = []
    at = min(rng.uniform(120.0, 240.0), duration_s * 0.1)
    while True:
        for product in in_turn:
            length = rng.uniform(240.0, 420.0)
            if at + length > duration_s - closing_s:
                return tuple(slots)
            slots.append(ExplainSlot(product.link_number, round(at, 3), round(at + length, 3)))
            at += length + rng.uniform(30.0, 120.0)


class _ShelfFile(msgspec.Struct, forbid_unknown_fields=True):
    products: tuple[ShelfProduct, ...]
    note: str = ""


def load_shelf(source: Path | bytes) -> tuple[ShelfProduct, ...]:
    """Read a shelf from JSON: ``{"products": [{"link_number", "name", "category", "skus": [...]}, …]}``.

    Raises ``ValueError`` naming the field that is wrong.
    """
    data = source.read_bytes() if isinstance(source, Path) else source
    try:
        return msgspec.json.decode(data, type=_ShelfFile).products
    except msgspec.ValidationError as exc:
        raise ValueError(f"invalid shelf: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise ValueError(f"shelf is not JSON: {exc}") from exc


def example_shelf() -> tuple[ShelfProduct, ...]:
    """Eight small appliances of 暖家, the made-up demo brand (simulated, not real products)."""
    return load_shelf(resources.files(__package__).joinpath("example_shelf.json").read_bytes())
