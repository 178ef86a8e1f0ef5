"""Service tickets: routing, the enforced lifecycle, deadlines, escalation and penalties.

Routing (``route``): the dealers whose territory covers the receiver's district for the ticket's
capability, most specific claim first (district, then city, then province). A candidate is passed
over when no agreement in force covers the capability or when its tickets of that service day
(Asia/Shanghai) have reached its daily capacity; each pass-over is written into ``route_detail``.
When no dealer is left the brand's own service team (the brand organization) takes the ticket.
A ticket whose address has no district stays ``new`` in the visible needs-routing queue.

Lifecycle: new → assigned → accepted → scheduled → in_service → resolved → closed, plus reassign,
escalate and cancel (``MOVES``); anything else answers 409. Every move is a ``TicketEvent``.

Deadlines: when a dealer is assigned, the agreement in force gives the response deadline
(accepted by) and the resolution deadline (resolved by) for the ticket kind. ``check_deadlines(now)``
records each missed deadline once per assignee as a ``DeadlineBreach`` with the agreement's
penalty, and escalates the ticket to the brand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Permission, Subject, command_line_subject
from livebridge.db import Database
from livebridge.dealers import service as dealers_service
from livebridge.dealers.regions import region_name
from livebridge.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from livebridge.kit.pagination import Page, PageParams
from livebridge.kit.time import utcnow
from livebridge.live import service as live_service
from livebridge.models import (
    CAPABILITY_FOR_KIND,
    AfterSaleRequest,
    AfterSaleType,
    DeadlineBreach,
    DeadlineKind,
    LiveSession,
    OrganizationKind,
    RegionLevel,
    RouteReason,
    ServiceTicket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from livebridge.orders import service as orders_service
from livebridge.service_desk.repository import BreachRepository, TicketEventRepository, TicketRepository
from livebridge.service_desk.schemas import (
    BreachRead,
    ReassignTicket,
    ResolveTicket,
    ScheduleVisit,
    TicketDetail,
    TicketEventRead,
    TicketRead,
)
from livebridge.tenancy import service as tenancy_service

SERVICE_DAY_ZONE: Final = ZoneInfo("Asia/Shanghai")

# After-sale types that need someone on site, and the kind of ticket each becomes.
KIND_FOR_AFTER_SALE: Final[dict[AfterSaleType, TicketKind]] = {
    AfterSaleType.INSTALLATION: TicketKind.INSTALLATION,
    AfterSaleType.REPAIR: TicketKind.REPAIR,
    AfterSaleType.EXCHANGE: TicketKind.EXCHANGE_INSPECTION,
    AfterSaleType.REISSUE: TicketKind.DELIVERY,
}

REASON_FOR_LEVEL: Final = {
    RegionLevel.DISTRICT: RouteReason.DISTRICT_DEALER,
    RegionLevel.CITY: RouteReason.CITY_DEALER,
    RegionLevel.PROVINCE: RouteReason.PROVINCE_DEALER,
}

_S = TicketStatus
OPEN: Final = frozenset({_S.NEW, _S.ASSIGNED, _S.ACCEPTED, _S.SCHEDULED, _S.IN_SERVICE})


@dataclass(frozen=True)
class Move:
    sources: frozenset[TicketStatus]
    target: TicketStatus | None  # None: the status stays (escalate, reschedule)
    permission: Permission
    by_assignee: bool  # dealer staff may make this move on their own tickets


MOVES: Final[dict[str, Move]] = {
    "accept": Move(frozenset({_S.ASSIGNED}), _S.ACCEPTED, Permission.SERVE_TICKETS, True),
    "schedule": Move(frozenset({_S.ACCEPTED, _S.SCHEDULED}), _S.SCHEDULED, Permission.SERVE_TICKETS, True),
    "start": Move(frozenset({_S.SCHEDULED}), _S.IN_SERVICE, Permission.SERVE_TICKETS, True),
    "resolve": Move(frozenset({_S.IN_SERVICE}), _S.RESOLVED, Permission.SERVE_TICKETS, True),
    "close": Move(frozenset({_S.RESOLVED}), _S.CLOSED, Permission.MANAGE_ORDERS, False),
    "reassign": Move(
        frozenset({_S.NEW, _S.ASSIGNED, _S.ACCEPTED, _S.SCHEDULED}), _S.ASSIGNED, Permission.MANAGE_ORDERS, False
    ),
    "route": Move(frozenset({_S.NEW}), _S.ASSIGNED, Permission.MANAGE_ORDERS, False),
    "escalate": Move(
        frozenset({_S.ASSIGNED, _S.ACCEPTED, _S.SCHEDULED, _S.IN_SERVICE}), None, Permission.MANAGE_ORDERS, False
    ),
    "cancel": Move(
        frozenset({_S.NEW, _S.ASSIGNED, _S.ACCEPTED, _S.SCHEDULED, _S.IN_SERVICE}),
        _S.CANCELLED,
        Permission.MANAGE_ORDERS,
        False,
    ),
}


def _actor(subject: Subject) -> tuple[int | None, str]:
    return subject.user_id, subject.display_name[:100]


async def _record(
    session: AsyncSession,
    subject: Subject,
    ticket: ServiceTicket,
    action: str,
    at: datetime,
    *,
    from_status: TicketStatus | None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    user_id, name = _actor(subject)
    await TicketEventRepository(session).add(
        TicketEvent(
            tenant_id=ticket.tenant_id,
            ticket_id=ticket.id,
            at=at,
            action=action,
            from_status=from_status,
            to_status=ticket.status,
            actor_user_id=user_id,
            actor_name=name,
            note=note,
            data=data or {},
        )
    )


# Opening and routing -------------------------------------------------------------------------------


async def do_open_tickets(
    session: AsyncSession,
    subject: Subject,
    after_sale_ids: list[int],
    now: datetime | None = None,
    *,
    is_simulated: bool = False,
) -> list[ServiceTicket]:
    """A ticket for each of these after-sale requests that needs local service and has none yet."""
    subject.check(Permission.MANAGE_ORDERS)
    now = now or utcnow()
    requests = await orders_service.after_sales_for_service(session, subject, after_sale_ids)
    needing = [r for r in requests if r.type in KIND_FOR_AFTER_SALE]
    existing = await TicketRepository(session).by_after_sale(subject, [r.id for r in needing])
    opened = []
    for request in sorted(needing, key=lambda r: (r.applied_at, r.id)):
        if request.id not in existing:
            opened.append(await _open_ticket(session, subject, request, now, is_simulated=is_simulated))
    return opened


async def _open_ticket(
    session: AsyncSession, subject: Subject, request: AfterSaleRequest, now: datetime, *, is_simulated: bool
) -> ServiceTicket:
    order = await orders_service.order_for_service(session, subject, request.order_id) if request.order_id else None
    kind = KIND_FOR_AFTER_SALE[request.type]
    ticket = await TicketRepository(session).add(
        ServiceTicket(
            tenant_id=subject.require_tenant(),
            after_sale_id=request.id,
            order_id=order.id if order else None,
            kind=kind,
            capability=CAPABILITY_FOR_KIND[kind],
            status=TicketStatus.NEW,
            district_code=order.district_code if order else None,
            route_reason=RouteReason.NEEDS_ROUTING,
            route_detail=[],
            is_simulated=is_simulated or request.is_simulated,
        )
    )
    await _record(session, subject, ticket, "opened", now, from_status=None, data={"after_sale": request.request_no})
    await _route(session, subject, ticket, now, exclude=frozenset())
    return ticket


async def _route(
    session: AsyncSession, subject: Subject, ticket: ServiceTicket, now: datetime, *, exclude: frozenset[int]
) -> None:
    """Choose the assignee (see the module docstring) and start its clocks; records a 'routed' event."""
    previous = ticket.status
    detail: list[dict[str, Any]] = []
    if ticket.district_code is None:
        ticket.route_reason, ticket.route_detail = RouteReason.NEEDS_ROUTING, [{"step": "no_district"}]
        ticket.status, ticket.assignee_id = TicketStatus.NEW, None
        await _record(session, subject, ticket, "needs_routing", now, from_status=previous)
        return
    day = now.astimezone(SERVICE_DAY_ZONE).date()
    tickets = TicketRepository(session)
    candidates = await dealers_service.responsible_dealers(
        session, subject, ticket.district_code, ticket.capability, now
    )
    for candidate in candidates:
        step: dict[str, Any] = {
            "dealer_id": candidate.organization_id,
            "dealer": candidate.dealer_name,
            "region_code": candidate.region_code,
            "level": candidate.level.value,
        }
        if candidate.organization_id in exclude:
            detail.append({**step, "skipped": "reassigned_away"})
            continue
        agreement = await dealers_service.agreement_in_force(session, subject, candidate.organization_id, now)
        if agreement is None or ticket.capability.value not in agreement.service_scope:
            detail.append({**step, "skipped": "no_agreement_in_force"})
            continue
        capacity = await dealers_service.daily_capacity(session, subject, candidate.organization_id, ticket.capability)
        used = await tickets.count_routed(subject, candidate.organization_id, ticket.capability, day)
        if used >= capacity:
            detail.append({**step, "skipped": "at_capacity", "used": used, "capacity": capacity})
            continue
        detail.append(
            {**step, "chosen": True, "used": used, "capacity": capacity, "agreement_version": agreement.version}
        )
        deadline = agreement.deadlines.get(ticket.kind.value)
        _assign(ticket, candidate.organization_id, REASON_FOR_LEVEL[candidate.level], detail, day, now)
        ticket.agreement_id = agreement.id
        if deadline is not None:
            ticket.response_due_at = now + timedelta(hours=int(deadline["response_hours"]))
            ticket.resolution_due_at = now + timedelta(hours=int(deadline["resolution_hours"]))
        break
    else:
        brand = await _brand_organization_id(session, subject)
        detail.append({"brand_id": brand, "chosen": True, "region": region_name(ticket.district_code)})
        _assign(ticket, brand, RouteReason.BRAND_SERVICE_TEAM, detail, day, now)
    await _record(
        session,
        subject,
        ticket,
        "routed",
        now,
        from_status=previous,
        data={"reason": ticket.route_reason.value, "assignee_id": ticket.assignee_id},
    )


def _assign(
    ticket: ServiceTicket,
    organization_id: int,
    reason: RouteReason,
    detail: list[dict[str, Any]],
    day: date,
    now: datetime,
) -> None:
    ticket.assignee_id = organization_id
    ticket.route_reason = reason
    ticket.route_detail = detail
    ticket.routed_on = day
    ticket.status = TicketStatus.ASSIGNED
    ticket.deadlines_from = now
    ticket.agreement_id = None
    ticket.response_due_at = ticket.resolution_due_at = None
    ticket.accepted_at = ticket.scheduled_start = ticket.scheduled_end = ticket.started_at = None
    ticket.updated_at = now


async def _brand_organization_id(session: AsyncSession, subject: Subject) -> int:
    """The brand's own organization stands for its service team (the last fallback)."""
    brands = await tenancy_service.list_organizations(
        session, _brand_reader(subject), PageParams(page=1, page_size=1), OrganizationKind.BRAND
    )
    if not brands.items:
        raise Conflict("this tenant has no brand organization to fall back to", code="no_brand_team")
    return brands.items[0].id


