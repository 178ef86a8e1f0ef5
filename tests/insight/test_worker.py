"""End to end on SQLite: comments pushed through the API are understood by the embedded consumer
(the task the ingest endpoint enqueued after its commit), exactly once, and the insights are
published to the session's insights channel."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from livebridge.config import Settings
from livebridge.db import Database
from livebridge.ingest.service import do_ingest
from livebridge.insight import service, tasks
from livebridge.insight.repository import InsightRepository
from livebridge.insight.tasks import request_understanding
from livebridge.kit.time import utcnow
from livebridge.realtime.broadcaster import Broadcaster
from livebridge.worker.consumer import start_embedded_consumer, stop_embedded_consumer
from livebridge.worker.queue import configure_queue, huey
from livebridge.worker.runtime import close_thread_state, configure_runtime
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


def test_batches_join_a_run_that_is_still_queued(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    configure_queue(settings)
    session_id = 10**9 + int(time.time() * 1000) % 10**6  # no such session: a run of it does nothing

    def queued() -> int:
        return sum(1 for t in huey.pending() if t.name == "understand_session" and t.args == (session_id,))

    request_understanding(session_id)
    request_understanding(session_id)  # the first run has not started: this batch joins it
    assert queued() == 1
    monkeypatch.setattr(tasks, "QUEUED_MARK_SECONDS", 0.0)  # a mark that old may belong to a lost run
    request_understanding(session_id)
    assert queued() == 2


async def test_the_sweep_understands_comments_that_came_without_a_task(
    database: Database, settings: Settings, room: Room
) -> None:
    lines = [(n, json.dumps(comment(f"file-{n}", "有没有大码", T0), ensure_ascii=False).encode()) for n in range(1, 4)]
    async with database.transaction() as session:  # as a file import does: no task is enqueued
        assert (await do_ingest(session, room.tenant.subject, room.tenant.session_id, lines)).accepted == 3
    assert await insights_by_event(database, room.tenant.session_id) == {}

    def sweep_on_a_worker_thread() -> None:
        try:
            tasks.sweep.call_local()
        finally:
            close_thread_state()

    configure_runtime(settings)
    await asyncio.to_thread(sweep_on_a_worker_thread)
    assert set(await insights_by_event(database, room.tenant.session_id)) == {"file-1", "file-2", "file-3"}


async def test_comments_left_behind_the_cursor_are_found_by_the_sweep(
    client: httpx.AsyncClient, database: Database, room: Room
) -> None:
    # On PostgreSQL batch A (lower ids) can commit after batch B's run moved the cursor past it.
    await push(client, room.tenant, [comment(f"a{i}", "有没有大码", T0) for i in range(3)])
    await push(client, room.tenant, [comment(f"b{i}", "质量怎么样", T0) for i in range(2)])
    async with database.transaction() as session:
        repository = InsightRepository(session)
        rows = await repository.dangerously_comments_after(room.tenant.session_id, 0, 100)
        await repository.advance(room.tenant.tenant_id, room.tenant.session_id, through_event_id=rows[-1][0],
                                 at=utcnow(), error=None)  # as if b's run had not seen a's rows
    assert (await service.catch_up(database, room.tenant.session_id)).understood == 0

    assert await service.verify_session(database, room.tenant.session_id) == 0  # marks the cursor
    assert await service.verify_session(database, room.tenant.session_id) == 5  # one sweep later
    assert await service.verify_session(database, room.tenant.session_id) == 0
    assert len(await insights_by_event(database, room.tenant.session_id)) == 5
