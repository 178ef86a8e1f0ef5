"""The one ingest path every source uses: decode, keep the valid, count the duplicates.

Valid events of a batch are stored even when other lines are rejected; each rejected line is
reported with its number, a code and a message. The batch commits as one transaction, so a crash
leaves all of it or none, and retrying the same batch gives the same final state.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Final

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.audit import service as audit_service
from livebridge.authz import Subject
from livebridge.exceptions import BadRequest, PayloadTooLarge
from livebridge.ingest.repository import EVENT_COLUMNS, EventRepository, EventRow, RowBuilder
from livebridge.ingest.schemas import LiveEvent, decode_clean_body, decode_event
from livebridge.kit.ids import sha256_hex
from livebridge.kit.time import utcnow
from livebridge.live import service as live_service
from livebridge.stats import service as stats_service

MAX_BATCH_EVENTS: Final = 5_000
EXPLAIN_TYPES: Final = frozenset({"product_explain_start", "product_explain_end"})
MAX_FUTURE_SKEW: Final = timedelta(minutes=5)
# Phone numbers and ID-card numbers (and e-mail addresses, see opaque_viewer) are personal data:
# kept only as a hash.
PERSONAL_NUMBER: Final = re.compile(r"(?:\+?86)?1[3-9]\d{9}$|\d{17}[\dXx]$")
ORDER_TYPES: Final = frozenset({"order_created", "order_paid", "order_refunded"})
TYPE: Final = EVENT_COLUMNS.index("type")
SKU_CODE, LINK_NUMBER = EVENT_COLUMNS.index("sku_code"), EVENT_COLUMNS.index("link_number")
COUNT, AMOUNT_FEN = EVENT_COLUMNS.index("count"), EVENT_COLUMNS.index("amount_fen")
QUANTITY: Final = EVENT_COLUMNS.index("quantity")


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


def opaque_viewer(tenant_id: int, viewer_id: str) -> str:
    """The viewer id as stored: personal data (a phone number, e-mail address or ID-card number) only as a hash."""
    if "@" not in viewer_id and PERSONAL_NUMBER.match(viewer_id) is None:
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
    rows: list[EventRow]  # one per distinct (source, event_id), in input order, ready for the engine
    moments: list[datetime]  # each row's occurred_at, aware
    seconds: list[int]  # each row's UTC epoch second
    increments: stats_service.RollupIncrements


def rollup_increments(rows: Sequence[EventRow], seconds: Sequence[int]) -> stats_service.RollupIncrements:
    """What these rows add to the session's rollups."""
    return stats_service.rollup_increments(
        stats_service.EventColumns(
            kinds=[row[TYPE] for row in rows],
            seconds=seconds,
            counts=[row[COUNT] for row in rows],
            amounts=[row[AMOUNT_FEN] for row in rows],
            quantities=[row[QUANTITY] for row in rows],
            sku_codes=[row[SKU_CODE] for row in rows],
            link_numbers=[row[LINK_NUMBER] for row in rows],
        )
    )


def _check_batch_size(count: int) -> None:
    if count > MAX_BATCH_EVENTS:
        raise PayloadTooLarge(f"at most {MAX_BATCH_EVENTS} events per batch, got {count}", code="batch_too_large")


def _prepared(
    tenant_id: int,
    session_id: int,
    engine: str,
    now: datetime,
    received: int,
    events: list[LiveEvent],
    rejected: list[RejectedLine],
) -> PreparedBatch:
    decoded = len(events)
    _check_batch_size(decoded)
    if len({(event.source, event.event_id) for event in events}) < decoded:
        # The same event twice in one batch: the first one wins, the rest are duplicates.
        events = list({(event.source, event.event_id): event for event in reversed(events)}.values())[::-1]
    builder = RowBuilder(tenant_id, session_id, now, engine, partial(opaque_viewer, tenant_id))
    rows, seconds = builder.rows(events)
    moments = [event.occurred_at for event in events]
    return PreparedBatch(received, decoded, rejected, rows, moments, seconds, rollup_increments(rows, seconds))


