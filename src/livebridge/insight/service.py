"""Comment insight: understand the comments of a session after they are stored, and read them back.

The worker side (``catch_up``) runs in a background task, never in the ingest transaction: it
reads the session's comments after its cursor in chunks, analyses each chunk in one batch,
links products, inserts the insights (``ON CONFLICT DO NOTHING``: a second run inserts nothing)
and moves the cursor, one transaction per chunk; then it publishes what it stored to the
session's live channel. A missing model is recorded on the cursor (and logged, naming
``livebridge nlp train``); the comments wait and the sweep retries.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Permission, Subject
from livebridge.db import Database
from livebridge.exceptions import InvalidInput
from livebridge.insight.linking import CatalogTerm, ProductMatcher, SessionLinker
from livebridge.insight.repository import CommentRow, InsightRepository
from livebridge.insight.schemas import CommentInsightRead, InsightDistribution, UnderstandingStatus
from livebridge.insight.understanding import UnderstandingUnavailable, load_analyzer
from livebridge.kit.pagination import Page, PageParams
from livebridge.kit.time import utcnow
from livebridge.live import service as live_service
from livebridge.models import CommentInsight, InsightCursor, Platform
from livebridge.realtime.broadcaster import session_channel
from livebridge.text import ASPECTS, INTENTS
from livebridge.text.errors import REBUILD_COMMAND

__all__ = [
    "CHUNK_COMMENTS",
    "CatchUp",
    "catch_up",
    "distribution",
    "insight_read",
    "insights_channel",
    "list_comments",
    "recent_feed_items",
    "sessions_to_sweep",
    "tenant_session_ids",
    "understand_chunk",
    "understanding_status",
    "verify_session",
]

CHUNK_COMMENTS: Final = 5_000
PUBLISH_LIMIT: Final = 200  # the dashboard feed keeps 200 lines: more would be dropped unseen
SWEEP_RECENT: Final = timedelta(days=1)
MATCHER_CACHE_SIZE: Final = 256

Publish = Callable[[str, str], Awaitable[None]]


def insights_channel(tenant_id: int, session_id: int) -> str:
    """Where a session's fresh insights are published (next to its ``session_channel``)."""
    return session_channel(tenant_id, session_id) + ":insights"


def _worker_subject(tenant_id: int) -> Subject:
    return Subject(display_name="insight worker", tenant_id=tenant_id, permissions=frozenset({Permission.READ}))


