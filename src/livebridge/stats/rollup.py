"""Turning a batch of newly stored events into rollup increments (pure; no database)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Final, NamedTuple

# event type → (counter, what to add: 1 or the named field)
SECOND_COUNTERS: Final[dict[str, tuple[tuple[str, str | None], ...]]] = {
    "enter": (("enters", None),),
    "leave": (("leaves", None),),
    "comment": (("comments", None),),
    "like": (("likes", "count"),),
    "gift": (("gifts", None), ("gift_fen", "amount_fen")),
    "follow": (("follows", None),),
    "share": (("shares", None),),
    "product_click": (("clicks", None),),
    "cart_add": (("cart_adds", None),),
    "order_created": (("orders", None), ("order_fen", "amount_fen")),
    "order_paid": (("paid_orders", None), ("paid_fen", "amount_fen")),
    "order_refunded": (("refunds", None), ("refund_fen", "amount_fen")),
}
SKU_COUNTERS: Final[dict[str, tuple[tuple[str, str | None], ...]]] = {
    "product_click": (("clicks", None),),
    "cart_add": (("cart_adds", None),),
    "order_created": (("orders", None), ("order_fen", "amount_fen")),
    "order_paid": (("paid_orders", None), ("paid_units", "quantity"), ("paid_fen", "amount_fen")),
    "order_refunded": (("refunds", None), ("refund_fen", "amount_fen")),
}
# Types visited one by one: those with a value to add, a viewer count, or a product.
VALUED_TYPES: Final = frozenset(
    {"online_count", *SKU_COUNTERS}
    | {kind for kind, counters in SECOND_COUNTERS.items() if any(field for _, field in counters)}
)


def _product_reference(sku_code: str | None, link_number: int | None) -> str | None:
    """What an event names: its SKU code, else ``#n`` for link number n (几号链接), else nothing."""
    if sku_code:
        return sku_code
    if link_number:
        return f"#{link_number}"
    return None


class EventColumns(NamedTuple):
    """Newly stored events, one sequence per field, aligned."""

    kinds: Sequence[str]
    seconds: Sequence[int]  # UTC epoch seconds
    counts: Sequence[int | None]
    amounts: Sequence[int | None]
    quantities: Sequence[int | None]
    sku_codes: Sequence[str | None]
    link_numbers: Sequence[int | None]


def increments(events: EventColumns) -> tuple[dict[int, dict[str, int]], dict[str, dict[str, int]]]:
    """New events → (UTC epoch second → counter increments, product reference → counter increments).
    ``online_max`` is the second's largest viewer-count sample.

    Events that add one are counted per (second, type) in one C-level ``Counter`` pass; only the
    events that carry a value (likes, gifts, orders, viewer counts, product events) are visited one by one.
    """
    kinds, seconds, counts = events.kinds, events.seconds, events.counts
    per_second: dict[int, dict[str, int]] = defaultdict(dict)
    for (second, kind), number in Counter(zip(seconds, kinds, strict=True)).items():
        for column, field in SECOND_COUNTERS.get(kind, ()):
            if field is None:
                bucket = per_second[second]
                bucket[column] = bucket.get(column, 0) + number
    per_product: dict[str, dict[str, int]] = defaultdict(dict)
    values = {"count": counts, "amount_fen": events.amounts, "quantity": events.quantities}
    for index, kind in enumerate(kinds):
        if kind not in VALUED_TYPES:
            continue
        if kind == "online_count":
            bucket = per_second[seconds[index]]
            bucket["online_max"] = max(bucket.get("online_max", 0), counts[index] or 0)
            continue
        bucket = per_second[seconds[index]]
        for column, field in SECOND_COUNTERS.get(kind, ()):
            if field is not None:
                bucket[column] = bucket.get(column, 0) + (values[field][index] or 0)
        reference = _product_reference(events.sku_codes[index], events.link_numbers[index])
        if reference is not None and kind in SKU_COUNTERS:
            target = per_product[reference]
            for column, field in SKU_COUNTERS[kind]:
                target[column] = target.get(column, 0) + (1 if field is None else values[field][index] or 0)
    return dict(per_second), dict(per_product)