def _brand_reader(subject: Subject) -> Subject:
    return Subject(
        display_name=subject.display_name, tenant_id=subject.require_tenant(), permissions=frozenset({Permission.READ})
    )


# Reading ---------------------------------------------------------------------------------------------


def _check_reader(subject: Subject) -> None:
    if not (subject.can(Permission.READ) or subject.can(Permission.SERVE_TICKETS)):
        raise PermissionDenied("this needs the 'read' permission")


async def list_tickets(
    session: AsyncSession,
    subject: Subject,
    params: PageParams,
    *,
    status: TicketStatus | None = None,
    open_only: bool = False,
    unrouted: bool = False,
    assignee_id: int | None = None,
) -> Page[ServiceTicket]:
    """Brand users see every ticket; dealer staff only their dealer's queue."""
    _check_reader(subject)
    items, total = await TicketRepository(session).page(
        subject, params, status=status, open_only=open_only, unrouted=unrouted, assignee_id=assignee_id
    )
    return Page.build(items, total, params)


async def count_tickets_by_status(session: AsyncSession, subject: Subject) -> dict[TicketStatus, int]:
    _check_reader(subject)
    return await TicketRepository(session).count_by_status(subject)


async def access_ticket(session: AsyncSession, subject: Subject, ticket_id: int) -> ServiceTicket:
    _check_reader(subject)
    ticket = await TicketRepository(session).get(subject, ticket_id)
    if ticket is None:
        raise NotFound("no such ticket", code="ticket_not_found")
    return ticket


