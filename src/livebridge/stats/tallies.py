"""The figures of a session that rollups cannot carry — the funnel's distinct people and the
average watch time — kept per process and brought up to date from the events stored since.

Rollups are sums, so the dashboard reads them whole; distinct people and watch time need every
enter, leave, click, cart add and order of the session, which for a two-hour session is a few
hundred thousand rows (1.5 s to read and pair). Events are append-only, so a tally reads only the
events above the newest id it has seen. Ids are given in commit order on SQLite (one writer); on
PostgreSQL concurrent transactions may commit out of id order, so the last ``WINDOW`` ids are read
again (events already counted are skipped by id). A tally that has counted fewer events of a type
than the rollups, read earlier in the same transaction, hold has missed some and is rebuilt from
scratch: the figures always equal a count over all events.
"""

from __future__ import annotations

import bisect
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

# Event types counted here, and the rollup column that counts the same events.
TALLIED: Final[dict[str, str]] = {
    "enter": "enters",
    "leave": "leaves",
    "product_click": "clicks",
    "cart_add": "cart_adds",
    "order_created": "orders",
    "order_paid": "paid_orders",
}
WINDOW: Final[dict[str, int]] = {"sqlite": 0, "postgresql": 20_000}
SESSIONS_KEPT: Final = 16  # a two-hour session of 60,000 viewers holds a few tens of MB


@dataclass(frozen=True, slots=True)
class TalliedEvent:
    id: int
    type: str
    viewer_key: str | None
    order_id: str | None
    occurred_at: datetime


@dataclass
class _Viewer:
    """One viewer's enters and leaves in time order, and what they add to the watch time."""

    marks: list[tuple[datetime, int, bool]] = field(default_factory=list)  # (time, event id, is enter)
    closed_seconds: float = 0.0
    closed_stays: int = 0
    open_since: datetime | None = None


class SessionTallies:
    def __init__(self) -> None:
        self.counted: Counter[str] = Counter()  # events taken in, per type
        self.people: dict[str, set[str]] = defaultdict(set)  # type → viewer keys (order ids without one)
        self.newest_id = 0
        self._recent_ids: set[int] = set()  # ids taken in above newest_id - window
        self._viewers: dict[str, _Viewer] = {}
        self._closed_seconds = 0.0
        self._closed_stays = 0
        self._open: dict[str, datetime] = {}
        self._any_leave = False

    def read_after(self, window: int) -> int:
        """Read the events with ids above this one next time."""
        return max(0, self.newest_id - window)

    def take(self, events: Iterable[TalliedEvent], window: int) -> None:
        changed: set[str] = set()
        for event in events:  # in id order
            if event.id <= self.newest_id - window or event.id in self._recent_ids:
                continue  # already counted (by this call's read, or by another one that overlapped it)
            self._recent_ids.add(event.id)
            self.newest_id = max(self.newest_id, event.id)
            self.counted[event.type] += 1
            who = event.viewer_key if event.viewer_key is not None else event.order_id
            if who is not None:
                self.people[event.type].add(who)
            if event.type in ("enter", "leave") and event.viewer_key is not None:
                viewer = self._viewers.setdefault(event.viewer_key, _Viewer())
                bisect.insort(viewer.marks, (event.occurred_at, event.id, event.type == "enter"))
                changed.add(event.viewer_key)
                self._any_leave = self._any_leave or event.type == "leave"
        for viewer_key in changed:
            self._pair(viewer_key)
        floor = self.read_after(window)
        self._recent_ids = {id_ for id_ in self._recent_ids if id_ > floor}

    def _pair(self, viewer_key: str) -> None:
        """Pair each enter with the viewer's next leave (a second enter while inside changes nothing)."""
        viewer = self._viewers[viewer_key]
        self._closed_seconds -= viewer.closed_seconds
        self._closed_stays -= viewer.closed_stays
        viewer.closed_seconds, viewer.closed_stays, viewer.open_since = 0.0, 0, None
        for at, _, is_enter in viewer.marks:
            if is_enter:
                viewer.open_since = viewer.open_since or at
            elif viewer.open_since is not None:
                viewer.closed_seconds += (at - viewer.open_since).total_seconds()
                viewer.closed_stays += 1
                viewer.open_since = None
        self._closed_seconds += viewer.closed_seconds
        self._closed_stays += viewer.closed_stays
        if viewer.open_since is None:
            self._open.pop(viewer_key, None)
        else:
            self._open[viewer_key] = viewer.open_since

    def missed_events(self, rollup_totals: Mapping[str, int]) -> bool:
        """Fewer events counted than the rollups (read before the events) hold: some came in below
        the window."""
        return any(self.counted[kind] < rollup_totals.get(column, 0) for kind, column in TALLIED.items())

    def distinct_people(self, kind: str) -> int:
        return len(self.people.get(kind, ()))

    def average_watch_seconds(self, until: datetime) -> float | None:
        """Closed stays, and open ones ending at ``until``; None without any leave event (some
        platforms do not report leaving, so there is no watch time to tell)."""
        if not self._any_leave:
            return None
        stays = self._closed_stays + len(self._open)
        if not stays:
            return None
        open_seconds = sum(max(0.0, (until - since).total_seconds()) for since in self._open.values())
        return (self._closed_seconds + open_seconds) / stays


class TallyCache:
    """The tallies of the sessions looked at most recently in this process."""

    def __init__(self, capacity: int = SESSIONS_KEPT) -> None:
        self.capacity = capacity
        self._tallies: OrderedDict[tuple[str, int, int], SessionTallies] = OrderedDict()

    def get(self, key: tuple[str, int, int]) -> SessionTallies:
        tallies = self._tallies.pop(key, None) or SessionTallies()
        self._tallies[key] = tallies
        while len(self._tallies) > self.capacity:
            self._tallies.popitem(last=False)
        return tallies

    def replace(self, key: tuple[str, int, int]) -> SessionTallies:
        self._tallies[key] = SessionTallies()
        return self._tallies[key]
