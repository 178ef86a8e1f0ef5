"""Order detectors: the Shopee brushing rule, FRAUDAR dense blocks, quick refunds, shared fingerprints.

Each works on the session's orders as one row per order (built with NumPy from the events) and
flags order codes (into ``SessionEvents.order_ids``) and the buyers behind them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from livebridge.integrity.brushing import HOUR, brushing_rule
from livebridge.integrity.columns import SECOND, Kind, SessionEvents
from livebridge.integrity.fraudar import COLUMN_WEIGHT_C, densest_block
from livebridge.integrity.results import DetectorResult, Family, Reason, Status

__all__ = [
    "OrderTable",
    "dense_blocks",
    "order_brushing",
    "order_table",
    "quick_refunds",
    "shared_fingerprints",
]

Ints = npt.NDArray[np.int64]
MIN_ORDERS: Final = 3  # fewer orders than this: not enough data for any order detector
# Dense blocks: a block must hold this many buyers, each buying ≥ 60 % (and ≥ 2) of its SKUs, and be
# this many times denser than the best single-SKU star (what an honest crowd on a best seller gives).
BLOCK_MIN_BUYERS: Final = 5
BLOCK_MIN_SKUS: Final = 2
BLOCK_MEMBER_SHARE: Final = 0.5
BLOCK_SKU_SHARE: Final = 0.5
BLOCK_SKU_CONCENTRATION: Final = 0.1
BLOCK_MIN_LIFT: Final = 1.25
BLOCKS_PER_SESSION: Final = 3
# Quick refunds: refunded this soon after payment, by a buyer with ≥ 2 of them or in a burst of
# ≥ 3 on one SKU within half an hour.
QUICK_REFUND: Final = 10 * 60 * SECOND
QUICK_REFUND_BURST: Final = 3
QUICK_REFUND_BURST_WINDOW: Final = 30 * 60 * SECOND
MIN_SHARED_BUYERS: Final = 3
SAMPLE_ACCOUNTS: Final = 20


@dataclass(frozen=True)
class OrderTable:
    """One row per order: ``order`` codes, first creation (or payment) time, buyer, SKU, amounts."""

    order: Ints
    created: Ints
    buyer: Ints  # viewer code; orders without a viewer get their own code ≥ number of viewers
    sku: Ints
    amount: Ints
    paid: Ints  # -1: not paid
    refunded: Ints  # -1: not refunded

    @property
    def size(self) -> int:
        return int(self.order.size)


def _first_time(events: SessionEvents, kind: Kind, order_count: int) -> tuple[Ints, Ints]:
    """Per order code: the first time an event of ``kind`` happened (-1) and its position (-1)."""
    positions = events.of(kind)
    positions = positions[events.order[positions] >= 0]
    codes = events.order[positions]
    unique, first = np.unique(codes, return_index=True)
    times = np.full(order_count, -1, dtype=np.int64)
    where = np.full(order_count, -1, dtype=np.int64)
    times[unique] = events.time[positions[first]]
    where[unique] = positions[first]
    return times, where


def order_table(events: SessionEvents) -> OrderTable:
    count = int(events.order_ids.size)
    _, created_at = _first_time(events, Kind.ORDER_CREATED, count)
    paid, paid_at = _first_time(events, Kind.ORDER_PAID, count)
    refunded, _ = _first_time(events, Kind.ORDER_REFUNDED, count)
    # An order known only from its payment (some platforms send no creation) counts from then.
    source = np.where(created_at >= 0, created_at, paid_at)
    known = np.flatnonzero(source >= 0)
    position = source[known]
    buyer = events.viewer[position].astype(np.int64)
    anonymous = buyer < 0
    buyer[anonymous] = events.viewer_keys.size + known[anonymous]
    return OrderTable(
        order=known.astype(np.int64),
        created=events.time[position],
        buyer=buyer,
        sku=events.sku[position].astype(np.int64),
        amount=events.amount[position],
        paid=paid[known],
        refunded=refunded[known],
    )


def buyer_name(events: SessionEvents, code: int) -> str:
    if code < events.viewer_keys.size:
        return str(events.viewer_keys[code])
    return f"order:{events.order_ids[code - events.viewer_keys.size]}"


def _viewer_codes(events: SessionEvents, buyers: Ints) -> npt.NDArray[np.intp]:
    known = buyers[buyers < events.viewer_keys.size]
    return np.unique(known).astype(np.intp)


def sku_name(events: SessionEvents, code: int) -> str:
    return str(events.sku_codes[code]) if code >= 0 else "—"


Formatter = Callable[[int], str]


def order_brushing(events: SessionEvents, orders: OrderTable, clock: Formatter) -> DetectorResult:
    """The exact Shopee rule on each SKU's orders and on the whole session's orders."""
    name = "order_brushing"
    if orders.size < MIN_ORDERS:
        return DetectorResult.not_enough(name, Family.ORDERS, f"{orders.size} orders")
    flagged = np.zeros(orders.size, dtype=bool)
    reasons: list[Reason] = []
    groups: list[tuple[str, npt.NDArray[np.intp]]] = [
        (sku_name(events, int(code)), np.flatnonzero(orders.sku == code)) for code in np.unique(orders.sku)
    ]
    groups.append(("（全场）", np.arange(orders.size)))
    for label, members in groups:
        verdict = brushing_rule(orders.created[members], orders.buyer[members])
        if not verdict.is_brushing:
            continue
        mine = np.isin(orders.buyer[members], verdict.suspicious_buyers) & verdict.orders_in_windows
        new = members[mine & ~flagged[members]]
        flagged[members[mine]] = True
        if label == "（全场）" and new.size == 0:
            continue  # the session-wide run only matters when it finds what the SKUs did not
        rate = verdict.best_orders / verdict.best_buyers
        reasons.append(
            Reason(
                code="order_brushing",
                params={
                    "sku": label,
                    "start": clock(verdict.best_start),
                    "end": clock(verdict.best_start + HOUR),
                    "rate": f"{rate:.1f}",
                    "orders": verdict.best_orders,
                    "buyers": verdict.best_buyers,
                    "top": "、".join(buyer_name(events, int(b)) for b in verdict.suspicious_buyers[:5]),
                    "share": f"{verdict.top_share:.0%}",
                },
                weight=float(mine.sum()) / orders.size,
                accounts=[buyer_name(events, int(b)) for b in verdict.suspicious_buyers[:SAMPLE_ACCOUNTS]],
                start=verdict.best_start,
                end=verdict.best_start + HOUR,
            )
        )
    return DetectorResult(
        detector=name,
        family=Family.ORDERS,
        status=Status.OK,
        reasons=reasons,
        flagged_orders=orders.order[flagged].astype(np.intp),
        flagged_viewers=_viewer_codes(events, orders.buyer[flagged]),
    )


def dense_blocks(events: SessionEvents, orders: OrderTable) -> DetectorResult:
    """Up to three FRAUDAR blocks of buyers × SKUs, each judged against the best single-SKU star."""
    name = "dense_blocks"
    if orders.size < MIN_ORDERS or np.unique(orders.sku).size < BLOCK_MIN_SKUS:
        return DetectorResult.not_enough(name, Family.ORDERS, f"{orders.size} orders")
    buyers, buyer_index = np.unique(orders.buyer, return_inverse=True)
    skus, sku_index = np.unique(orders.sku, return_inverse=True)
    remaining = np.ones(orders.size, dtype=bool)
    flagged = np.zeros(orders.size, dtype=bool)
    reasons: list[Reason] = []
    for _ in range(BLOCKS_PER_SESSION):
        live = np.flatnonzero(remaining)
        if live.size < MIN_ORDERS:
            break
        block = densest_block(buyer_index[live], sku_index[live], (buyers.size, skus.size))
        candidate = live[np.isin(buyer_index[live], block.rows) & np.isin(sku_index[live], block.columns)]
        # The peeled set is refined in two steps. Its SKUs: those at least half its buyers bought
        # (camouflage purchases can pull a best seller in). Its buyers: everyone (peeling stops
        # early on a small ring) who bought ≥ 60 % of those SKUs, and two; honest buyers of one
        # block SKU that rode along in the peeled set drop out.
        pairs = np.unique(buyer_index[candidate] * skus.size + sku_index[candidate])
        per_sku = np.bincount(pairs % skus.size, minlength=skus.size)
        bought = np.unique(buyer_index[live] * skus.size + sku_index[live])
        sku_buyers = np.bincount(bought % skus.size, minlength=skus.size)
        # A SKU whose buyers are mostly outside the block is camouflage (or a best seller the ring
        # rode on), not part of the block.
        core = np.flatnonzero(
            (per_sku >= BLOCK_SKU_SHARE * max(1, block.rows.size))
            & (per_sku >= BLOCK_SKU_CONCENTRATION * np.maximum(sku_buyers, 1))
        )
        candidate = live[np.isin(sku_index[live], core)]
        pairs = np.unique(buyer_index[candidate] * skus.size + sku_index[candidate])
        per_buyer = np.bincount(pairs // skus.size, minlength=buyers.size)
        needed = max(BLOCK_MIN_SKUS, int(np.ceil(BLOCK_MEMBER_SHARE * core.size)))
        members = np.flatnonzero(per_buyer >= needed)
        inside = candidate[np.isin(buyer_index[candidate], members)]
        member_pairs = pairs[np.isin(pairs // skus.size, members)]
        # The kept block's density g = Σ edge weights / (buyers + SKUs), against the best single-SKU star.
        degree = np.bincount(sku_index[live], minlength=skus.size).astype(np.float64)
        weight = 1.0 / np.log(degree + COLUMN_WEIGHT_C)
        block_skus = np.unique(member_pairs % skus.size)
        density = float(weight[member_pairs % skus.size].sum()) / max(1, members.size + block_skus.size)
        star = float((degree[degree > 0] * weight[degree > 0] / (degree[degree > 0] + 1)).max())
        lift = density / star if star else 0.0
        if members.size < BLOCK_MIN_BUYERS or block_skus.size < BLOCK_MIN_SKUS or lift < BLOCK_MIN_LIFT:
            break
        flagged[inside] = True
        remaining[np.isin(buyer_index, members)] = False
        reasons.append(
            Reason(
                code="dense_block",
                params={
                    "buyers": int(members.size),
                    "skus": int(block_skus.size),
                    "orders": int(inside.size),
                    "lift": f"{lift:.1f}",
                },
                weight=inside.size / orders.size,
                accounts=[buyer_name(events, int(b)) for b in buyers[members][:SAMPLE_ACCOUNTS]],
                start=int(orders.created[inside].min()),
                end=int(orders.created[inside].max()),
            )
        )
    return DetectorResult(
        detector=name,
        family=Family.ORDERS,
        status=Status.OK,
        reasons=reasons,
        flagged_orders=orders.order[flagged].astype(np.intp),
        flagged_viewers=_viewer_codes(events, orders.buyer[flagged]),
    )


def quick_refunds(events: SessionEvents, orders: OrderTable, clock: Formatter) -> DetectorResult:
    """Paid then refunded within ten minutes, by a repeat refunder or in a burst on one SKU."""
    name = "quick_refunds"
    paid = orders.paid >= 0
    if int(paid.sum()) < MIN_ORDERS:
        return DetectorResult.not_enough(name, Family.ORDERS, f"{int(paid.sum())} paid orders")
    quick = np.flatnonzero(paid & (orders.refunded >= 0) & (orders.refunded - orders.paid <= QUICK_REFUND))
    if quick.size == 0:
        return DetectorResult(detector=name, family=Family.ORDERS, status=Status.OK)
    per_buyer = np.bincount(orders.buyer[quick])
    repeat = per_buyer[orders.buyer[quick]] >= 2
    # Bursts: ≥ 3 quick refunds of one SKU whose payments lie within half an hour.
    by_sku = quick[np.lexsort((orders.paid[quick], orders.sku[quick]))]
    key = orders.sku[by_sku] * (np.int64(1) << 42) + (orders.paid[by_sku] - orders.paid[quick].min())
    ends = np.searchsorted(key, key + QUICK_REFUND_BURST_WINDOW, side="right")
    burst_starts = np.flatnonzero(ends - np.arange(by_sku.size) >= QUICK_REFUND_BURST)
    in_burst = np.zeros(by_sku.size + 1, dtype=np.int64)
    np.add.at(in_burst, burst_starts, 1)
    np.add.at(in_burst, ends[burst_starts], -1)
    burst = np.zeros(orders.size, dtype=bool)
    burst[by_sku[np.cumsum(in_burst[:-1]) > 0]] = True
    chosen = quick[repeat | burst[quick]]
    reasons: list[Reason] = []
    if chosen.size:
        reasons.append(
            Reason(
                code="quick_refunds",
                params={
                    "orders": int(chosen.size),
                    "minutes": QUICK_REFUND // (60 * SECOND),
                    "buyers": int(np.unique(orders.buyer[chosen]).size),
                    "amount": f"{orders.amount[chosen].sum() / 100:,.2f}",
                    "start": clock(int(orders.paid[chosen].min())),
                },
                weight=chosen.size / orders.size,
                accounts=[buyer_name(events, int(b)) for b in np.unique(orders.buyer[chosen])[:SAMPLE_ACCOUNTS]],
                start=int(orders.paid[chosen].min()),
                end=int(orders.refunded[chosen].max()),
            )
        )
    return DetectorResult(
        detector=name,
        family=Family.ORDERS,
        status=Status.OK,
        reasons=reasons,
        flagged_orders=orders.order[chosen].astype(np.intp),
        flagged_viewers=_viewer_codes(events, orders.buyer[chosen]),
    )


def shared_fingerprints(
    events: SessionEvents, orders: OrderTable, fingerprints: Mapping[str, Sequence[str]] | None
) -> DetectorResult:
    """Buyers linked by a shared delivery address or device fingerprint (connected components).

    ``fingerprints`` maps an order id to its address/device hashes. Live events carry neither; the
    after-sales order records will, and pass them here. Until then this answers "not enough data".
    """
    name = "shared_fingerprints"
    if not fingerprints:
        return DetectorResult.not_enough(name, Family.ORDERS, "no address or device data for these orders")
    if orders.size < MIN_ORDERS:
        return DetectorResult.not_enough(name, Family.ORDERS, f"{orders.size} orders")
    order_rows: list[int] = []
    prints: list[str] = []
    for row, code in enumerate(orders.order.tolist()):
        for value in fingerprints.get(str(events.order_ids[code]), ()):
            order_rows.append(row)
            prints.append(value)
    if not prints:
        return DetectorResult.not_enough(name, Family.ORDERS, "no address or device data for these orders")
    print_names, print_index = np.unique(np.array(prints, dtype=object), return_inverse=True)
    buyers, buyer_index = np.unique(orders.buyer, return_inverse=True)
    rows = buyer_index[np.array(order_rows)]
    # Buyers and fingerprints in one graph: a component with ≥ 3 buyers shares something.
    size = buyers.size + print_names.size
    graph = sparse.coo_matrix((np.ones(rows.size), (rows, buyers.size + print_index)), shape=(size, size)).tocsr()
    _, labels = connected_components(graph, directed=False)
    buyers_per_component = np.bincount(labels[: buyers.size], minlength=size)
    suspicious = buyers_per_component[labels[: buyers.size]] >= MIN_SHARED_BUYERS
    flagged = np.flatnonzero(suspicious[buyer_index])
    reasons: list[Reason] = []
    if flagged.size:
        components = np.unique(labels[: buyers.size][suspicious])
        reasons.append(
            Reason(
                code="shared_fingerprint",
                params={
                    "buyers": int(suspicious.sum()),
                    "fingerprints": int(np.isin(labels[buyers.size :], components).sum()),
                    "orders": int(flagged.size),
                },
                weight=flagged.size / orders.size,
                accounts=[buyer_name(events, int(b)) for b in buyers[suspicious][:SAMPLE_ACCOUNTS]],
            )
        )
    return DetectorResult(
        detector=name,
        family=Family.ORDERS,
        status=Status.OK,
        reasons=reasons,
        flagged_orders=orders.order[flagged].astype(np.intp),
        flagged_viewers=_viewer_codes(events, orders.buyer[flagged]),
    )
