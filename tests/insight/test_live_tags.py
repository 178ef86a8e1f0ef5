"""The live dashboard's insight stream (served by a real uvicorn process with its embedded
consumer): comments pushed to the API come back tagged with their intent. The latency bound here
is generous (a correctness check); bench/insight_latency.py measures the real figure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


class InsightReader:
    """Reads the insight SSE stream in a thread; hands over each message with its arrival time."""

    def __init__(self, client: httpx.Client, session_id: int) -> None:
        self.messages: Queue[tuple[float, dict[str, Any]]] = Queue()
        self._client = client
        self._path = f"/sessions/{session_id}/live/insights"
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        try:
            with self._client.stream("GET", self._path, timeout=None) as response:
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        self.messages.put((time.monotonic(), json.loads(line.split(":", 1)[1])))
        except httpx.HTTPError:
            if not self._stop.is_set():
                raise

    def tagged_until(self, expected: int, deadline: float) -> tuple[float, list[dict[str, Any]]]:
        """Wait until ``expected`` insights arrived; return the last arrival time and the insights."""
        insights: list[dict[str, Any]] = []
        arrived = time.monotonic()
        while len(insights) < expected:
            try:
                arrived, message = self.messages.get(timeout=max(0.05, deadline - time.monotonic()))
            except Empty:
                pytest.fail(f"only {len(insights)} of {expected} insights arrived in time")
            insights.extend(message["insights"])
        return arrived, insights

    def close(self) -> None:
        self._stop.set()
        self._client.close()


def push(base_url: str, tenant: TenantFixture, count: int, prefix: str) -> float:
    now = datetime.now(UTC) - timedelta(seconds=5)
    texts = ["宝宝们160斤穿啥码", "3号链接多少钱", "质量太差了 退货", "已拍 等发货", "主播好可爱"]
    lines = [json.dumps({"type": "comment", "event_id": f"{prefix}-{n}", "occurred_at": now.isoformat(),
                         "viewer_id": f"v{n}", "text": texts[n % len(texts)]}, ensure_ascii=False)
             for n in range(count)]
    response = httpx.post(f"{base_url}/api/v1/sessions/{tenant.session_id}/events", content="\n".join(lines),
                          headers={**tenant.headers(), "Content-Type": "application/x-ndjson"}, timeout=10)
    assert response.json()["accepted"] == count
    return time.monotonic()


async def test_pushed_comments_come_back_tagged_on_the_dashboard_stream(live_server: str, database: Database) -> None:
    tenant = await make_tenant(database)
    reader = InsightReader(logged_in(live_server, tenant.owner_email), tenant.session_id)
    try:
        _, first = reader.messages.get(timeout=10)
        assert first == {"insights": [], "unavailable": None}
        acknowledged = push(live_server, tenant, 100, "tags")
        # Generous: in CI's scale-out run one worker process with two threads serves the whole suite's
        # background work, and a regroup or an integrity refresh of earlier tests may hold both a while.
        arrived, insights = reader.tagged_until(100, acknowledged + 60.0)
        assert arrived - acknowledged < 60.0
        assert {i["intent"] for i in insights} >= {"question", "complaint"}
        assert len({i["id"] for i in insights}) == 100
    finally:
        reader.close()


async def test_the_dashboard_page_loads_the_tag_script(live_server: str, database: Database) -> None:
    tenant = await make_tenant(database)
    client = logged_in(live_server, tenant.owner_email)
    try:
        page = client.get(f"/sessions/{tenant.session_id}/live").text
        assert "/static/js/insight_feed.js" in page
        assert f"/sessions/{tenant.session_id}/live/insights" in page
        assert client.get("/static/js/insight_feed.js").status_code == 200
    finally:
        client.close()


def start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """``livebridge worker`` in a process of its own (this checkout's code, via PYTHONPATH)."""
    with log_path.open("w") as log:
        return subprocess.Popen([sys.executable, "-c", "from livebridge.cli import main; main()", "worker"], env=env,
                                stdout=log, stderr=subprocess.STDOUT)


@pytest.mark.skipif(not REDIS_URL, reason="LIVEBRIDGE_TEST_REDIS_URL is not set (.ci/services.sh start)")
async def test_with_redis_a_worker_process_understands_and_the_api_process_streams(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    assert REDIS_URL is not None
    tenant = await make_tenant(database)
    queue_name = f"lbtest-{tenant.slug}"
    env = {**os.environ, "LIVEBRIDGE_DATABASE_URL": database_url, "LIVEBRIDGE_REDIS_URL": REDIS_URL,
           "LIVEBRIDGE_QUEUE_NAME": queue_name, "LIVEBRIDGE_VAR_DIR": str(tmp_path / "worker-var"),
           "LIVEBRIDGE_SECRET_KEY": "server-tests"}
    worker = start_worker(env, tmp_path / "worker.log")
    server = ServerProcess(database_url, tmp_path / "server-var", tmp_path / "server.log", redis_url=REDIS_URL,
                           queue_name=queue_name)
    try:
        reader = InsightReader(logged_in(server.base_url, tenant.owner_email), tenant.session_id)
        reader.messages.get(timeout=10)
        acknowledged = push(server.base_url, tenant, 50, "redis")
        _arrived, insights = reader.tagged_until(50, acknowledged + 15.0)
        assert len({i["id"] for i in insights}) == 50
        reader.close()
    finally:
        server.stop()
        worker.terminate()
        worker.wait(timeout=15)
