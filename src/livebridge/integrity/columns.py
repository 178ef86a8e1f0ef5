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

__all__ = ["ColumnsBuilder", "Kind", "SessionEvents", "from_records", "micros", "to_datetime"]

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


def _micros(times: Sequence[datetime | str]) -> Ints:
    """Aware datetimes, or naive UTC text as SQLite stores it, → µs since the epoch.

    Text is parsed by NumPy in one call; ``timestamp()`` is exact to 0.25 µs until 2255, so
    rounding it to the microsecond is exact.
    """
    if times and isinstance(times[0], str):
        parsed: Ints = np.array(times, dtype="datetime64[us]").astype(np.int64)
        return parsed
    seconds = np.fromiter(
        (moment.timestamp() for moment in times if isinstance(moment, datetime)), dtype=np.float64, count=len(times)
    )
    return np.rint(seconds * SECOND).astype(np.int64)


class ColumnsBuilder:
    """Columns built from rows that arrive in several reads, e.g. a live session's new events at
    each refresh: only the new rows are converted, and ``events()`` equals ``from_records`` on all
    rows read at once (same order, same codes).

    Names get a provisional code when first seen; ``events()`` sorts by (time, row id) and renumbers
    the codes in order of first appearance, which is what a single read in time order gives.
    """

    def __init__(self) -> None:
        self._names: tuple[dict[str, int], dict[str, int], dict[str, int]] = ({}, {}, {})
        self._chunks: list[tuple[npt.NDArray[Any], ...]] = []
        self._built: SessionEvents | None = None
        self.size = 0
        self.last_row_id = 0  # the highest row id appended (0: none)

    @staticmethod
    def _codes(values: Sequence[str | None], index: dict[str, int]) -> Codes:
        codes: Codes = np.fromiter(
            (-1 if value is None else index.setdefault(value, len(index)) for value in values),
            dtype=np.int32,
            count=len(values),
        )
        return codes

    def append(
        self,
        kinds: Sequence[str],
        times: Sequence[datetime | str] | Ints,
        viewers: Sequence[str | None],
        texts: Sequence[str | None],
        skus: Sequence[str | None],
        orders: Sequence[str | None],
        amounts: Sequence[int | None],
        counts: Sequence[int | None],
        row_ids: Sequence[int] | Ints | None = None,
    ) -> None:
        if len(kinds) == 0:
            return
        viewer_index, sku_index, order_index = self._names
        rows = (
            np.arange(self.size, self.size + len(kinds), dtype=np.int64)
            if row_ids is None
            else np.asarray(row_ids, dtype=np.int64)
        )
        text = np.empty(len(texts), dtype=object)
        text[:] = list(texts)
        self._chunks.append(
            (
                times.astype(np.int64) if isinstance(times, np.ndarray) else _micros(times),
                np.array([KIND_BY_NAME[name] for name in kinds], dtype=np.int8),
                self._codes(viewers, viewer_index),
                self._codes(skus, sku_index),
                self._codes(orders, order_index),
                np.array([value or 0 for value in amounts], dtype=np.int64),
                np.array([-1 if value is None else value for value in counts], dtype=np.int64),
                text,
                rows,
            )
        )
        self.size += len(kinds)
        self.last_row_id = max(self.last_row_id, int(rows.max()))
        self._built = None

    def events(self) -> SessionEvents:
        if self._built is not None:
            return self._built
        if len(self._chunks) > 1:  # merged once, so the next refresh appends to one chunk
            self._chunks = [tuple(np.concatenate(column) for column in zip(*self._chunks, strict=True))]
        if not self._chunks:
            empty = np.zeros(0, dtype=np.int64)
            codes = np.zeros(0, dtype=np.int32)
            names = np.zeros(0, dtype=object)
            self._chunks = [(empty, empty.astype(np.int8), codes, codes, codes, empty, empty, names, empty)]
        time, kind, viewer, sku, order, amount, count, text, rows = self._chunks[0]
        order_by = np.lexsort((rows, time))
        renumbered = [
            _first_appearance(codes[order_by], index)
            for codes, index in zip((viewer, sku, order), self._names, strict=True)
        ]
        (viewer_codes, viewer_keys), (sku_codes, sku_names), (order_codes, order_ids) = renumbered
        built = SessionEvents(
            time=time[order_by],
            kind=kind[order_by],
            viewer=viewer_codes,
            sku=sku_codes,
            order=order_codes,
            amount=amount[order_by],
            count=count[order_by],
            text=text[order_by],
            row_id=rows[order_by],
            viewer_keys=viewer_keys,
            sku_codes=sku_names,
            order_ids=order_ids,
        )
        # The sorted, renumbered columns become the one chunk the next rows are appended to (one
        # copy in memory, and already in order for the next sort). Read-only: detectors share them.
        columns: tuple[npt.NDArray[Any], ...] = (
            *(built.time, built.kind, built.viewer, built.sku, built.order),
            *(built.amount, built.count, built.text, built.row_id),
        )
        for column in (*columns, viewer_keys, sku_names, order_ids):
            column.setflags(write=False)
        self._chunks = [columns]
        viewer_index, sku_index, order_index = (
            {str(name): code for code, name in enumerate(names.tolist())}
            for names in (viewer_keys, sku_names, order_ids)
        )
        self._names = (viewer_index, sku_index, order_index)
        self._built = built
        return built


def _first_appearance(codes: Codes, index: dict[str, int]) -> tuple[Codes, npt.NDArray[np.object_]]:
    """Codes renumbered in order of first appearance (-1 stays), and the names in that order."""
    names = np.empty(len(index), dtype=object)
    names[:] = list(index)
    present = codes >= 0
    seen, first = np.unique(codes[present], return_index=True)
    by_appearance = seen[np.argsort(first, kind="stable")]
    mapping = np.full(len(index) + 1, -1, dtype=np.int32)  # the extra slot takes the -1 codes
    mapping[by_appearance] = np.arange(by_appearance.size, dtype=np.int32)
    renumbered: Codes = mapping[codes]
    return renumbered, names[by_appearance]


def from_records(
    kinds: Sequence[str],
    times: Sequence[datetime | str] | Ints,
    viewers: Sequence[str | None],
    texts: Sequence[str | None],
    skus: Sequence[str | None],
    orders: Sequence[str | None],
    amounts: Sequence[int | None],
    counts: Sequence[int | None],
    row_ids: Sequence[int] | Ints | None = None,
) -> SessionEvents:
    """Build the columns from parallel sequences (as read from ``live_events``); sorts by time, stably."""
    builder = ColumnsBuilder()
    builder.append(kinds, times, viewers, texts, skus, orders, amounts, counts, row_ids)
    return builder.events()