class _MatcherCache:
    """One compiled ``ProductMatcher`` per tenant catalogue, rebuilt when the catalogue changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._matchers: OrderedDict[int, tuple[tuple[Any, ...], ProductMatcher]] = OrderedDict()

    async def matcher(self, repository: InsightRepository, subject: Subject) -> ProductMatcher:
        tenant_id = subject.require_tenant()
        version = await repository.catalog_version(subject)
        with self._lock:
            cached = self._matchers.get(tenant_id)
            if cached is not None and cached[0] == version:
                self._matchers.move_to_end(tenant_id)
                return cached[1]
        terms = [
            CatalogTerm(text, product_id)
            for product_id, name, aliases, codes in await repository.catalog_terms(subject)
            for text in (name, *aliases, *codes)
        ]
        matcher = ProductMatcher(terms)
        with self._lock:
            self._matchers[tenant_id] = (version, matcher)
            while len(self._matchers) > MATCHER_CACHE_SIZE:
                self._matchers.popitem(last=False)
        return matcher


_matchers = _MatcherCache()


async def _session_linker(repository: InsightRepository, tenant_id: int, session_id: int) -> SessionLinker:
    # The shelf and segments are read with two lean queries, not the whole session aggregate of
    # live_service.access_session: this runs for every chunk, several times a second in a busy room.
    subject = _worker_subject(tenant_id)
    return SessionLinker(
        await _matchers.matcher(repository, subject),
        await repository.shelf_links(subject, session_id),
        await repository.segments(subject, session_id),
    )


FEED_FIELDS: Final = ("intent", "aspects", "sentiment", "product_id", "product_link")


def _feed_item(row: dict[str, Any]) -> dict[str, Any]:
    """An insight as the live feed receives it (published, or sent first on the stream)."""
    return {"id": row["event_row_id"], **{name: row[name] for name in FEED_FIELDS}}


@dataclass
class CatchUp:
    """What one run did for a session."""

    understood: int = 0
    error: str | None = None
    stored: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Chunk:
    """The next comments of a session, analysed and linked, ready to be stored."""

    tenant_id: int
    through_event_id: int  # the cursor after storing them
    rows: list[dict[str, Any]]
    error: str | None  # the models cannot be used: nothing analysed
    record: bool  # the cursor row must be written even without rows (new, or clearing an error)
    full: bool  # a whole chunk: more may follow


async def _prepare_chunk(session: AsyncSession, session_id: int, model_dir: Path | None) -> _Chunk | None:
    """Read and analyse the session's next comments (reads only); None when the session is gone."""
    repository = InsightRepository(session)
    tenant_id = await repository.dangerously_session_tenant(session_id)
    if tenant_id is None:
        return None
    cursor = await repository.dangerously_cursor(session_id)
    if cursor is not None:
        after = cursor.through_event_id
    else:
        first = await repository.dangerously_first_event_id(session_id)
        after = first - 1 if first is not None else 0
    record = cursor is None or cursor.last_error is not None
    comments = await repository.dangerously_comments_after(session_id, after, CHUNK_COMMENTS)
    if not comments:
        return _Chunk(tenant_id, after, [], None, record, full=False)
    rows, error = await _analysed_rows(repository, tenant_id, session_id, comments, model_dir)
    if error is not None:
        return _Chunk(tenant_id, after, [], error, record=True, full=False)
    return _Chunk(tenant_id, comments[-1][0], rows, None, record=True, full=len(comments) == CHUNK_COMMENTS)


