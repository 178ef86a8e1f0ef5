"""HTTP API of the service desk: after-sale import (opening tickets), tickets and their moves, deadlines."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from pydantic import AwareDatetime, BaseModel

from livebridge.kit.pagination import Page, PageParams
from livebridge.kit.time import utcnow
from livebridge.models import DeadlineKind, TicketStatus
from livebridge.orders import service as orders_service
from livebridge.orders.schemas import ImportReport
from livebridge.orders.upload import read_upload
from livebridge.service_desk import service
from livebridge.service_desk.schemas import (
    ReassignTicket,
    ResolveTicket,
    ScheduleVisit,
    TicketDetail,
    TicketNote,
    TicketRead,
)
from livebridge.web.deps import ApiSubject, DbSession

router = APIRouter(tags=["service desk"])
Paging = Annotated[PageParams, Depends()]
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"description": "the ticket's state does not allow this move"}}


class AfterSaleImportReport(ImportReport):
    tickets_opened: int = 0


@router.post("/after-sales/import", response_model=AfterSaleImportReport)
async def import_after_sales(
    session: DbSession, subject: ApiSubject, file: Annotated[UploadFile, File(description="CSV, .xlsx or NDJSON")]
) -> AfterSaleImportReport:
    """Store after-sale requests; those needing local service (维修/安装/换货/补寄) become routed tickets."""
    report = await orders_service.do_import_after_sales(session, subject, await read_upload(file))
    await orders_service.do_record_import_run(session, subject, file.filename or "upload", report)
    opened = await service.do_open_tickets(session, subject, report.changed_ids)
    return AfterSaleImportReport(**report.model_dump(), tickets_opened=len(opened))


@router.get("/tickets", response_model=Page[TicketRead])
async def list_tickets(
    session: DbSession,
    subject: ApiSubject,
    paging: Paging,
    ticket_status: Annotated[TicketStatus | None, Query(alias="status")] = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    unrouted: Annotated[bool, Query(description="the needs-routing queue")] = False,
    assignee_id: Annotated[int | None, Query()] = None,
) -> Page[TicketRead]:
    page = await service.list_tickets(
        session, subject, paging, status=ticket_status, open_only=open_only, unrouted=unrouted, assignee_id=assignee_id
    )
    return Page.build([TicketRead.model_validate(t) for t in page.items], page.pagination.total_count, paging)


@router.get("/tickets/{ticket_id}", response_model=TicketDetail)
async def read_ticket(ticket_id: int, session: DbSession, subject: ApiSubject) -> TicketDetail:
    """The ticket with its full history and any missed deadlines."""
    return await service.ticket_detail(session, subject, ticket_id)


async def _detail(session: DbSession, subject: ApiSubject, ticket_id: int) -> TicketDetail:
    return await service.ticket_detail(session, subject, ticket_id)


@router.post("/tickets/{ticket_id}/accept", response_model=TicketDetail, responses=CONFLICT)
async def accept_ticket(ticket_id: int, payload: TicketNote, session: DbSession, subject: ApiSubject) -> TicketDetail:
    await service.do_accept(session, subject, ticket_id, payload.note)
    return await _detail(session, subject, ticket_id)


@router.post("/tickets/{ticket_id}/schedule", response_model=TicketDetail, responses=CONFLICT)
async def schedule_ticket(
    ticket_id: int, payload: ScheduleVisit, session: DbSession, subject: ApiSubject
) -> TicketDetail:
    await service.do_schedule(session, subject, ticket_id, payload)
    return await _detail(session, subject, ticket_id)


@router.post("/tickets/{ticket_id}/start", response_model=TicketDetail, responses=CONFLICT)
async def start_ticket(ticket_id: int, payload: TicketNote, session: DbSession, subject: ApiSubject) -> TicketDetail:
    await service.do_start(session, subject, ticket_id, payload.note)
    return await _detail(session, subject, ticket_id)


@router.post("/tickets/{ticket_id}/resolve", response_model=TicketDetail, responses=CONFLICT)
async def resolve_ticket(
    ticket_id: int, payload: ResolveTicket, session: DbSession, subject: ApiSubject
) -> TicketDetail:
    await service.do_resolve(session, subject, ticket_id, payload)
    return await _detail(session, subject, ticket_id)


@router.post("/tickets/{ticket_id}/close", response_model=TicketDetail, responses=CONFLICT)
async def close_ticket(ticket_id: int, payload: TicketNote, session: DbSession, subject: ApiSubject) -> TicketDetail:
    """The customer confirmed the service."""
    await service.do_close(session, subject, ticket_id, payload.note)
    return await _detail(session, subject, ticket_id)


@router.post("/tickets/{ticket_id}/cancel", response_model=TicketDetail, responses=CONFLICT)
async def cancel_ticket(ticket_id: int, payload: TicketNote, session: DbSession, subject: ApiSubject) -> TicketDetail:
    await service.do_cancel(session, subject, ticket_id, payload.note)
    return await _detail(session, subject, ticket_id)


@router.post("/tickets/{ticket_id}/escalate", response_model=TicketDetail, responses=CONFLICT)
async def escalate_ticket(ticket_id: int, payload: TicketNote, session: DbSession, subject: ApiSubject) -> TicketDetail:
    await service.do_escalate(session, subject, ticket_id, payload.note)
    return await _detail(session, subject, ticket_id)


@router.post("/tickets/{ticket_id}/reassign", response_model=TicketDetail, responses=CONFLICT)
async def reassign_ticket(
    ticket_id: int, payload: ReassignTicket, session: DbSession, subject: ApiSubject
) -> TicketDetail:
    await service.do_reassign(session, subject, ticket_id, payload)
    return await _detail(session, subject, ticket_id)


@router.post("/tickets/{ticket_id}/route", response_model=TicketDetail, responses=CONFLICT)
async def route_ticket(ticket_id: int, session: DbSession, subject: ApiSubject) -> TicketDetail:
    """Route a ticket of the needs-routing queue again, after its order's address was fixed."""
    await service.do_route(session, subject, ticket_id)
    return await _detail(session, subject, ticket_id)


class DeadlineCheck(BaseModel):
    now: AwareDatetime | None = None


class BreachFoundRead(BaseModel):
    ticket_id: int
    kind: DeadlineKind
    assignee_id: int
    penalty_fen: int


class DeadlineCheckReport(BaseModel):
    checked_at: datetime
    breaches: list[BreachFoundRead]


@router.post("/service-desk/check-deadlines", response_model=DeadlineCheckReport)
async def check_deadlines(payload: DeadlineCheck, session: DbSession, subject: ApiSubject) -> DeadlineCheckReport:
    """What the scheduled job does for this tenant: record missed deadlines once and escalate."""
    now = payload.now or utcnow()
    found = await service.check_deadlines(session, subject, now)
    return DeadlineCheckReport(
        checked_at=now,
        breaches=[
            BreachFoundRead(ticket_id=b.ticket_id, kind=b.kind, assignee_id=b.assignee_id, penalty_fen=b.penalty_fen)
            for b in found
        ],
    )