async def ticket_detail(session: AsyncSession, subject: Subject, ticket_id: int) -> TicketDetail:
    ticket = await access_ticket(session, subject, ticket_id)
    events = await TicketEventRepository(session).of_ticket(subject, ticket.id)
    breaches = await BreachRepository(session).of_ticket(subject, ticket.id)
    return TicketDetail(
        **TicketRead.model_validate(ticket).model_dump(),
        events=[TicketEventRead.model_validate(e) for e in events],
        breaches=[BreachRead.model_validate(b) for b in breaches],
    )


# Moves ------------------------------------------------------------------------------------------------


async def _begin_move(
    session: AsyncSession, subject: Subject, ticket_id: int, action: str
) -> tuple[ServiceTicket, TicketStatus]:
    move = MOVES[action]
    ticket = await access_ticket(session, subject, ticket_id)
    subject.check(move.permission)
    if not subject.can(Permission.MANAGE_ORDERS) and not (
        move.by_assignee and ticket.assignee_id in subject.organization_ids
    ):
        raise PermissionDenied(f"only the assigned dealer or the brand may {action} this ticket")
    if ticket.status not in move.sources:
        raise Conflict(
            f"a {ticket.status} ticket cannot be {action}ed",
            code="invalid_ticket_transition",
            details={"from": ticket.status.value, "action": action},
        )
    return ticket, ticket.status


