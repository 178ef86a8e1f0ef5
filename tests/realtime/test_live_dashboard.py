"""Server-Sent Events: the dashboard's figures change within a second of an acknowledged batch,
for several watchers, and across processes through Redis; another tenant gets 404."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import httpx
import pytest

from livebridge.db import Database
from tests.conftest import ServerProcess
from tests.factories import PASSWORD, TenantFixture, make_tenant

REDIS_URL = os.environ.get("LIVEBRIDGE_TEST_REDIS_URL")


def logged_in(base_url: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=10)
    client.get("/login")
    response = client.post("/login", data={"email": email, "password": PASSWORD,
                                           "csrf_token": client.cookies["lb_csrf"]})
    assert response.status_code == 303
    return client


class StreamReader:
    """Reads one SSE stream in a thread and hands over each ``stats`` snapshot with its arrival time."""

    def __init__(self, client: httpx.Client, path: str) -> None:
        self.snapshots: Queue[tuple[float, dict[str, Any]]] = Queue()
        self._client = client
        self._path = path
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with self._client.stream("GET", self._path, timeout=None) as response:
                event = None
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        event = line.split(":", 1)[1].strip()
                    elif line.startswith("data:") and event == "stats":
                        self.snapshots.put((time.monotonic(), json.loads(line.split(":", 1)[1])))
        except httpx.HTTPError:
            if not self._stop.is_set():  # closing the client ends the stream on purpose
                raise

    def next(self, timeout: float = 5.0) -> tuple[float, dict[str, Any]]:
        return self.snapshots.get(timeout=timeout)

    def close(self) -> None:
        self._stop.set()
        self._client.close()


def push(base_url: str, tenant: TenantFixture, first: int, count: int) -> float:
    now = datetime.now(UTC) - timedelta(seconds=5)
    lines = [json.dumps({"type": "comment", "event_id": f"sse-{n}", "occurred_at": now.isoformat(),
                         "viewer_id": f"v{n}", "text": f"第 {n} 条评论"}) for n in range(first, first + count)]
    response = httpx.post(f"{base_url}/api/v1/sessions/{tenant.session_id}/events", content="\n".join(lines),
                          headers={**tenant.headers(), "Content-Type": "application/x-ndjson"}, timeout=10)
    assert response.json()["accepted"] == count
    return time.monotonic()


def wait_for_comments(reader: StreamReader, expected: int, deadline: float) -> float:
    while True:
        try:
            arrived, snapshot = reader.next(timeout=max(0.05, deadline - time.monotonic()))
        except Empty:
            pytest.fail(f"no snapshot with {expected} comments in time")
        if snapshot["stats"]["totals"]["comments"] == expected:
            return arrived


async def test_several_watchers_see_a_batch_within_a_second(live_server: str, database: Database) -> None:
    tenant = await make_tenant(database)
    readers = [StreamReader(logged_in(live_server, tenant.owner_email), f"/sessions/{tenant.session_id}/live/stream")
               for _ in range(3)]
    try:
        for reader in readers:
            assert reader.next()[1]["stats"]["totals"]["comments"] == 0
        acknowledged = push(live_server, tenant, 0, 200)
        for reader in readers:
            arrived = wait_for_comments(reader, 200, acknowledged + 1.0)
            assert arrived - acknowledged <= 1.0
    finally:
        for reader in readers:
            reader.close()


async def test_another_tenants_dashboard_is_404(live_server: str, database: Database) -> None:
    tenant = await make_tenant(database)
    other = await make_tenant(database)
    client = logged_in(live_server, tenant.owner_email)
    try:
        assert client.get(f"/sessions/{other.session_id}/live").status_code == 404
        assert client.get(f"/sessions/{other.session_id}/live/stream").status_code == 404
        assert client.get(f"/sessions/{tenant.session_id}/live").status_code == 200
    finally:
        client.close()


@pytest.mark.skipif(not REDIS_URL, reason="LIVEBRIDGE_TEST_REDIS_URL is not set (.ci/services.sh start)")
async def test_ingest_on_one_process_reaches_a_dashboard_on_another(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    assert REDIS_URL is not None
    tenant = await make_tenant(database)
    servers = [ServerProcess(database_url, tmp_path / f"var{i}", tmp_path / f"server{i}.log", redis_url=REDIS_URL)
               for i in range(2)]
    try:
        reader = StreamReader(logged_in(servers[0].base_url, tenant.owner_email),
                              f"/sessions/{tenant.session_id}/live/stream")
        assert reader.next()[1]["stats"]["totals"]["comments"] == 0
        acknowledged = push(servers[1].base_url, tenant, 0, 50)
        arrived = wait_for_comments(reader, 50, acknowledged + 1.0)
        assert arrived - acknowledged <= 1.0
        reader.close()
    finally:
        for server in servers:
            server.stop()
