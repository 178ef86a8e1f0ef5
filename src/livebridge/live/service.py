"""Live sessions: hosts, scheduling, the scheduled → live → ended lifecycle, shelf and segments."""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Permission, Subject
from livebridge.catalog import service as catalog_service
from livebridge.exceptions import Conflict, InvalidInput, NotFound
from livebridge.kit.pagination import Page, PageParams
from livebridge.kit.time import utcnow
from livebridge.live.repository import HostRepository, LiveSessionRepository
from livebridge.live.schemas import (
    HostCreate,
    HostUpdate,
    SegmentCreate,
    SegmentRead,
    SessionCreate,
    SessionHostRead,
    SessionRead,
    SessionUpdate,
    ShelfItemCreate,
    ShelfItemRead,
)
from livebridge.models import (
    ExplanationSegment,
    Host,
    HostRole,
    LiveSession,
    Platform,
    SessionHost,
    SessionStatus,
    ShelfItem,
)
from livebridge.tenancy import service as tenancy_service

# Which lifecycle moves are allowed, and which timestamp each one sets.
TRANSITIONS: dict[SessionStatus, SessionStatus] = {
    SessionStatus.SCHEDULED: SessionStatus.LIVE,
    SessionStatus.LIVE: SessionStatus.ENDED,
}


# Hosts -----------------------------------------------------------------------------------------


async def list_hosts(
    session: AsyncSession, subject: Subject, params: PageParams, query: str | None = None
) -> Page[Host]:
    subject.check(Permission.READ)
    items, total = await HostRepository(session).page(subject, params, query=query)
    return Page.build(items, total, params)


async def access_host(session: AsyncSession, subject: Subject, host_id: int) -> Host:
    subject.check(Permission.READ)
    host = await HostRepository(session).get(subject, host_id)
    if host is None:
        raise NotFound("no such host", code="host_not_found")
    return host


async def do_create_host(
    session: AsyncSession, subject: Subject, payload: HostCreate, *, is_simulated: bool = False
) -> Host:
    subject.check(Permission.MANAGE_LIVE)
    repository = HostRepository(session)
    if await repository.get_by_name(subject, payload.name) is not None:
        raise Conflict(f"a host named '{payload.name}' exists already", code="name_taken", field="name")
    if payload.organization_id is not None:
        await tenancy_service.access_organization(session, subject, payload.organization_id)
    return await repository.add(
        Host(tenant_id=subject.require_tenant(), is_simulated=is_simulated, **payload.model_dump())
    )


async def do_update_host(session: AsyncSession, subject: Subject, host_id: int, payload: HostUpdate) -> Host:
    subject.check(Permission.MANAGE_LIVE)
    host = await access_host(session, subject, host_id)
    changes = payload.model_dump(exclude_unset=True)
    new_name = changes.get("name")
    if new_name and new_name != host.name and await HostRepository(session).get_by_name(subject, new_name):
        raise Conflict(f"a host named '{new_name}' exists already", code="name_taken", field="name")
    for key, value in changes.items():
        if value is None and key in ("name", "platform", "categories"):
            raise InvalidInput(f"{key} cannot be empty", code="required", field=key)
        setattr(host, key, value)
    await session.flush()
    return host


# Sessions --------------------------------------------------------------------------------------


def session_read(live_session: LiveSession) -> SessionRead:
    return SessionRead(
        id=live_session.id,
        title=live_session.title,
        platform=live_session.platform,
        platform_room_id=live_session.platform_room_id,
        status=live_session.status,
        organization_id=live_session.organization_id,
        scheduled_start_at=live_session.scheduled_start_at,
        started_at=live_session.started_at,
        ended_at=live_session.ended_at,
        is_simulated=live_session.is_simulated,
        hosts=[SessionHostRead(host_id=h.host_id, name=h.host.name, role=h.role) for h in live_session.hosts],
        shelf=[
            ShelfItemRead(
                id=item.id,
                product_id=item.product_id,
                product_name=item.product.name,
                link_number=item.link_number,
                live_price_fen=item.live_price_fen,
            )
            for item in live_session.shelf
        ],
        segments=[
            SegmentRead(
                id=seg.id,
                product_id=seg.product_id,
                product_name=seg.product.name,
                started_at=seg.started_at,
                ended_at=seg.ended_at,
            )
            for seg in live_session.segments
        ],
    )


