"""Payloads of the service-desk API: tickets, their moves and history, deadline breaches."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints, model_validator

from livebridge.kit.i18n import N_
from livebridge.models import Capability, DeadlineKind, RouteReason, TicketKind, TicketStatus

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class TicketEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    action: str
    from_status: TicketStatus | None
    to_status: TicketStatus | None
    actor_name: str
    note: str | None
    data: dict[str, Any]


class BreachRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket_id: int
    kind: DeadlineKind
    assignee_id: int
    agreement_id: int | None
    due_at: datetime
    detected_at: datetime
    penalty_fen: int


class TicketRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    after_sale_id: int
    order_id: int | None
    kind: TicketKind
    capability: Capability
    status: TicketStatus
    district_code: str | None
    assignee_id: int | None
    route_reason: RouteReason
    route_detail: list[dict[str, Any]]
    agreement_id: int | None
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    accepted_at: datetime | None
    scheduled_start: datetime | None
    scheduled_end: datetime | None
    started_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    escalated_at: datetime | None
    resolution_notes: str | None
    created_at: datetime
    is_simulated: bool


class TicketDetail(TicketRead):
    events: list[TicketEventRead]
    breaches: list[BreachRead]


class ScheduleVisit(BaseModel):
    start: AwareDatetime
    end: AwareDatetime
    note: Note | None = None

    @model_validator(mode="after")
    def _end_after_start(self) -> ScheduleVisit:
        if self.end <= self.start:
            raise ValueError(N_("the end must come after the start"))
        return self


class ResolveTicket(BaseModel):
    notes: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class TicketNote(BaseModel):
    note: Note | None = None


class ReassignTicket(BaseModel):
    """Reassign to a named dealer (or the brand's service team), or let routing choose again without the current one."""

    organization_id: int | None = None
    note: Note | None = None


class OpenTicketsReport(BaseModel):
    opened: int
    ticket_ids: list[int]
