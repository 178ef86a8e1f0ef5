"""Console side of comment insight: the intent tags of the live dashboard's comment feed.

The dashboard (stats) shows the comments; this stream adds what each one was understood as.
It sends the newest insights first, then every batch the worker publishes for the session, and
says when understanding is unavailable (missing models) instead of staying silent.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Final

from fastapi import APIRouter, Request
from sse_starlette.sse import EventSourceResponse

from livebridge.config import Settings
from livebridge.insight import service
from livebridge.realtime.broadcaster import Broadcaster
from livebridge.web.deps import ConsoleUser, DbSession

router = APIRouter()
FIRST_ITEMS: Final = 200


@router.get("/sessions/{session_id}/live/insights")
async def insight_stream(
    request: Request, session_id: int, session: DbSession, identity: ConsoleUser
) -> EventSourceResponse:
    subject = identity.subject
    settings: Settings = request.app.state.settings
    status = await service.understanding_status(session, subject, session_id, settings.model_dir)  # 404 first
    first = {
        "insights": await service.recent_feed_items(session, subject, session_id, FIRST_ITEMS),
        "unavailable": status.message,
    }
    broadcaster: Broadcaster = request.app.state.broadcaster
    channel = service.insights_channel(subject.require_tenant(), session_id)

    async def updates() -> AsyncIterator[dict[str, str]]:
        notifications = broadcaster.subscribe(channel)
        try:
            yield {"event": "insights", "data": json.dumps(first, ensure_ascii=False)}
            async for message in notifications:
                yield {"event": "insights", "data": message}
        finally:
            await notifications.aclose()  # type: ignore[attr-defined]

    return EventSourceResponse(updates(), ping=15)
