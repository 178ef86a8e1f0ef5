"""The live dashboard: a page, and a Server-Sent Events stream that pushes fresh figures."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sse_starlette.sse import EventSourceResponse

from livebridge.authz import Subject
from livebridge.db import Database
from livebridge.live import service as live_service
from livebridge.realtime.broadcaster import Broadcaster, session_channel
from livebridge.stats import service
from livebridge.web.deps import ConsoleUser, DbSession
from livebridge.web.templating import render

router = APIRouter()
MIN_PUSH_INTERVAL: Final = 0.25  # seconds between a stream's updates: bursts of batches coalesce
FEED_SIZE: Final = 50


class SharedFigures:
    """Dashboards of one session open in this process share each recomputation of its figures.

    Every open dashboard wakes on the same notification; the first to ask computes, the others
    await the same result, provided it started after they were notified (an older computation may
    miss the batch they were told about). The comment feed stays per dashboard.
    """

    def __init__(self, compute: Callable[[Database, Subject, int], Awaitable[dict[str, Any]]]) -> None:
        self._compute = compute
        self._running: dict[tuple[int, int], tuple[float, asyncio.Future[dict[str, Any]]]] = {}

    async def get(self, database: Database, subject: Subject, session_id: int, *, since: float) -> dict[str, Any]:
        key = (subject.require_tenant(), session_id)
        started, running = self._running.get(key, (0.0, None))
        if running is None or started < since:
            started, running = time.monotonic(), asyncio.ensure_future(self._compute(database, subject, session_id))
            self._running[key] = (started, running)
            running.add_done_callback(lambda done: self._forget(key, done))
        return await asyncio.shield(running)

    def _forget(self, key: tuple[int, int], done: asyncio.Future[dict[str, Any]]) -> None:
        if self._running.get(key, (0.0, None))[1] is done:
            del self._running[key]


async def _figures(database: Database, subject: Subject, session_id: int) -> dict[str, Any]:
    async with database.transaction(write=False) as session:
        live_session = await live_service.access_session(session, subject, session_id)
        figures = await service.session_stats(session, subject, session_id)
    return {
        "stats": figures.model_dump(mode="json"),
        "segments": [
            {
                "product": seg.product.name,
                "from": seg.started_at.isoformat(),
                "to": seg.ended_at.isoformat() if seg.ended_at else None,
            }
            for seg in live_session.segments
        ],
    }


SHARED_FIGURES = SharedFigures(_figures)


async def _snapshot(
    database: Database, subject: Subject, session_id: int, after_comment: int, since: float
) -> dict[str, Any]:
    figures = await SHARED_FIGURES.get(database, subject, session_id, since=since)
    async with database.transaction(write=False) as session:
        comments = await service.recent_comments(session, subject, session_id, after_id=after_comment, limit=FEED_SIZE)
    return {**figures, "comments": [c.model_dump(mode="json") for c in comments], "sent_at": time.time()}


@router.get("/sessions/{session_id}/live", response_class=HTMLResponse)
async def dashboard_page(request: Request, session_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    live_session = await live_service.access_session(session, identity.subject, session_id)
    return render(request, "stats/dashboard.html", {"active": "sessions", "s": live_session})


@router.get("/sessions/{session_id}/live/stream")
async def dashboard_stream(
    request: Request, session_id: int, session: DbSession, identity: ConsoleUser
) -> EventSourceResponse:
    subject = identity.subject
    await live_service.access_session(session, subject, session_id)  # 404 before the stream starts
    database: Database = request.app.state.db
    broadcaster: Broadcaster = request.app.state.broadcaster
    channel = session_channel(subject.require_tenant(), session_id)

    async def updates() -> AsyncIterator[dict[str, str]]:
        notifications = broadcaster.subscribe(channel)
        pending = asyncio.ensure_future(anext(notifications))
        last_comment = 0
        notified = time.monotonic()
        try:
            while True:
                snapshot = await _snapshot(database, subject, session_id, last_comment, notified)
                if snapshot["comments"]:
                    last_comment = snapshot["comments"][-1]["id"]
                yield {"event": "stats", "data": json.dumps(snapshot, ensure_ascii=False)}
                pushed = time.monotonic()
                await pending  # wait for new events
                notified = time.monotonic()
                # At most one update per MIN_PUSH_INTERVAL: the first batch after a pause shows at once,
                # the batches of a burst wait for the interval and then show together.
                await asyncio.sleep(max(0.0, pushed + MIN_PUSH_INTERVAL - notified))
                pending = asyncio.ensure_future(anext(notifications))
        finally:
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await pending
            await notifications.aclose()  # type: ignore[attr-defined]

    return EventSourceResponse(updates(), ping=15)