async def _analysed_rows(
    repository: InsightRepository, tenant_id: int, session_id: int, comments: list[CommentRow], model_dir: Path | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The insight rows of the comments (analysed in one batch, products linked), or why not."""
    if not comments:
        return [], None
    try:
        analyzer = load_analyzer(model_dir)
    except UnderstandingUnavailable as exc:
        return [], str(exc)
    linker = await _session_linker(repository, tenant_id, session_id)
    analyses = analyzer.analyze_batch([text or "" for _, _, _, _, text, _ in comments])
    rows: list[dict[str, Any]] = []
    for (event_id, _, occurred_at, viewer, _, simulated), analysis in zip(comments, analyses, strict=True):
        product_id, product_link = linker.link(analysis.normalized, analysis.link_number, occurred_at)
        rows.append(
            {
                "event_row_id": event_id,
                "tenant_id": tenant_id,
                "session_id": session_id,
                "occurred_at": occurred_at,
                "viewer_key": viewer,
                "normalized": analysis.normalized,
                "intent": analysis.intent,
                "intent_confidence": analysis.intent_confidence,
                "aspects": list(analysis.aspects),
                "sentiment": analysis.sentiment,
                "aspect_sentiments": dict(analysis.aspect_sentiments),
                "product_id": product_id,
                "product_link": product_link,
                "answered_at": None,
                "is_simulated": simulated,
            }
        )
    return rows, None


async def _store_chunk(session: AsyncSession, session_id: int, chunk: _Chunk) -> CatchUp:
    """Insert the chunk's insights (those not there yet) and move the cursor."""
    repository = InsightRepository(session)
    inserted = await repository.insert_new(chunk.rows) if chunk.rows else set()
    if chunk.record:
        await repository.advance(
            chunk.tenant_id, session_id, through_event_id=chunk.through_event_id, at=utcnow(), error=chunk.error
        )
    stored = [row for row in chunk.rows if row["event_row_id"] in inserted]
    return CatchUp(understood=len(stored), error=chunk.error, stored=stored)


async def understand_chunk(session: AsyncSession, session_id: int, model_dir: Path | None) -> tuple[CatchUp, bool]:
    """Understand the session's next chunk of comments in the caller's transaction.

    Returns the chunk's result and whether more comments may follow.
    """
    chunk = await _prepare_chunk(session, session_id, model_dir)
    if chunk is None:
        return CatchUp(), False
    return await _store_chunk(session, session_id, chunk), chunk.full


async def catch_up(database: Database, session_id: int, publish: Publish | None = None) -> CatchUp:
    """Understand every comment of the session not understood yet.

    Per chunk: reading and analysing run in a read transaction; storing runs in a short write
    transaction of its own, so the analysis never holds the write lock that ingestion needs
    (SQLite has one writer). After each committed chunk the stored insights (the newest
    ``PUBLISH_LIMIT``) go to the session's insights channel; a failure to understand too.
    """
    total = CatchUp()
    model_dir = database.settings.model_dir
    while True:
        async with database.transaction(write=False) as session:
            chunk = await _prepare_chunk(session, session_id, model_dir)
        if chunk is None:
            return total
        result = CatchUp()
        if chunk.rows or chunk.record:
            async with database.transaction() as session:
                result = await _store_chunk(session, session_id, chunk)
        total.understood += result.understood
        total.error = chunk.error
        if publish is not None and (result.stored or chunk.error):
            message = {
                "insights": [_feed_item(row) for row in result.stored[-PUBLISH_LIMIT:]],
                "unavailable": chunk.error,
            }
            await publish(insights_channel(chunk.tenant_id, session_id), orjson.dumps(message).decode())
        if not chunk.full:
            return total


async def verify_session(database: Database, session_id: int, publish: Publish | None = None) -> int:
    """The sweep's check behind the cursor: understand comments that a batch committed after a
    later batch had already moved the cursor past them (PostgreSQL commits out of id order).

    It checks up to the cursor the previous sweep saw (by now every transaction that took those
    ids is over) and remembers today's cursor for the next sweep. Returns how many it understood.
    """
    async with database.transaction(write=False) as session:
        repository = InsightRepository(session)
        cursor = await repository.dangerously_cursor(session_id)
        if cursor is None or cursor.last_error is not None:
            return 0  # not started, or the models are missing: catch_up deals with it first
        low, mark, through = cursor.verified_through_event_id, cursor.sweep_mark_event_id, cursor.through_event_id
        tenant_id = cursor.tenant_id
        if low == 0:
            first = await repository.dangerously_first_event_id(session_id)
            low = first - 1 if first is not None else 0
        missing = await repository.dangerously_comments_without_insight(session_id, low, mark) if mark > low else []
        rows, error = await _analysed_rows(repository, tenant_id, session_id, missing, database.settings.model_dir)
    if error is not None:
        return 0
    async with database.transaction() as session:
        repository = InsightRepository(session)
        inserted = await repository.insert_new(rows) if rows else set()
        await repository.verify(session_id, verified_through=max(low, mark), mark=through)
    stored = [row for row in rows if row["event_row_id"] in inserted]
    if publish is not None and stored:
        message = {"insights": [_feed_item(row) for row in stored[-PUBLISH_LIMIT:]], "unavailable": None}
        await publish(insights_channel(tenant_id, session_id), orjson.dumps(message).decode())
    return len(stored)


async def sessions_to_sweep(database: Database) -> list[int]:
    async with database.transaction(write=False) as session:
        return await InsightRepository(session).dangerously_sessions_to_sweep(utcnow(), SWEEP_RECENT)


async def tenant_session_ids(
    session: AsyncSession, subject: Subject, platform: Platform | None = None
) -> list[tuple[int, str]]:
    """(id, title) of every session of the subject's tenant, optionally of one platform, oldest first."""
    found: list[tuple[int, str]] = []
    page_number = 1
    while True:
        page = await live_service.list_sessions(
            session, subject, PageParams(page=page_number, page_size=200), platform=platform
        )
        found.extend((s.id, s.title) for s in page.items)
        if page_number >= page.pagination.max_page:
            return sorted(found)
        page_number += 1


# --- readers ------------------------------------------------------------------------------------


def _check_filters(intent: str | None, aspect: str | None) -> None:
    if intent is not None and intent not in INTENTS:
        raise InvalidInput(
            f"unknown intent {intent!r}; one of {', '.join(INTENTS)}", code="unknown_intent", field="intent"
        )
    if aspect is not None and aspect not in ASPECTS:
        raise InvalidInput(
            f"unknown aspect {aspect!r}; one of {', '.join(ASPECTS)}", code="unknown_aspect", field="aspect"
        )


def insight_read(insight: CommentInsight, text: str) -> CommentInsightRead:
    return CommentInsightRead(
        id=insight.event_row_id,
        occurred_at=insight.occurred_at,
        viewer=insight.viewer_key,
        text=text,
        normalized=insight.normalized,
        intent=insight.intent,
        intent_confidence=insight.intent_confidence,
        aspects=list(insight.aspects),
        sentiment=insight.sentiment,
        aspect_sentiments=dict(insight.aspect_sentiments),
        product_id=insight.product_id,
        product_link=insight.product_link,
        answered_at=insight.answered_at,
        is_simulated=insight.is_simulated,
    )


async def list_comments(
    session: AsyncSession,
    subject: Subject,
    session_id: int,
    params: PageParams,
    *,
    intent: str | None = None,
    aspect: str | None = None,
    product_id: int | None = None,
) -> Page[CommentInsightRead]:
    """A session's understood comments, newest first, filtered by intent, aspect and product."""
    subject.check(Permission.READ)
    _check_filters(intent, aspect)
    await live_service.access_session(session, subject, session_id)
    rows, total = await InsightRepository(session).comments_page(
        subject, session_id, params, intent=intent, aspect=aspect, product_id=product_id
    )
    return Page.build([insight_read(insight, text) for insight, text in rows], total, params)


async def recent_feed_items(
    session: AsyncSession, subject: Subject, session_id: int, limit: int
) -> list[dict[str, Any]]:
    """The newest insights of a session in the shape the live feed receives them."""
    subject.check(Permission.READ)
    insights = await InsightRepository(session).recent(subject, session_id, limit)
    return [
        _feed_item({"event_row_id": i.event_row_id, **{name: getattr(i, name) for name in FEED_FIELDS}})
        for i in insights
    ]


def _status(cursor: InsightCursor | None, model_dir: Path | None) -> UnderstandingStatus:
    if cursor is not None and cursor.last_error:
        return UnderstandingStatus(available=False, message=cursor.last_error, rebuild_command=REBUILD_COMMAND)
    try:
        load_analyzer(model_dir)
    except UnderstandingUnavailable as exc:
        return UnderstandingStatus(available=False, message=str(exc), rebuild_command=REBUILD_COMMAND)
    return UnderstandingStatus(available=True, message=None, rebuild_command=None)


async def understanding_status(
    session: AsyncSession, subject: Subject, session_id: int, model_dir: Path | None
) -> UnderstandingStatus:
    """Whether the session's comments can be understood now (and if not, why and how to fix it)."""
    await live_service.access_session(session, subject, session_id)
    return _status(await InsightRepository(session).cursor(subject, session_id), model_dir)


async def distribution(session: AsyncSession, subject: Subject, session_ids: Sequence[int]) -> InsightDistribution:
    """Comments per intent and per aspect over the sessions, and how many still wait."""
    subject.check(Permission.READ)
    intents, aspects, waiting = await InsightRepository(session).distribution(subject, session_ids)
    return InsightDistribution(
        sessions=len(session_ids),
        understood=sum(intents.values()),
        waiting=waiting,
        intents=dict(sorted(intents.items(), key=lambda item: -item[1])),
        aspects=dict(sorted(aspects.items(), key=lambda item: -item[1])),
    )
