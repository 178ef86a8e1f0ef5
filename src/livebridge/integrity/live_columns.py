"""The columns of live sessions kept between refreshes, per process.

A refresh of a live session reads only the events stored since the previous one (ids above the
last id seen) and appends them to the session's columns. Before that, one aggregate query checks
that the events up to that id are still exactly those read (same count, same highest id): a row
committed late with a lower id (PostgreSQL hands out ids before commit), a deleted or re-imported
session, or another database behind the same ids all change it, and the columns are then rebuilt
from scratch. Stored events are never updated in place (ingest only inserts), so equal counts
mean equal rows.

Memory is bounded: at most ``MAX_CACHED_EVENTS`` events over all sessions, least recently
refreshed evicted first; a session larger than that on its own is read whole each time.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Final

from livebridge.authz import Subject
from livebridge.integrity.columns import ColumnsBuilder, SessionEvents
from livebridge.integrity.repository import IntegrityRepository

__all__ = ["MAX_CACHED_EVENTS", "LiveColumns", "live_columns"]

MAX_CACHED_EVENTS: Final = 3_000_000  # about 100 bytes each with their texts: ~300 MB at most
CacheKey = tuple[str, int, int]  # database, tenant, session


async def read_columns(
    repository: IntegrityRepository, subject: Subject, session_id: int, builder: ColumnsBuilder
) -> ColumnsBuilder:
    """Append the session's events with an id above ``builder.last_row_id`` to ``builder``."""
    rows = await repository.event_rows(subject, session_id, after_id=builder.last_row_id)
    if rows:
        kinds, times, viewers, texts, skus, orders, amounts, counts, ids = zip(*rows, strict=True)
        builder.append(kinds, times, viewers, texts, skus, orders, amounts, counts, ids)
    return builder


class LiveColumns:
    def __init__(self, max_events: int = MAX_CACHED_EVENTS) -> None:
        self.max_events = max_events
        self._sessions: OrderedDict[CacheKey, ColumnsBuilder] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    @property
    def events_held(self) -> int:
        return sum(builder.size for builder in self._sessions.values())

    def kept(self, key: CacheKey) -> ColumnsBuilder | None:
        return self._sessions.get(key)

    def forget(self, key: CacheKey) -> None:
        self._sessions.pop(key, None)

    async def load(
        self, repository: IntegrityRepository, subject: Subject, database: str, session_id: int
    ) -> SessionEvents:
        """The session's columns now: the kept ones plus the new events, or all read afresh."""
        key = (database, subject.tenant_id or 0, session_id)
        # Taken out while reading: a concurrent refresh of the same session in this process then
        # starts from scratch instead of appending to the same columns twice.
        builder = self._sessions.pop(key, None)
        if builder is not None and builder.last_row_id:
            tally = await repository.event_tally(subject, session_id, builder.last_row_id)
            if tally != (builder.size, builder.last_row_id):
                builder = None  # rows below the mark appeared or vanished: rebuild
        builder = await read_columns(repository, subject, session_id, builder or ColumnsBuilder())
        events = builder.events()
        if builder.size <= self.max_events:
            self._sessions[key] = builder
            while self.events_held > self.max_events:
                self._sessions.popitem(last=False)
        return events


live_columns: Final = LiveColumns()
