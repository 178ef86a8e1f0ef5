"""Turning a batch of newly stored events into rollup increments (pure; no database)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

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


def _add(target: dict[str, int], counters: tuple[tuple[str, str | None], ...], row: Mapping[str, Any]) -> None:
    for column, field in counters:
        target[column] = target.get(column, 0) + (1 if field is None else int(row.get(field) or 0))


def second_increments(rows: Iterable[Mapping[str, Any]]) -> dict[datetime, dict[str, int]]:
    """UTC second → counter increments; ``online_max`` is the largest viewer-count sample."""
    seconds: dict[datetime, dict[str, int]] = defaultdict(dict)
    for row in rows:
        second = row["occurred_at"].replace(microsecond=0)
        kind = row["type"]
        if kind == "online_count":
            bucket = seconds[second]
            bucket["online_max"] = max(bucket.get("online_max", 0), int(row["count"]))
        elif kind in SECOND_COUNTERS:
            _add(seconds[second], SECOND_COUNTERS[kind], row)
    return dict(seconds)


def product_reference(row: Mapping[str, Any]) -> str | None:
    """What an event names: its SKU code, else ``#n`` for link number n (几号链接), else nothing."""
    if row.get("sku_code"):
        return str(row["sku_code"])
    if row.get("link_number"):
        return f"#{row['link_number']}"
    return None


def sku_increments(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Product reference (see ``product_reference``) → counter increments."""
    references: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        reference = product_reference(row)
        if reference is not None and row["type"] in SKU_COUNTERS:
            _add(references[reference], SKU_COUNTERS[row["type"]], row)
    return dict(references)
