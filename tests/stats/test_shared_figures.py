"""Dashboards of one session share a recomputation only if it started after they were notified."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from livebridge.authz import Subject
from livebridge.db import Database
from livebridge.stats.pages import SharedFigures


async def test_dashboards_share_a_fresh_computation_but_never_an_older_one() -> None:
    started: list[int] = []
    release = asyncio.Event()

    async def compute(_database: Database, _subject: Subject, session_id: int) -> dict[str, Any]:
        started.append(session_id)
        number = len(started)
        await release.wait()
        return {"computation": number}

    shared = SharedFigures(compute)
    subject = Subject(display_name="t", tenant_id=1, permissions=frozenset())
    database: Any = None
    notified = time.monotonic()
    first = asyncio.ensure_future(shared.get(database, subject, 7, since=notified))
    second = asyncio.ensure_future(shared.get(database, subject, 7, since=notified))
    other_session = asyncio.ensure_future(shared.get(database, subject, 8, since=notified))
    await asyncio.sleep(0)
    late = asyncio.ensure_future(shared.get(database, subject, 7, since=time.monotonic() + 1))  # notified later
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(first, second, other_session, late)
    assert results[0] is results[1]
    assert started == [7, 8, 7]
    assert results[3] == {"computation": 3}