async def list_sessions(
    session: AsyncSession,
    subject: Subject,
    params: PageParams,
    *,
    status: SessionStatus | None = None,
    platform: Platform | None = None,
    host_id: int | None = None,
) -> Page[LiveSession]:
    subject.check(Permission.READ)
    items, total = await LiveSessionRepository(session).page(
        subject, params, status=status, platform=platform, host_id=host_id
    )
    return Page.build(items, total, params)


async def count_sessions_by_status(session: AsyncSession, subject: Subject) -> dict[SessionStatus, int]:
    subject.check(Permission.READ)
    return await LiveSessionRepository(session).count_by_status(subject)


async def count_sessions_by_platform(session: AsyncSession, subject: Subject) -> dict[Platform, int]:
    subject.check(Permission.READ)
    return await LiveSessionRepository(session).count_by_platform(subject)


async def access_session(session: AsyncSession, subject: Subject, session_id: int) -> LiveSession:
    subject.check(Permission.READ)
    live_session = await LiveSessionRepository(session).get(subject, session_id)
    if live_session is None:
        raise NotFound("no such live session", code="session_not_found")
    return live_session


PREVIOUS_SESSIONS = 5


async def previous_sessions(
    session: AsyncSession, subject: Subject, live_session: LiveSession, *, of: Literal["host", "shop"]
) -> list[int]:
    """Ids of the last ended sessions before this one, of its main hosts or of its shop (organization)."""
    subject.check(Permission.READ)
    before = live_session.started_at or live_session.scheduled_start_at
    repository = LiveSessionRepository(session)
    if of == "host":
        main_hosts = [h.host_id for h in live_session.hosts if h.role == HostRole.MAIN]
        if not main_hosts:
            return []
        return await repository.previous_ended_ids(
            subject, before, host_ids=main_hosts, organization_id=None, limit=PREVIOUS_SESSIONS
        )
    return await repository.previous_ended_ids(
        subject, before, host_ids=None, organization_id=live_session.organization_id, limit=PREVIOUS_SESSIONS
    )


# (tenant, session) pairs this process has seen exist: a session is never deleted nor moved to another
# tenant, so ingest asks the database once per session, not once per batch.
_known_ingest_targets: set[tuple[int, int]] = set()
KNOWN_INGEST_TARGETS_MAX: Final = 100_000


def known_ingest_target(subject: Subject, session_id: int) -> bool:
    """Whether the subject may push to this session, as far as this process already knows (no database)."""
    subject.check(Permission.INGEST_EVENTS)
    return (subject.require_tenant(), session_id) in _known_ingest_targets


async def access_session_for_ingest(session: AsyncSession, subject: Subject, session_id: int) -> None:
    """Check that events may be pushed to this session; ingest keys may push but not read the catalog."""
    subject.check(Permission.INGEST_EVENTS)
    if not await LiveSessionRepository(session).exists(subject, session_id):
        raise NotFound("no such live session", code="session_not_found")
    if len(_known_ingest_targets) >= KNOWN_INGEST_TARGETS_MAX:
        _known_ingest_targets.clear()
    _known_ingest_targets.add((subject.require_tenant(), session_id))


async def find_session_by_room(
    session: AsyncSession, subject: Subject, platform: Platform, room_id: str
) -> LiveSession | None:
    subject.check(Permission.READ)
    return await LiveSessionRepository(session).get_by_platform_room(subject, platform, room_id)


