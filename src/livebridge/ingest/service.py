"""The one ingest path every source uses: decode per line, keep the valid, count the duplicates.

Valid events of a batch are stored even when other lines are rejected; each rejected line is
reported with its number, a code and a message. The batch commits as one transaction, so a crash
leaves all of it or none, and retrying the same batch gives the same final state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any, Final

import msgspec
from msgspec.structs import astuple
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.audit import service as audit_service
from livebridge.authz import Subject
from livebridge.exceptions import PayloadTooLarge
from livebridge.ingest.repository import EVENT_COLUMNS, EventRepository, EventRow, time_encoder
from livebridge.ingest.schemas import EVENT_CLASSES, LiveEvent, decode_event
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
VIEWER_KEY, SKU_CODE = EVENT_COLUMNS.index("viewer_key"), EVENT_COLUMNS.index("sku_code")
LINK_NUMBER: Final = EVENT_COLUMNS.index("link_number")


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


class RowBuilder:
    """Turns events into ``live_events`` rows as the engine's bulk path takes them (tuples in
    ``EVENT_COLUMNS`` order, times encoded for the engine) for one batch.

    Per event type, one C-level ``itemgetter`` picks the row's values out of the event's fields
    followed by the batch's constants and the encoded time: no per-field Python on the hot path.
    """

    def __init__(self, tenant_id: int, session_id: int, received_at: datetime, engine: str) -> None:
        self.tenant_id = tenant_id
        self._encode_time = time_encoder(engine)
        self._picks: dict[type[LiveEvent], tuple[Callable[[tuple[Any, ...]], EventRow], tuple[Any, ...]]] = {}
        received = self._encode_time(received_at)
        for tag, cls in EVENT_CLASSES.items():
            fields = list(cls.__struct_fields__)
            # Appended to the event's own values: a None, the batch's constants, then the encoded time.
            constants = {"tenant_id": tenant_id, "session_id": session_id, "type": tag, "received_at": received}
            position = {name: index for index, name in enumerate(fields)}
            position.update({name: len(fields) + 1 + index for index, name in enumerate(constants)})
            position["occurred_at"] = len(fields) + 1 + len(constants)
            position["viewer_key"] = position["viewer_id"]
            if "value_fen" in position:  # a gift's value is its amount
                position["amount_fen"] = position["value_fen"]
            picks = [position.get(column, len(fields)) for column in EVENT_COLUMNS]  # len(fields): the None
            self._picks[cls] = (itemgetter(*picks), (None, *constants.values()))

    def row(self, event: LiveEvent) -> EventRow:
        pick, tail = self._picks[type(event)]
        row = pick((*astuple(event), *tail, self._encode_time(event.occurred_at)))
        viewer = row[VIEWER_KEY]
        if viewer is not None and (opaque := opaque_viewer(self.tenant_id, viewer)) is not viewer:
            row = (*row[:VIEWER_KEY], opaque, *row[VIEWER_KEY + 1 :])
        return row


@dataclass
class PreparedBatch:
    """A batch decoded and counted, ready to store: work done before the write transaction begins."""

    received: int
    events: int
    rejected: list[RejectedLine]
    rows: list[EventRow]  # one per distinct (source, event_id), in input order, ready for the engine
    moments: list[datetime]  # each row's occurred_at, aware
    increments: stats_service.RollupIncrements


def rollup_increments(rows: Sequence[EventRow], moments: Sequence[datetime]) -> stats_service.RollupIncrements:
    """What these rows add to the session's rollups, from their columns."""
    if not rows:
        return stats_service.rollup_increments(stats_service.EventColumns((), (), (), (), (), (), ()))
    column = dict(zip(EVENT_COLUMNS, zip(*rows, strict=True), strict=True))
    return stats_service.rollup_increments(
        stats_service.EventColumns(
            kinds=column["type"],
            seconds=[int(moment.timestamp()) for moment in moments],
            counts=column["count"],
            amounts=column["amount_fen"],
            quantities=column["quantity"],
            sku_codes=column["sku_code"],
            link_numbers=column["link_number"],
        )
    )


def prepare_batch(tenant_id: int, session_id: int, lines: list[tuple[int, bytes]], engine: str) -> PreparedBatch:
    """Decode, validate and count a batch for the engine (``sqlite``, ``postgresql``) without the
    database, so no lock is held meanwhile."""
    if len(lines) > MAX_BATCH_EVENTS:
        raise PayloadTooLarge(f"at most {MAX_BATCH_EVENTS} events per batch, got {len(lines)}", code="batch_too_large")
    now = utcnow()
    events, rejected = decode_lines(lines, now)
    decoded = len(events)
    if len({(event.source, event.event_id) for event in events}) < decoded:
        # The same event twice in one batch: the first one wins, the rest are duplicates.
        events = list({(event.source, event.event_id): event for event in reversed(events)}.values())[::-1]
    builder = RowBuilder(tenant_id, session_id, now, engine)
    rows = [builder.row(event) for event in events]
    moments = [event.occurred_at for event in events]
    return PreparedBatch(len(lines), decoded, rejected, rows, moments, rollup_increments(rows, moments))


async def store_batch(session: AsyncSession, subject: Subject, session_id: int, batch: PreparedBatch) -> IngestResult:
    """Store a prepared batch and its rollups in the caller's (write) transaction."""
    await live_service.access_session_for_ingest(session, subject, session_id)
    tenant_id = subject.require_tenant()
    stored = await EventRepository(session).insert_new(batch.rows)
    rows, moments, increments = batch.rows, batch.moments, batch.increments
    if len(stored) < len(rows):  # a retry: count only what is new
        rows, moments = [rows[index] for index in stored], [moments[index] for index in stored]
        increments = rollup_increments(rows, moments)
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
    """Prepare and store a batch in one go (imports and the stream, which already batch their writes)."""
    connection = await session.connection()
    batch = prepare_batch(subject.require_tenant(), session_id, lines, connection.dialect.name)
    return await store_batch(session, subject, session_id, batch)
