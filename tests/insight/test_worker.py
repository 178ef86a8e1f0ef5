"""End to end on SQLite: comments pushed through the API are understood by the embedded consumer
(the task the ingest endpoint enqueued after its commit), exactly once, and the insights are
published to the session's insights channel."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import httpx
from fastapi import FastAPI

from livebridge.config import Settings
from livebridge.db import Database
from livebridge.insight import service
from livebridge.realtime.broadcaster import Broadcaster
from livebridge.worker.consumer import start_embedded_consumer, stop_embedded_consumer
from tests.insight.conftest import T0, Room, comment, comment_count, insights_by_event, push


async def wait_for_insights(database: Database, session_id: int, expected: int, within: float = 30) -> int:
    deadline = time.monotonic() + within
    while True:
        found = len(await insights_by_event(database, session_id))
        if found >= expected or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


async def test_pushed_comments_are_understood_by_the_worker_once(
    app: FastAPI, client: httpx.AsyncClient, database: Database, settings: Settings, room: Room
) -> None:
    broadcaster: Broadcaster = app.state.broadcaster
    messages = broadcaster.subscribe(service.insights_channel(room.tenant.tenant_id, room.tenant.session_id))
    first_message = asyncio.ensure_future(anext(messages))
    await asyncio.sleep(0)
    consumer = start_embedded_consumer(settings, broadcaster, asyncio.get_running_loop())
    assert consumer is not None
    try:
        texts = ["3号链接有没有粉色", "", "小太阳费电吗", "好评 已经回购三次了", "x" * 10_000]
        events = [comment(f"w{i}", texts[i % len(texts)], T0 + timedelta(seconds=i)) for i in range(250)]
        assert await push(client, room.tenant, events[:200]) == 200
        assert await push(client, room.tenant, events) == 50  # a retry with 50 new: only those are new
        assert await wait_for_insights(database, room.tenant.session_id, 250) == 250

        published = json.loads(await asyncio.wait_for(first_message, timeout=10))
        assert published["unavailable"] is None
        assert published["insights"]
        assert {"id", "intent", "aspects", "product_id"} <= set(published["insights"][0])

        # At-least-once delivery: running the task again stores nothing new.
        assert await push(client, room.tenant, events) == 0
        await asyncio.sleep(1.0)
        insights = await insights_by_event(database, room.tenant.session_id)
        assert len(insights) == 250 == await comment_count(database, room.tenant.session_id)
        assert insights["w2"].product_id == room.heater_id
    finally:
        await asyncio.to_thread(stop_embedded_consumer, consumer)
        await messages.aclose()  # type: ignore[attr-defined]