async def do_create_session(
    session: AsyncSession, subject: Subject, payload: SessionCreate, *, is_simulated: bool = False
) -> LiveSession:
    subject.check(Permission.MANAGE_LIVE)
    if len(set(payload.host_ids)) != len(payload.host_ids):
        raise InvalidInput("a host is listed twice", code="duplicate_host", field="host_ids")
    hosts = await HostRepository(session).get_many(subject, payload.host_ids)
    if len(hosts) != len(payload.host_ids):
        raise InvalidInput("unknown host id", code="host_not_found", field="host_ids")
    if payload.organization_id is not None:
        await tenancy_service.access_organization(session, subject, payload.organization_id)
    tenant_id = subject.require_tenant()
    live_session = LiveSession(
        tenant_id=tenant_id,
        title=payload.title,
        platform=payload.platform,
        platform_room_id=payload.platform_room_id,
        scheduled_start_at=payload.scheduled_start_at,
        organization_id=payload.organization_id,
        is_simulated=is_simulated,
        hosts=[
            SessionHost(tenant_id=tenant_id, host_id=host_id, role=HostRole.MAIN if index == 0 else HostRole.CO_HOST)
            for index, host_id in enumerate(payload.host_ids)
        ],
    )
    await LiveSessionRepository(session).add(live_session)
    return await _reload(session, subject, live_session.id)


async def _reload(session: AsyncSession, subject: Subject, session_id: int) -> LiveSession:
    """Read the session again with its collections refreshed after a change."""
    live_session = await LiveSessionRepository(session).get(subject, session_id, refresh=True)
    if live_session is None:
        raise NotFound("no such live session", code="session_not_found")
    return live_session


async def do_update_session(
    session: AsyncSession, subject: Subject, session_id: int, payload: SessionUpdate
) -> LiveSession:
    subject.check(Permission.MANAGE_LIVE)
    live_session = await access_session(session, subject, session_id)
    changes = payload.model_dump(exclude_unset=True)
    for key, value in changes.items():
        if value is None and key != "platform_room_id":
            raise InvalidInput(f"{key} cannot be empty", code="required", field=key)
        setattr(live_session, key, value)
    await session.flush()
    return await _reload(session, subject, session_id)


async def do_transition_session(
    session: AsyncSession, subject: Subject, session_id: int, target: SessionStatus, at: datetime | None = None
) -> LiveSession:
    """scheduled → live (sets started_at) → ended (sets ended_at); nothing else."""
    subject.check(Permission.MANAGE_LIVE)
    live_session = await access_session(session, subject, session_id)
    if TRANSITIONS.get(live_session.status) != target:
        raise Conflict(
            f"a {live_session.status} session cannot become {target}",
            code="invalid_transition",
            details={"from": live_session.status, "to": target},
        )
    moment = at or utcnow()
    if target == SessionStatus.LIVE:
        live_session.started_at = moment
    else:
        if live_session.started_at is not None and moment <= live_session.started_at:
            raise InvalidInput("the end must come after the start", code="ends_before_start", field="at")
        live_session.ended_at = moment
        for segment in live_session.segments:
            if segment.ended_at is None:
                segment.ended_at = max(moment, segment.started_at)
    live_session.status = target
    await session.flush()
    return await _reload(session, subject, session_id)


# Shelf and explanation segments ----------------------------------------------------------------


async def do_add_to_shelf(
    session: AsyncSession, subject: Subject, session_id: int, payload: ShelfItemCreate
) -> LiveSession:
    subject.check(Permission.MANAGE_LIVE)
    live_session = await access_session(session, subject, session_id)
    product = await catalog_service.access_product(session, subject, payload.product_id)
    if any(item.product_id == product.id for item in live_session.shelf):
        raise Conflict("this product is on the shelf already", code="product_on_shelf", field="product_id")
    used = {item.link_number for item in live_session.shelf}
    link_number = payload.link_number or next(n for n in range(1, len(used) + 2) if n not in used)
    if link_number in used:
        raise Conflict(f"link number {link_number} is used already", code="link_number_taken", field="link_number")
    live_session.shelf.append(
        ShelfItem(
            tenant_id=live_session.tenant_id,
            product_id=product.id,
            link_number=link_number,
            live_price_fen=payload.live_price_fen,
        )
    )
    await session.flush()
    return await _reload(session, subject, session_id)


