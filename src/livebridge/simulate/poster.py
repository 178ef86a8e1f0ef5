"""Post an event stream to the ingest API in NDJSON batches, in real time, faster, or flat out.

``POST {base_url}/api/v1/sessions/{session_id}/events`` (docs/events.md). The API is idempotent,
so a batch that failed in transit or with a 5xx/429 is sent again unchanged; other errors stop
the run. Paced runs (``speed`` set) follow ``occurred_at``: an event is not sent before its time
(scaled by the speed, counted from the first event), and a batch is cut when the next event is
due more than ``flush_interval_s`` after the batch's first, so a live dashboard lags by at most
about that interval.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final
from urllib.parse import quote

import httpx
import msgspec

from livebridge.ingest.schemas import LiveEvent

__all__ = ["MAX_EVENTS_PER_REQUEST", "PostError", "PostOptions", "PostReport", "PostTarget", "Rejection", "post_events"]

MAX_EVENTS_PER_REQUEST: Final = 5_000
_RETRYABLE_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})
_MAX_BACKOFF_S: Final = 10.0
_KEPT_REJECTIONS: Final = 50


class PostError(Exception):
    """A batch the API refused for good (bad key, unknown session, …) or that kept failing."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True, slots=True)
class PostTarget:
    base_url: str  # e.g. http://127.0.0.1:8000
    session_id: str
    api_key: str

    @property
    def events_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/api/v1/sessions/{quote(self.session_id, safe='')}/events"


@dataclass(frozen=True, slots=True)
class PostOptions:
    batch_size: int = 1_000
    speed: float | None = None  # 1.0 real time, 10.0 ten times faster; None as fast as possible
    use_gzip: bool = False
    max_retries: int = 5
    retry_backoff_s: float = 0.5  # doubled after each failed attempt, at most 10 s
    flush_interval_s: float = 0.5
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= MAX_EVENTS_PER_REQUEST:
            raise ValueError(f"batch_size must be 1-{MAX_EVENTS_PER_REQUEST}")
        if self.speed is not None and self.speed <= 0:
            raise ValueError("speed must be positive (or None for as fast as possible)")
        if self.max_retries < 0 or self.retry_backoff_s < 0 or self.flush_interval_s <= 0:
            raise ValueError("max_retries and retry_backoff_s must not be negative, flush_interval_s must be positive")


@dataclass(frozen=True, slots=True)
class Rejection:
    batch: int  # 0-based batch number
    line: int  # 1-based line in that batch, as the API reports it
    event_id: str | None
    code: str
    message: str


@dataclass(slots=True)
class PostReport:
    events: int = 0
    batches: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    retries: int = 0
    bytes_sent: int = 0
    elapsed_s: float = 0.0
    first_rejections: list[Rejection] = field(default_factory=list)

    @property
    def events_per_s(self) -> float:
        return self.events / self.elapsed_s if self.elapsed_s > 0 else 0.0


class _RejectedLine(msgspec.Struct):
    line: int
    code: str
    message: str = ""


class _IngestAnswer(msgspec.Struct):
    accepted: int
    duplicates: int
    rejected: list[_RejectedLine] = msgspec.field(default_factory=list)


_answer_decoder: Final = msgspec.json.Decoder(_IngestAnswer)


async def post_events(
    events: Iterable[LiveEvent],
    target: PostTarget,
    options: PostOptions | None = None,
    *,
    client: httpx.AsyncClient | None = None,
    on_batch: Callable[[PostReport], None] | None = None,
) -> PostReport:
    """Send ``events`` in order; returns the API's counts. Raises ``PostError`` if a batch fails for good.

    ``client`` lets a caller bring its own transport (tests use an ASGI app); ``on_batch`` is
    called with the running report after each answered batch (progress bars).
    """
    options = options or PostOptions()
    if client is None:
        async with httpx.AsyncClient(timeout=options.timeout_s) as own_client:
            return await _Poster(target, options, own_client, on_batch).run(events)
    return await _Poster(target, options, client, on_batch).run(events)


