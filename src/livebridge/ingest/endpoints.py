"""HTTP ingestion: ``POST /api/v1/sessions/{id}/events`` with NDJSON or a JSON array, gzip accepted."""

from __future__ import annotations

import asyncio
import zlib
from typing import Final

from fastapi import APIRouter, BackgroundTasks, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel

from livebridge.auth.service import access_api_key_subject, record_api_key_use
from livebridge.db import Database
from livebridge.exceptions import AppError, BadRequest, NotAuthenticated, PayloadTooLarge
from livebridge.ingest import service
from livebridge.insight.tasks import request_understanding
from livebridge.live import service as live_service
from livebridge.realtime.broadcaster import Broadcaster, session_channel
from livebridge.web.deps import bearer_token, recent_api_subject, resolve_api_subject

router = APIRouter(tags=["ingest"])
MAX_BODY_BYTES: Final = 16 * 1024 * 1024  # after decompression


class RejectedLineRead(BaseModel):
    line: int
    code: str
    message: str


class IngestResultRead(BaseModel):
    received: int
    accepted: int
    duplicates: int
    rejected: list[RejectedLineRead]


async def read_body(request: Request) -> bytes:
    """The request body, gunzipped when sent with Content-Encoding: gzip, never above the limit."""
    gzipped = request.headers.get("content-encoding", "").lower() == "gzip"
    inflater = zlib.decompressobj(wbits=31) if gzipped else None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        if inflater is not None:
            try:
                chunk = inflater.decompress(chunk, MAX_BODY_BYTES + 1 - size)
            except zlib.error as exc:
                raise BadRequest("the body is not valid gzip", code="invalid_gzip") from exc
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes", code="body_too_large")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/sessions/{session_id}/events",
    response_model=IngestResultRead,
    summary="Push live events (NDJSON or a JSON array; gzip accepted)",
    description=(
        f"At most {service.MAX_BATCH_EVENTS} events and {MAX_BODY_BYTES // (1024 * 1024)} MiB (uncompressed) per "
        "request. Valid events are stored even when other lines are rejected; duplicates "
        "(same source and event_id) are counted, never stored twice. See docs/events.md."
    ),
)
async def push_events(session_id: int, request: Request, background: BackgroundTasks) -> IngestResultRead:
    # Three steps, so that the write transaction (on SQLite, the database's one write lock) lasts only
    # as long as the writes: who is calling and whether the session is theirs (a read, skipped when
    # this process has checked both moments ago), then reading and decoding the body (no database),
    # then storing. The caller is known before a byte of the body is read.
    database: Database = request.app.state.db
    subject = recent_api_subject(request)
    if subject is None or not live_service.known_ingest_target(subject, session_id):
        async with database.transaction(write=False) as session:
            subject = await resolve_api_subject(request, session, may_write=False)
            await live_service.access_session_for_ingest(session, subject, session_id)
    body = await read_body(request)
    is_array = request.headers.get("content-type", "").startswith("application/json") or body.lstrip()[:1] == b"["
    batch = service.prepare_body(subject.require_tenant(), session_id, body, is_array, database.engine.dialect.name)
    async with database.transaction() as session:
        result = await service.store_batch(session, subject, session_id, batch)
        await record_api_key_use(session, subject)
    if result.accepted:
        # Background tasks run after the response; the transaction has committed: dashboards never see a rollback.
        broadcaster: Broadcaster = request.app.state.broadcaster
        channel = session_channel(subject.require_tenant(), session_id)
        background.add_task(broadcaster.publish, channel, str(result.accepted))
        background.add_task(request_understanding, session_id)
    return IngestResultRead(
        received=result.received,
        accepted=result.accepted,
        duplicates=result.duplicates,
        rejected=[RejectedLineRead(line=r.line, code=r.code, message=r.message) for r in result.rejected],
    )


FLUSH_EVENTS: Final = 1_000
FLUSH_SECONDS: Final = 0.2


@router.websocket("/sessions/{session_id}/events/stream")
async def stream_events(websocket: WebSocket, session_id: int) -> None:
    """A continuous stream: send NDJSON lines in text frames; every 1,000 events or 0.2 s the server
    stores what it has in one transaction and answers with one acknowledgement for the whole batch:
    ``{"through": n, "accepted": …, "duplicates": …, "rejected": [{"line": k, …}]}`` where lines are
    counted from 1 over the connection. Authenticate with ``Authorization: Bearer <key>`` or
    ``?api_key=``; a bad key or session closes the socket with code 1008 and the reason."""
    database: Database = websocket.app.state.db
    broadcaster: Broadcaster = websocket.app.state.broadcaster
    key = bearer_token(websocket.headers.get("authorization")) or websocket.query_params.get("api_key")
    await websocket.accept()
    try:
        async with database.transaction(write=False) as session:
            if key is None:
                raise NotAuthenticated("an API key is needed", code="invalid_api_key")
            subject = await access_api_key_subject(session, key, may_write=False)
            await live_service.access_session_for_ingest(session, subject, session_id)
    except AppError as exc:
        await websocket.close(code=1008, reason=f"{exc.code}: {exc.message}"[:120])
        return
    channel = session_channel(subject.require_tenant(), session_id)
    pending: list[tuple[int, bytes]] = []
    received = 0
    receive: asyncio.Task[str] | None = None
    try:
        while True:
            receive = receive or asyncio.ensure_future(websocket.receive_text())
            done, _ = await asyncio.wait({receive}, timeout=FLUSH_SECONDS)
            if done:
                for line in receive.result().encode().split(b"\n"):
                    if line.strip():
                        received += 1
                        pending.append((received, line))
                receive = None
            if pending and (not done or len(pending) >= FLUSH_EVENTS):
                batch, pending = pending[: service.MAX_BATCH_EVENTS], pending[service.MAX_BATCH_EVENTS :]
                async with database.transaction() as session:
                    result = await service.do_ingest(session, subject, session_id, batch)
                if result.accepted:
                    await broadcaster.publish(channel, str(result.accepted))
                    await asyncio.to_thread(request_understanding, session_id)
                await websocket.send_json(
                    {
                        "through": batch[-1][0],
                        "accepted": result.accepted,
                        "duplicates": result.duplicates,
                        "rejected": [{"line": r.line, "code": r.code, "message": r.message} for r in result.rejected],
                    }
                )
    except WebSocketDisconnect:
        pass
    finally:
        if receive is not None:
            receive.cancel()