async def do_remove_from_shelf(
    session: AsyncSession, subject: Subject, session_id: int, shelf_item_id: int
) -> LiveSession:
    subject.check(Permission.MANAGE_LIVE)
    live_session = await access_session(session, subject, session_id)
    item = next((i for i in live_session.shelf if i.id == shelf_item_id), None)
    if item is None:
        raise NotFound("no such shelf item", code="shelf_item_not_found")
    await LiveSessionRepository(session).delete_child(item)
    return await _reload(session, subject, session_id)


def _overlaps(start: datetime, end: datetime | None, other: ExplanationSegment) -> bool:
    other_end = other.ended_at
    return (other_end is None or start < other_end) and (end is None or other.started_at < end)


async def do_add_segment(
    session: AsyncSession, subject: Subject, session_id: int, payload: SegmentCreate
) -> LiveSession:
    """One product is explained at a time, within the session, and it must be on the shelf."""
    subject.check(Permission.MANAGE_LIVE)
    live_session = await access_session(session, subject, session_id)
    if not any(item.product_id == payload.product_id for item in live_session.shelf):
        raise InvalidInput("put the product on the shelf first", code="product_not_on_shelf", field="product_id")
    start, end = payload.started_at, payload.ended_at
    if (live_session.started_at and start < live_session.started_at) or (
        live_session.ended_at and (end is None or end > live_session.ended_at)
    ):
        raise InvalidInput(
            "the segment must lie within the session", code="segment_outside_session", field="started_at"
        )
    clash = next((seg for seg in live_session.segments if _overlaps(start, end, seg)), None)
    if clash is not None:
        raise Conflict(f"overlaps the explanation of {clash.product.name}", code="segment_overlaps", field="started_at")
    live_session.segments.append(
        ExplanationSegment(
            tenant_id=live_session.tenant_id, product_id=payload.product_id, started_at=start, ended_at=end
        )
    )
    await session.flush()
    return await _reload(session, subject, session_id)


async def do_remove_segment(session: AsyncSession, subject: Subject, session_id: int, segment_id: int) -> LiveSession:
    subject.check(Permission.MANAGE_LIVE)
    live_session = await access_session(session, subject, session_id)
    segment = next((s for s in live_session.segments if s.id == segment_id), None)
    if segment is None:
        raise NotFound("no such segment", code="segment_not_found")
    await LiveSessionRepository(session).delete_child(segment)
    return await _reload(session, subject, session_id)


async def do_record_explanations(
    session: AsyncSession, subject: Subject, session_id: int, marks: list[tuple[datetime, bool, str | None, int | None]]
) -> None:
    """Turn explain start/end events (time, is_start, SKU code, link number) into segments.

    A start closes whatever explanation is still open (one product at a time); an end closes the
    open segment. Marks naming no known product, and marks arriving late for a moment already
    covered by a finished segment, are ignored: the raw events keep them.
    """
    subject.check(Permission.INGEST_EVENTS)
    live_session = await LiveSessionRepository(session).get(subject, session_id, refresh=True)
    if live_session is None:
        raise NotFound("no such live session", code="session_not_found")
    by_link = {item.link_number: item.product_id for item in live_session.shelf}
    codes = [code for _, _, code, _ in marks if code]
    by_sku = await catalog_service.product_ids_by_sku(session, subject, codes) if codes else {}
    open_segment = next((s for s in live_session.segments if s.ended_at is None), None)
    closed = [(s.started_at, s.ended_at) for s in live_session.segments if s.ended_at is not None]
    for moment, is_start, sku_code, link_number in sorted(marks, key=lambda mark: mark[0]):
        if any(start <= moment < end for start, end in closed):
            continue  # late marks inside a finished explanation (or a manual segment) would overlap it
        product_id = by_sku.get(sku_code or "") or by_link.get(link_number or 0)
        closes = open_segment is not None and (is_start or open_segment.product_id == product_id)
        if open_segment is not None and closes and moment > open_segment.started_at:
            open_segment.ended_at = moment
            open_segment = None
        if is_start and product_id is not None:
            open_segment = ExplanationSegment(
                tenant_id=live_session.tenant_id, product_id=product_id, started_at=moment
            )
            live_session.segments.append(open_segment)
    await session.flush()