def prepare_batch(tenant_id: int, session_id: int, lines: list[tuple[int, bytes]], engine: str) -> PreparedBatch:
    """Decode, validate and count a batch of (line number, JSON) for the engine (``sqlite``,
    ``postgresql``) without the database, so no lock is held meanwhile."""
    _check_batch_size(len(lines))
    now = utcnow()
    events, rejected = decode_lines(lines, now)
    return _prepared(tenant_id, session_id, engine, now, len(lines), events, rejected)


def prepare_body(tenant_id: int, session_id: int, body: bytes, is_array: bool, engine: str) -> PreparedBatch:
    """``prepare_batch`` for a request body: NDJSON, or a JSON array when ``is_array``.

    A clean body (every line one valid event) is decoded in one call; any doubt — a line msgspec
    refuses, a blank or split line, a NUL, a time without zone or in the future — sends the whole
    body through the line-by-line path, which says what is wrong with each line.
    """
    now = utcnow()
    events = decode_clean_body(body, is_array)
    if events is not None and _all_acceptable(events, body, now):
        return _prepared(tenant_id, session_id, engine, now, len(events), events, [])
    return prepare_batch(tenant_id, session_id, split_lines(body, is_array), engine)


def _all_acceptable(events: list[LiveEvent], body: bytes, now: datetime) -> bool:
    latest_allowed = now + MAX_FUTURE_SKEW
    return b"\\u0000" not in body and all(
        event.occurred_at.tzinfo is not None and event.occurred_at <= latest_allowed for event in events
    )


def split_lines(body: bytes, is_array: bool) -> list[tuple[int, bytes]]:
    """NDJSON lines (blank ones skipped, numbering kept) or the items of a JSON array, numbered from 1."""
    if is_array:
        try:
            items = msgspec.json.decode(body, type=list[msgspec.Raw])
        except msgspec.MsgspecError as exc:
            raise BadRequest(f"the body is not a JSON array: {exc}", code="malformed_json") from exc
        return [(number, bytes(item)) for number, item in enumerate(items, start=1)]
    return [(number, line) for number, line in enumerate(body.split(b"\n"), start=1) if line.strip()]


async def store_batch(session: AsyncSession, subject: Subject, session_id: int, batch: PreparedBatch) -> IngestResult:
    """Store a prepared batch and its rollups in the caller's (write) transaction. The caller has
    checked ``access_session_for_ingest`` (a session never changes tenant, so a read transaction
    before this one may have done it: the write transaction then holds only the writes)."""
    tenant_id = subject.require_tenant()
    stored = await EventRepository(session).insert_new(batch.rows)
    rows, moments, increments = batch.rows, batch.moments, batch.increments
    if len(stored) < len(rows):  # a retry: count only what is new
        rows, moments = [rows[index] for index in stored], [moments[index] for index in stored]
        increments = rollup_increments(rows, [batch.seconds[index] for index in stored])
    await stats_service.record_increments(session, tenant_id, session_id, increments)
    orders, marks = [], []
    for row, moment in zip(rows, moments, strict=True):
        if row[TYPE] in ORDER_TYPES:
            orders.append({**dict(zip(EVENT_COLUMNS, row, strict=True)), "occurred_at": moment})
        elif row[TYPE] in EXPLAIN_TYPES:
            marks.append((moment, row[TYPE] == "product_explain_start", row[SKU_CODE], row[LINK_NUMBER]))
    await audit_service.record_live_orders(session, tenant_id, orders)
    if marks:
        await live_service.do_record_explanations(session, subject, session_id, marks)
    return IngestResult(
        received=batch.received, accepted=len(stored), duplicates=batch.events - len(stored), rejected=batch.rejected
    )


async def do_ingest(
    session: AsyncSession, subject: Subject, session_id: int, lines: list[tuple[int, bytes]]
) -> IngestResult:
    """Check, prepare and store a batch in one go (imports and the stream, which already batch their writes)."""
    await live_service.access_session_for_ingest(session, subject, session_id)
    connection = await session.connection()
    batch = prepare_batch(subject.require_tenant(), session_id, lines, connection.dialect.name)
    return await store_batch(session, subject, session_id, batch)