class _Poster:
    def __init__(
        self,
        target: PostTarget,
        options: PostOptions,
        client: httpx.AsyncClient,
        on_batch: Callable[[PostReport], None] | None,
    ) -> None:
        self._target = target
        self._options = options
        self._client = client
        self._on_batch = on_batch
        self._encoder = msgspec.json.Encoder()
        self._headers = {
            "Authorization": f"Bearer {target.api_key}",
            "Content-Type": "application/x-ndjson",
            **({"Content-Encoding": "gzip"} if options.use_gzip else {}),
        }
        self.report = PostReport()
        self._started = 0.0

    async def run(self, events: Iterable[LiveEvent]) -> PostReport:
        self._started = started = time.perf_counter()
        size, speed, flush_interval = self._options.batch_size, self._options.speed, self._options.flush_interval_s
        first_at: datetime | None = None
        batch: list[LiveEvent] = []
        batch_due = last_due = 0.0  # scenario seconds / speed, from the first event
        for event in events:
            if speed is not None:
                if first_at is None:
                    first_at = event.occurred_at
                due = (event.occurred_at - first_at).total_seconds() / speed
                if batch and due - batch_due > flush_interval:
                    await self._send_when_due(batch, started + last_due)
                    batch = []
                if not batch:
                    batch_due = due
                last_due = due
            batch.append(event)
            if len(batch) >= size:
                await self._send_when_due(batch, started + last_due)
                batch = []
        if batch:
            await self._send_when_due(batch, started + last_due)
        self.report.elapsed_s = time.perf_counter() - started
        return self.report

    async def _send_when_due(self, batch: list[LiveEvent], due: float) -> None:
        """Wait until the batch's last event has happened (paced runs), then send it."""
        if self._options.speed is not None:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        await self._send(batch)

    async def _send(self, batch: list[LiveEvent]) -> None:
        body = self._encoder.encode_lines(batch)
        if self._options.use_gzip:
            # Level 1: NDJSON still shrinks several times, and the poster must not be the bottleneck.
            body = gzip.compress(body, compresslevel=1)
        answer = await self._post_with_retries(body)
        report = self.report
        batch_number = report.batches
        report.events += len(batch)
        report.batches += 1
        report.bytes_sent += len(body)
        report.accepted += answer.accepted
        report.duplicates += answer.duplicates
        report.rejected += len(answer.rejected)
        for rejected in answer.rejected[: max(0, _KEPT_REJECTIONS - len(report.first_rejections))]:
            event_id = batch[rejected.line - 1].event_id if 1 <= rejected.line <= len(batch) else None
            report.first_rejections.append(
                Rejection(batch_number, rejected.line, event_id, rejected.code, rejected.message)
            )
        report.elapsed_s = time.perf_counter() - self._started
        if self._on_batch is not None:
            self._on_batch(report)

    async def _post_with_retries(self, body: bytes) -> _IngestAnswer:
        url, options = self._target.events_url, self._options
        attempt = 0
        while True:
            retry_after: float | None = None
            try:
                response = await self._client.post(url, content=body, headers=self._headers)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200:
                    try:
                        return _answer_decoder.decode(response.content)
                    except msgspec.MsgspecError as exc:
                        raise PostError(f"unexpected answer from {url}: {exc}", response.status_code) from exc
                problem = f"HTTP {response.status_code}: {response.text[:300]}"
                if response.status_code not in _RETRYABLE_STATUSES:
                    raise PostError(problem, response.status_code)
                retry_after = _seconds(response.headers.get("Retry-After"))
            if attempt == options.max_retries:
                raise PostError(f"batch failed after {attempt + 1} attempts; last: {problem}")
            self.report.retries += 1
            backoff = min(options.retry_backoff_s * 2**attempt, _MAX_BACKOFF_S)
            await asyncio.sleep(retry_after if retry_after is not None else backoff)
            attempt += 1


def _seconds(header: str | None) -> float | None:
    """A Retry-After given in seconds (the HTTP-date form is ignored: the backoff applies)."""
    try:
        return min(float(header), _MAX_BACKOFF_S) if header else None
    except ValueError:
        return None
