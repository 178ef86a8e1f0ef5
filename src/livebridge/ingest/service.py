"""The one ingest path every source uses: decode per line, keep the valid, count the duplicates.

Valid events of a batch are stored even when other lines are rejected; each rejected line is
reported with its number, a code and a message. The batch commits as one transaction, so a crash
leaves all of it or none, and retrying the same batch gives the same final state.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.audit import service as audit_service
from livebridge.authz import Subject
from livebridge.exceptions import PayloadTooLarge
from livebridge.ingest.repository import EventRepository
from livebridge.ingest.schemas import LiveEvent, decode_event
from livebridge.kit.ids import sha256_hex
from livebridge.kit.time import utcnow
from livebridge.live import service as live_service
from livebridge.stats import service as stats_service

MAX_BATCH_EVENTS: Final = 5_000
EXPLAIN_TYPES: Final = frozenset({"product_explain_start", "product_explain_end"})
MAX_FUTURE_SKEW: Final = timedelta(minutes=5)
# Phone numbers, e-mail addresses and ID-card numbers are personal data: kept only as a hash.
PERSONAL_DATA: Final = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$|@|^\d{17}[\dXx]$")


@dataclass(frozen=True)
class RejectedLine:
    line: int
    code: str
    message: str


@dataclass
class IngestResult:
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: list[RejectedLine] = field(default_factory=list)

    def add(self, other: IngestResult) -> None:
        """Fold another batch's counts into this running total."""
        self.received += other.received
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected.extend(other.rejected)


def opaque_viewer(tenant_id: int, viewer_id: str | None) -> str | None:
    if viewer_id is None or not PERSONAL_DATA.search(viewer_id):
        return viewer_id
    return "h:" + sha256_hex(f"{tenant_id}:{viewer_id}")[:32]


def _error_code(exc: msgspec.MsgspecError) -> str:
    message = str(exc)
    if not isinstance(exc, msgspec.ValidationError):  # a ValidationError is also a DecodeError
        return "malformed_json"
    if "`$.type`" in message or "missing required field `type`" in message:
        return "unknown_type"
    if message.startswith("Object missing required field"):
        return "missing_field"
    return "invalid_field"


def event_row(event: LiveEvent, tenant_id: int, session_id: int, received_at: datetime) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "session_id": session_id,
        "source": event.source,
        "event_id": event.event_id,
        "type": type(event).__struct_config__.tag,
        "occurred_at": event.occurred_at,
        "received_at": received_at,
        "viewer_key": opaque_viewer(tenant_id, event.viewer_id),
        "text": getattr(event, "text", None),
        "sku_code": getattr(event, "sku_code", None),
        "link_number": getattr(event, "link_number", None),
        "order_id": getattr(event, "order_id", None),
        "quantity": getattr(event, "quantity", None),
        "amount_fen": getattr(event, "amount_fen", None) or getattr(event, "value_fen", None),
        "count": getattr(event, "count", None),
        "gift_name": getattr(event, "gift_name", None),
        "is_simulated": event.is_simulated,
    }


def without_nul(event: LiveEvent) -> LiveEvent:
    """The event with NUL characters taken out of its texts: PostgreSQL text cannot hold them, and a
    comment of binary garbage is still a comment, kept as close to what was received as possible."""
    changes = {
        name: value.replace("\x00", "")
        for name in event.__struct_fields__
        if isinstance(value := getattr(event, name), str) and "\x00" in value
    }
    return msgspec.structs.replace(event, **changes)


def decode_lines(lines: Iterable[tuple[int, bytes]], now: datetime) -> tuple[list[LiveEvent], list[RejectedLine]]:
    """(line number, raw JSON) pairs → valid events and rejected lines, in input order."""
    events: list[LiveEvent] = []
    rejected: list[RejectedLine] = []
    latest_allowed = now + MAX_FUTURE_SKEW
    for number, raw in lines:
        try:
            event = decode_event(raw)
        except msgspec.MsgspecError as exc:
            rejected.append(RejectedLine(number, _error_code(exc), str(exc)))
            continue
        if b"\\u0000" in raw:
            event = without_nul(event)
        if event.occurred_at > latest_allowed:
            rejected.append(
                RejectedLine(
                    number, "future_timestamp", f"occurred_at {event.occurred_at.isoformat()} is in the future"
                )
            )
            continue
        events.append(event)
    return events, rejected


@dataclass
class PreparedBatch:
    """A batch decoded and counted, ready to store: work done before the write transaction begins."""

    received: int
    events: int
    rejected: list[RejectedLine]
    rows: list[dict[str, Any]]
    increments: stats_service.RollupIncrements


def prepare_batch(tenant_id: int, session_id: int, lines: list[tuple[int, bytes]]) -> PreparedBatch:
    """Decode, validate and count a batch without the database, so no lock is held meanwhile."""
    if len(lines) > MAX_BATCH_EVENTS:
        raise PayloadTooLarge(f"at most {MAX_BATCH_EVENTS} events per batch, got {len(lines)}", code="batch_too_large")
    now = utcnow()
    events, rejected = decode_lines(lines, now)
    # A batch may carry the same event twice; the first one wins, the rest are duplicates.
    unique: dict[tuple[str, str], LiveEvent] = {}
    for event in events:
        unique.setdefault((event.source, event.event_id), event)
    rows = [event_row(e, tenant_id, session_id, now) for e in unique.values()]
    return PreparedBatch(len(lines), len(events), rejected, rows, stats_service.rollup_increments(rows))


async def store_batch(session: AsyncSession, subject: Subject, session_id: int, batch: PreparedBatch) -> IngestResult:
    """Store a prepared batch and its rollups in the caller's (write) transaction."""
    live_session = await live_service.access_session_for_ingest(session, subject, session_id)
    rows = batch.rows
    stored = await EventRepository(session).insert_new(rows)
    increments = batch.increments
    new_rows = rows
    if len(stored) < len(rows):  # a retry: count only what is new
        new_rows = [row for row in rows if (row["source"], row["event_id"]) in stored]
        increments = stats_service.rollup_increments(new_rows)
    await stats_service.record_increments(session, live_session.tenant_id, live_session.id, increments)
    await audit_service.record_live_orders(session, live_session.tenant_id, new_rows)
    marks = [
        (row["occurred_at"], row["type"] == "product_explain_start", row["sku_code"], row["link_number"])
        for row in rows
        if row["type"] in EXPLAIN_TYPES and (row["source"], row["event_id"]) in stored
    ]
    if marks:
        await live_service.do_record_explanations(session, subject, live_session.id, marks)
    return IngestResult(
        received=batch.received, accepted=len(stored), duplicates=batch.events - len(stored), rejected=batch.rejected
    )


async def do_ingest(
    session: AsyncSession, subject: Subject, session_id: int, lines: list[tuple[int, bytes]]
) -> IngestResult:
    """Prepare and store a batch in one go (imports and the stream, which already batch their writes)."""
    return await store_batch(session, subject, session_id, prepare_batch(subject.require_tenant(), session_id, lines))
