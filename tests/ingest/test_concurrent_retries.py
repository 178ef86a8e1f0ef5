"""Two copies of one batch sent at the same time are stored once (the engine's unique index decides)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from livebridge.db import Database
from livebridge.ingest.repository import EVENT_COLUMNS, EventRepository
from livebridge.models import SessionSecond
from tests.factories import TenantFixture

T0 = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)


async def test_simultaneous_retries_store_and_count_each_event_once(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    events = [
        {"type": "comment", "event_id": f"same{n}", "occurred_at": (T0 + timedelta(seconds=n)).isoformat(),
         "viewer_id": f"v{n}", "text": "多少钱"}
        for n in range(2000)
    ]
    body = "\n".join(json.dumps(e, ensure_ascii=False) for e in events).encode()
    headers = {**tenant.headers(), "Content-Type": "application/x-ndjson"}
    url = f"/api/v1/sessions/{tenant.session_id}/events"
    responses = await asyncio.gather(*(client.post(url, content=body, headers=headers) for _ in range(3)))
    results = [r.json() for r in responses]
    assert all(r.status_code == 200 for r in responses), results
    assert sum(r["accepted"] for r in results) == 2000
    assert sum(r["duplicates"] for r in results) == 4000
    async with database.transaction(write=False) as session:
        counted = (await session.execute(select(func.sum(SessionSecond.comments)).where(
            SessionSecond.session_id == tenant.session_id))).scalar_one()
    assert counted == 2000


async def test_a_batch_racing_an_uncommitted_copy_of_itself_falls_back_to_the_engine(
    database: Database, tenant: TenantFixture
) -> None:
    """The second writer checks before the first commits, so only the unique index can tell.

    PostgreSQL only: on SQLite the second writer's BEGIN IMMEDIATE waits for the first to commit.
    """
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers; the race cannot happen")
    like = {"tenant_id": tenant.tenant_id, "session_id": tenant.session_id, "source": "race", "type": "like",
            "occurred_at": T0, "received_at": T0, "count": 1, "is_simulated": False}
    rows = [tuple({**like, "event_id": f"r{n}"}.get(column) for column in EVENT_COLUMNS) for n in range(10)]
    first_inserted = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> Sequence[int]:
        async with database.transaction() as session:
            stored = await EventRepository(session).insert_new(rows[:6])
            first_inserted.set()
            await release_first.wait()
            return stored

    async def second() -> Sequence[int]:
        await first_inserted.wait()
        async with database.transaction() as session:
            pending = asyncio.ensure_future(EventRepository(session).insert_new(rows))
            await asyncio.sleep(0.3)  # on PostgreSQL it now waits on the first's uncommitted keys
            release_first.set()
            return await pending

    stored_first, stored_second = await asyncio.gather(first(), second())
    assert len(stored_first) == 6
    assert list(stored_second) == [6, 7, 8, 9]  # positions in the batch