async def _finish_move(
    session: AsyncSession,
    subject: Subject,
    ticket: ServiceTicket,
    action: str,
    previous: TicketStatus,
    now: datetime,
    *,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> ServiceTicket:
    target = MOVES[action].target
    if target is not None:
        ticket.status = target
    ticket.updated_at = now
    await session.flush()
    await _record(session, subject, ticket, action, now, from_status=previous, note=note, data=data)
    return ticket


async def do_accept(
    session: AsyncSession, subject: Subject, ticket_id: int, note: str | None = None, now: datetime | None = None
) -> ServiceTicket:
    now = now or utcnow()
    ticket, previous = await _begin_move(session, subject, ticket_id, "accept")
    ticket.accepted_at = now
    return await _finish_move(session, subject, ticket, "accept", previous, now, note=note)


async def do_schedule(
    session: AsyncSession, subject: Subject, ticket_id: int, payload: ScheduleVisit, now: datetime | None = None
) -> ServiceTicket:
    now = now or utcnow()
    ticket, previous = await _begin_move(session, subject, ticket_id, "schedule")
    if payload.start < now - timedelta(minutes=5):
        raise InvalidInput("the visit cannot start in the past", code="visit_in_past", field="start")
    ticket.scheduled_start, ticket.scheduled_end = payload.start, payload.end
    data = {"start": payload.start.isoformat(), "end": payload.end.isoformat()}
    return await _finish_move(session, subject, ticket, "schedule", previous, now, note=payload.note, data=data)


async def do_start(
    session: AsyncSession, subject: Subject, ticket_id: int, note: str | None = None, now: datetime | None = None
) -> ServiceTicket:
    now = now or utcnow()
    ticket, previous = await _begin_move(session, subject, ticket_id, "start")
    ticket.started_at = now
    return await _finish_move(session, subject, ticket, "start", previous, now, note=note)


async def do_resolve(
    session: AsyncSession, subject: Subject, ticket_id: int, payload: ResolveTicket, now: datetime | None = None
) -> ServiceTicket:
    now = now or utcnow()
    ticket, previous = await _begin_move(session, subject, ticket_id, "resolve")
    ticket.resolved_at, ticket.resolution_notes = now, payload.notes
    return await _finish_move(session, subject, ticket, "resolve", previous, now, note=payload.notes)


async def do_close(
    session: AsyncSession, subject: Subject, ticket_id: int, note: str | None = None, now: datetime | None = None
) -> ServiceTicket:
    """The customer confirmed the service."""
    now = now or utcnow()
    ticket, previous = await _begin_move(session, subject, ticket_id, "close")
    ticket.closed_at = now
    return await _finish_move(session, subject, ticket, "close", previous, now, note=note)


async def do_cancel(
    session: AsyncSession, subject: Subject, ticket_id: int, note: str | None = None, now: datetime | None = None
) -> ServiceTicket:
    now = now or utcnow()
    ticket, previous = await _begin_move(session, subject, ticket_id, "cancel")
    ticket.cancelled_at = now
    return await _finish_move(session, subject, ticket, "cancel", previous, now, note=note)


async def do_escalate(
    session: AsyncSession, subject: Subject, ticket_id: int, note: str | None = None, now: datetime | None = None
) -> ServiceTicket:
    now = now or utcnow()
    ticket, previous = await _begin_move(session, subject, ticket_id, "escalate")
    ticket.escalated_at = now
    return await _finish_move(session, subject, ticket, "escalate", previous, now, note=note)


async def do_route(
    session: AsyncSession, subject: Subject, ticket_id: int, now: datetime | None = None
) -> ServiceTicket:
    """Route a ticket of the needs-routing queue again (after its order's address was fixed)."""
    now = now or utcnow()
    ticket, _ = await _begin_move(session, subject, ticket_id, "route")
    if ticket.order_id is not None:
        order = await orders_service.order_for_service(session, subject, ticket.order_id)
        ticket.district_code = order.district_code if order else None
    if ticket.district_code is None:
        raise Conflict("the order's address still has no district; fix it first", code="address_unresolved")
    await _route(session, subject, ticket, now, exclude=frozenset())
    await session.flush()
    return ticket


async def do_reassign(
    session: AsyncSession, subject: Subject, ticket_id: int, payload: ReassignTicket, now: datetime | None = None
) -> ServiceTicket:
    """To a named dealer or the brand team, or routed again without the current assignee; clocks restart."""
    now = now or utcnow()
    ticket, previous = await _begin_move(session, subject, ticket_id, "reassign")
    away_from = ticket.assignee_id
    if payload.organization_id is None:
        await _route(session, subject, ticket, now, exclude=frozenset({away_from} if away_from else set()))
    else:
        await _reassign_to(session, subject, ticket, payload.organization_id, now)
    await session.flush()
    await _record(
        session,
        subject,
        ticket,
        "reassign",
        now,
        from_status=previous,
        note=payload.note,
        data={"from_assignee_id": away_from, "to_assignee_id": ticket.assignee_id},
    )
    return ticket


async def _reassign_to(
    session: AsyncSession, subject: Subject, ticket: ServiceTicket, organization_id: int, now: datetime
) -> None:
    day = now.astimezone(SERVICE_DAY_ZONE).date()
    brand = await _brand_organization_id(session, subject)
    if organization_id == brand:
        _assign(ticket, brand, RouteReason.MANUAL, [{"brand_id": brand, "chosen": True, "manual": True}], day, now)
        return
    try:
        dealer = await dealers_service.access_dealer_organization(session, subject, organization_id)
    except NotFound as exc:
        raise InvalidInput("no such dealer", code="dealer_not_found", field="organization_id") from exc
    _assign(
        ticket,
        dealer.id,
        RouteReason.MANUAL,
        [{"dealer_id": dealer.id, "dealer": dealer.name, "manual": True}],
        day,
        now,
    )
    agreement = await dealers_service.agreement_in_force(session, subject, dealer.id, now)
    if agreement is not None and (deadline := agreement.deadlines.get(ticket.kind.value)) is not None:
        ticket.agreement_id = agreement.id
        ticket.response_due_at = now + timedelta(hours=int(deadline["response_hours"]))
        ticket.resolution_due_at = now + timedelta(hours=int(deadline["resolution_hours"]))


# Deadlines ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BreachFound:
    ticket_id: int
    kind: DeadlineKind
    assignee_id: int
    penalty_fen: int


async def check_deadlines(session: AsyncSession, subject: Subject, now: datetime) -> list[BreachFound]:
    """Record every newly missed deadline once, with its penalty, and escalate the ticket to the brand.

    ``now`` is passed in (a controllable clock): the scheduled run passes the current time, tests
    pass any moment. Running it again at the same or a later moment records nothing twice.
    """
    subject.check(Permission.MANAGE_ORDERS)
    found: list[BreachFound] = []
    tickets = TicketRepository(session)
    breaches = BreachRepository(session)
    for kind in (DeadlineKind.RESPONSE, DeadlineKind.RESOLUTION):
        for ticket in await tickets.overdue(subject, kind, now):
            assert ticket.assignee_id is not None  # overdue() selects assigned tickets only
            due = ticket.response_due_at if kind == DeadlineKind.RESPONSE else ticket.resolution_due_at
            assert due is not None
            penalty = await _penalty(session, subject, ticket)
            await breaches.add(
                DeadlineBreach(
                    tenant_id=ticket.tenant_id,
                    ticket_id=ticket.id,
                    kind=kind,
                    assignee_id=ticket.assignee_id,
                    agreement_id=ticket.agreement_id,
                    due_at=due,
                    detected_at=now,
                    penalty_fen=penalty,
                    is_simulated=ticket.is_simulated,
                )
            )
            data = {"deadline": kind.value, "due_at": due.isoformat(), "penalty_fen": penalty}
            await _record(session, subject, ticket, "deadline_missed", now, from_status=ticket.status, data=data)
            if ticket.status in OPEN and ticket.escalated_at is None:
                ticket.escalated_at = now
                await _record(session, subject, ticket, "escalate", now, from_status=ticket.status, data=data)
            found.append(BreachFound(ticket.id, kind, ticket.assignee_id, penalty))
    await session.flush()
    return found


async def _penalty(session: AsyncSession, subject: Subject, ticket: ServiceTicket) -> int:
    """The penalty of the agreement version the ticket's clocks came from (0 for the brand's own team)."""
    if ticket.agreement_id is None:
        return 0
    agreement = await dealers_service.access_agreement(session, subject, ticket.agreement_id)
    return agreement.penalty_fen if agreement else 0


# What the console shows around a ticket ---------------------------------------------------------------


@dataclass(frozen=True)
class TicketView:
    ticket: ServiceTicket
    assignee_name: str | None
    region: str
    after_sale: AfterSaleRequest | None


async def describe_tickets(session: AsyncSession, subject: Subject, tickets: list[ServiceTicket]) -> list[TicketView]:
    """Tickets with their assignee's name, region and after-sale request, for lists and the portal."""
    names = await dealers_service.dealer_names(session, subject, [t.assignee_id for t in tickets if t.assignee_id])
    requests = {
        r.id: r
        for r in await orders_service.after_sales_for_service(session, subject, [t.after_sale_id for t in tickets])
    }
    views = []
    for ticket in tickets:
        if ticket.assignee_id is None:
            assignee = None
        elif ticket.assignee_id in names:
            assignee = names[ticket.assignee_id]
        else:
            assignee = ""  # the brand's own team: the page names it
        views.append(
            TicketView(ticket, assignee, region_name(ticket.district_code), requests.get(ticket.after_sale_id))
        )
    return views


async def cohosted_sessions(session: AsyncSession, subject: Subject) -> list[LiveSession]:
    """Live sessions in which a host of the subject's dealer took part (dealer co-hosts), newest first.

    Dealer staff may not read the brand's live rooms in general; this reads, for them, only the
    sessions their own dealer's hosts were on.
    """
    _check_reader(subject)
    reader = _brand_reader(subject)
    hosts = await live_service.list_hosts(session, reader, PageParams(page=1, page_size=200))
    own = [h.id for h in hosts.items if h.organization_id in subject.organization_ids]
    found: dict[int, LiveSession] = {}
    for host_id in own:
        page = await live_service.list_sessions(session, reader, PageParams(page=1, page_size=50), host_id=host_id)
        found.update({s.id: s for s in page.items})
    return sorted(found.values(), key=lambda s: s.scheduled_start_at, reverse=True)


async def check_deadlines_of_all_tenants(
    database: Database, now: datetime, tenant_slug: str | None = None
) -> list[tuple[str, BreachFound]]:
    """The scheduled job: ``check_deadlines`` for every tenant (or one), one transaction per tenant."""
    async with database.transaction(write=False) as session:
        if tenant_slug:
            tenants = [await tenancy_service.access_tenant_by_slug(session, tenant_slug)]
        else:
            tenants = await tenancy_service.list_all_tenants(session, command_line_subject())
        targets = [(t.id, t.slug) for t in tenants]
    found: list[tuple[str, BreachFound]] = []
    for tenant_id, slug in targets:
        system = Subject(display_name="deadline check", tenant_id=tenant_id, permissions=frozenset(Permission))
        async with database.transaction() as session:
            found += [(slug, breach) for breach in await check_deadlines(session, system, now)]
    return found
