"""A tiny ingest endpoint with the documented answer shape, served in-process or on a loopback port.

It is a stand-in for the API the poster talks to (docs/events.md), not a mock of our code: it
decodes every line with the real wire format and answers accepted/duplicates/rejected.
"""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import msgspec
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from livebridge.ingest.schemas import LiveEvent, decode_event
from livebridge.simulate import AudienceModel, Scenario, example_shelf

API_KEY = "lb_test_key"
START = datetime(2026, 11, 20, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@dataclass
class Received:
    session_id: str
    event_ids: list[str]
    body_digest: str
    gzipped: bool


@dataclass
class FakeIngest:
    failures_before_success: int = 0  # answer 503 this many times first
    seen: set[str] = field(default_factory=set)
    requests: list[Received] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)  # body digests, failed attempts included
    calls: int = 0

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/api/v1/sessions/{session_id}/events", self.ingest, methods=["POST"])])

    async def ingest(self, request: Request) -> JSONResponse:
        self.calls += 1
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return JSONResponse({"code": "invalid_api_key"}, status_code=401)
        body = await request.body()
        self.attempts.append(hashlib.sha256(body).hexdigest())
        if self.failures_before_success > 0:
            self.failures_before_success -= 1
            return JSONResponse({"code": "busy"}, status_code=503, headers={"Retry-After": "0"})
        gzipped = request.headers.get("content-encoding") == "gzip"
        lines = (gzip.decompress(body) if gzipped else body).split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        if len(lines) > 5_000:
            return JSONResponse({"code": "batch_too_large"}, status_code=413)
        accepted = duplicates = 0
        rejected: list[dict[str, object]] = []
        event_ids: list[str] = []
        for number, line in enumerate(lines, start=1):
            try:
                event = decode_event(line)
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                rejected.append({"line": number, "code": "invalid_field", "message": str(exc)})
                continue
            event_ids.append(event.event_id)
            if event.event_id in self.seen:
                duplicates += 1
            else:
                self.seen.add(event.event_id)
                accepted += 1
        self.requests.append(
            Received(request.path_params["session_id"], event_ids, hashlib.sha256(body).hexdigest(), gzipped)
        )
        return JSONResponse(
            {"received": len(lines), "accepted": accepted, "duplicates": duplicates, "rejected": rejected}
        )


def tiny_scenario(*, seconds: int = 60, viewers: int = 150, seed: int = 4) -> Scenario:
    return Scenario(
        start=START, duration=timedelta(seconds=seconds), shelf=example_shelf(),
        audience=AudienceModel(viewers=viewers), seed=seed,
    )


def event_ids(events: list[LiveEvent]) -> list[str]:
    return [event.event_id for event in events]


@pytest.fixture
def ingest() -> FakeIngest:
    return FakeIngest()


@pytest.fixture
async def ingest_client(ingest: FakeIngest) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=ingest.app())) as client:
        yield client


@pytest.fixture
def ingest_server(ingest: FakeIngest) -> Iterator[str]:
    """The endpoint on a free loopback port (uvicorn in a thread); yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(ingest.app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test ingest server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
