"""A session's events as columns (NumPy arrays), the one input every detector reads.

Times are integer microseconds since the epoch (no float rounding at window edges). Viewers,
SKUs and orders are factorised into small integer codes with their names kept beside them, so
detectors group and count with NumPy instead of looping over events in Python.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = ["Kind", "SessionEvents", "from_records", "micros", "to_datetime"]

Ints = npt.NDArray[np.int64]
Codes = npt.NDArray[np.int32]
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
SECOND: Final = 1_000_000  # microseconds


class Kind(enum.IntEnum):
    """Event types as small integers (the wire names are ``EventType`` values)."""

    ENTER = 0
    LEAVE = 1
    COMMENT = 2
    LIKE = 3
    GIFT = 4
    FOLLOW = 5
    SHARE = 6
    PRODUCT_CLICK = 7
    CART_ADD = 8
    ORDER_CREATED = 9
    ORDER_PAID = 10
    ORDER_REFUNDED = 11
    ONLINE_COUNT = 12
    PRODUCT_EXPLAIN_START = 13
    PRODUCT_EXPLAIN_END = 14


KIND_BY_NAME: Final = {kind.name.lower(): kind for kind in Kind}
# What a person does when really watching; entering and leaving alone are not interaction.
INTERACTIONS: Final = np.array(
    [
        Kind.COMMENT,
        Kind.LIKE,
        Kind.GIFT,
        Kind.FOLLOW,
        Kind.SHARE,
        Kind.PRODUCT_CLICK,
        Kind.CART_ADD,
        Kind.ORDER_CREATED,
        Kind.ORDER_PAID,
    ],
    dtype=np.int8,
)


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def to_datetime(value: int | np.integer[Any]) -> datetime:
    return EPOCH + timedelta(microseconds=int(value))


@dataclass(frozen=True)
class SessionEvents:
    """Column ``i`` of every array describes event ``i``; events are in time order.

    ``viewer``, ``sku`` and ``order`` are codes into ``viewer_keys``, ``sku_codes`` and
    ``order_ids`` (-1: the event has none). ``amount`` is fen (0 when absent), ``count`` the
    online count of an ``online_count`` event (-1 otherwise). ``row_id`` is the stored event's id.
    """

    time: Ints
    kind: npt.NDArray[np.int8]
    viewer: Codes
    sku: Codes
    order: Codes
    amount: Ints
    count: Ints
    text: npt.NDArray[np.object_]
    row_id: Ints
    viewer_keys: npt.NDArray[np.object_]
    sku_codes: npt.NDArray[np.object_]
    order_ids: npt.NDArray[np.object_]

    def __len__(self) -> int:
        return int(self.time.size)

    def of(self, kind: Kind) -> npt.NDArray[np.intp]:
        """Positions of the events of one kind, in time order."""
        return np.flatnonzero(self.kind == kind)

    @property
    def start(self) -> int:
        return int(self.time[0]) if self.time.size else 0

    @property
    def end(self) -> int:
        return int(self.time[-1]) if self.time.size else 0


def _factorise(values: Sequence[str | None]) -> tuple[Codes, npt.NDArray[np.object_]]:
    """Strings → (codes, distinct names in order of first appearance); ``None`` → -1."""
    index: dict[str, int] = {}
    codes: Codes = np.fromiter(
        (-1 if value is None else index.setdefault(value, len(index)) for value in values),
        dtype=np.int32,
        count=len(values),
    )
    names = np.empty(len(index), dtype=object)
    names[:] = list(index)
    return codes, names


def _micros(times: Sequence[datetime]) -> Ints:
    """Aware datetimes → µs since the epoch. ``timestamp()`` is exact to 0.25 µs until 2255, so rounding is exact."""
    seconds = np.fromiter((moment.timestamp() for moment in times), dtype=np.float64, count=len(times))
    return np.rint(seconds * SECOND).astype(np.int64)


def from_records(
    kinds: Sequence[str],
    times: Sequence[datetime] | Ints,
    viewers: Sequence[str | None],
    texts: Sequence[str | None],
    skus: Sequence[str | None],
    orders: Sequence[str | None],
    amounts: Sequence[int | None],
    counts: Sequence[int | None],
    row_ids: Sequence[int] | Ints | None = None,
) -> SessionEvents:
    """Build the columns from parallel sequences (as read from ``live_events``); sorts by time, stably."""
    kind_codes = np.array([KIND_BY_NAME[name] for name in kinds], dtype=np.int8)
    time = times.astype(np.int64) if isinstance(times, np.ndarray) else _micros(times)
    viewer, viewer_keys = _factorise(viewers)
    sku, sku_codes = _factorise(skus)
    order, order_ids = _factorise(orders)
    amount = np.array([value or 0 for value in amounts], dtype=np.int64)
    count = np.array([-1 if value is None else value for value in counts], dtype=np.int64)
    text = np.array(list(texts), dtype=object)
    rows = np.arange(time.size, dtype=np.int64) if row_ids is None else np.asarray(row_ids, dtype=np.int64)
    order_by = np.argsort(time, kind="stable")
    return SessionEvents(
        time=time[order_by],
        kind=kind_codes[order_by],
        viewer=viewer[order_by],
        sku=sku[order_by],
        order=order[order_by],
        amount=amount[order_by],
        count=count[order_by],
        text=text[order_by],
        row_id=rows[order_by],
        viewer_keys=viewer_keys,
        sku_codes=sku_codes,
        order_ids=order_ids,
    )
