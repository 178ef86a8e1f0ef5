"""Console pages of the service desk: the dealer portal, the brand's ticket list and the ticket page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from livebridge.authz import Permission
from livebridge.dealers import service as dealers_service
from livebridge.exceptions import AppError, NotFound
from livebridge.kit.pagination import PageParams
from livebridge.kit.time import utcnow
from livebridge.models import TicketStatus
from livebridge.orders import service as orders_service
from livebridge.orders.upload import read_upload
from livebridge.service_desk import service
from livebridge.service_desk.schemas import ReassignTicket, ResolveTicket, ScheduleVisit, TicketNote
from livebridge.web.deps import AppSettings, ConsoleUser, DbSession
from livebridge.web.forms import app_error_field, field_errors, localize_datetimes, read_form
from livebridge.web.templating import gettext_for, render

router = APIRouter()


def _is_dealer_staff(identity: ConsoleUser) -> bool:
    return not identity.subject.can(Permission.READ) and identity.subject.can(Permission.SERVE_TICKETS)


@router.get("/portal", response_class=HTMLResponse)
async def portal_page(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    """The dealer's home: its open tickets with deadlines counting down, and its live orders."""
    subject = identity.subject
    if not _is_dealer_staff(identity):
        return RedirectResponse("/tickets", status_code=303)
    queue = await service.list_tickets(session, subject, PageParams(page=1, page_size=100), open_only=True)
    done = await service.list_tickets(session, subject, PageParams(page=1, page_size=10), status=TicketStatus.RESOLVED)
    orders = await orders_service.list_orders(session, subject, PageParams(page=1, page_size=20))
    dealers = await dealers_service.list_dealers(session, subject)
    return render(
        request,
        "service_desk/portal.html",
        {
            "active": "portal",
            "queue": await service.describe_tickets(session, subject, queue.items),
            "resolved": await service.describe_tickets(session, subject, done.items),
            "orders": orders,
            "dealers": dealers,
            "cohosted": await service.cohosted_sessions(session, subject),
            "counts": await service.count_tickets_by_status(session, subject),
        },
    )


@router.get("/tickets", response_class=HTMLResponse)
async def tickets_page(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    status: Annotated[TicketStatus | None, Query()] = None,
    unrouted: Annotated[bool, Query()] = False,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    subject = identity.subject
    params = PageParams(page=page, page_size=30)
    tickets = await service.list_tickets(session, subject, params, status=status, unrouted=unrouted)
    return render(
        request,
        "service_desk/tickets.html",
        {
            "active": "portal" if _is_dealer_staff(identity) else "aftersales",
            "page": tickets,
            "views": await service.describe_tickets(session, subject, tickets.items),
            "status": status or "",
            "unrouted": unrouted,
            "counts": await service.count_tickets_by_status(session, subject),
            "can_manage": subject.can(Permission.MANAGE_ORDERS),
        },
    )


async def _ticket_page(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    ticket_id: int,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    subject = identity.subject
    detail = await service.ticket_detail(session, subject, ticket_id)
    ticket = await service.access_ticket(session, subject, ticket_id)
    [view] = await service.describe_tickets(session, subject, [ticket])
    order = await orders_service.order_for_service(session, subject, ticket.order_id) if ticket.order_id else None
    agreement = (
        await dealers_service.access_agreement(session, subject, ticket.agreement_id) if ticket.agreement_id else None
    )
    can_manage = subject.can(Permission.MANAGE_ORDERS)
    dealers = await dealers_service.list_dealers(session, subject) if can_manage else []
    return render(
        request,
        "service_desk/ticket.html",
        {
            "active": "portal" if _is_dealer_staff(identity) else "aftersales",
            "t": detail,
            "view": view,
            "order": order,
            "agreement": agreement,
            "dealer_options": [(d.organization_id, d.name) for d in dealers],
            "can_manage": can_manage,
            "can_serve": can_manage or (ticket.assignee_id in subject.organization_ids),
            "errors": errors or {},
            "form": form or {},
        },
        status_code=status_code,
    )


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
async def ticket_page(request: Request, ticket_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    return await _ticket_page(request, session, identity, ticket_id)


ACTION_FORMS: dict[str, type[BaseModel]] = {
    "accept": TicketNote,
    "schedule": ScheduleVisit,
    "start": TicketNote,
    "resolve": ResolveTicket,
    "close": TicketNote,
    "cancel": TicketNote,
    "escalate": TicketNote,
    "reassign": ReassignTicket,
    "route": TicketNote,
}


@router.post("/tickets/{ticket_id}/{action}", response_class=HTMLResponse)
async def ticket_action(
    request: Request, ticket_id: int, action: str, session: DbSession, identity: ConsoleUser, settings: AppSettings
) -> Response:
    """One form per move; a refused move shows the ticket again with the reason."""
    model = ACTION_FORMS.get(action)
    if model is None:
        raise NotFound("no such action", code="not_found")
    _ = gettext_for(request)
    form = await read_form(request)
    cleaned = {k: v for k, v in localize_datetimes(form, ("start", "end"), settings.display_timezone).items() if v}
    try:
        payload = model.model_validate(cleaned)
    except ValidationError as exc:
        return await _ticket_page(
            request, session, identity, ticket_id, errors=field_errors(exc, _), form=form, status_code=422
        )
    try:
        await _move(session, identity, ticket_id, action, payload)
    except AppError as exc:
        return await _ticket_page(
            request,
            session,
            identity,
            ticket_id,
            errors=app_error_field(exc, _),
            form=form,
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)


async def _move(session: DbSession, identity: ConsoleUser, ticket_id: int, action: str, payload: Any) -> None:
    subject = identity.subject
    note = getattr(payload, "note", None)
    moves = {
        "accept": lambda: service.do_accept(session, subject, ticket_id, note),
        "schedule": lambda: service.do_schedule(session, subject, ticket_id, payload),
        "start": lambda: service.do_start(session, subject, ticket_id, note),
        "resolve": lambda: service.do_resolve(session, subject, ticket_id, payload),
        "close": lambda: service.do_close(session, subject, ticket_id, note),
        "cancel": lambda: service.do_cancel(session, subject, ticket_id, note),
        "escalate": lambda: service.do_escalate(session, subject, ticket_id, note),
        "reassign": lambda: service.do_reassign(session, subject, ticket_id, payload),
        "route": lambda: service.do_route(session, subject, ticket_id),
    }
    await moves[action]()


@router.post("/after-sales/import", response_class=HTMLResponse)
async def import_after_sales(
    request: Request, session: DbSession, identity: ConsoleUser, file: Annotated[UploadFile, File()]
) -> Response:
    """Import after-sale requests from the console; those needing local service become tickets."""
    subject = identity.subject
    try:
        report = await orders_service.do_import_after_sales(session, subject, await read_upload(file))
    except AppError as exc:
        return render(request, "error.html", {"error": exc}, status_code=exc.status_code)
    await orders_service.do_record_import_run(session, subject, file.filename or "upload", report)
    opened = await service.do_open_tickets(session, subject, report.changed_ids, utcnow())
    return render(
        request,
        "orders/import_report.html",
        {"active": "aftersales", "report": report, "tickets_opened": len(opened)},
    )
