"""Service tickets (工单): an after-sale request that needs local service, routed to a dealer.

Every move of a ticket is a ``TicketEvent``; every missed deadline is one ``DeadlineBreach`` row
(unique per ticket and deadline, so its penalty is recorded exactly once).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from livebridge.kit.time import utcnow
from livebridge.models.base import Base, CreatedAtMixin, IdMixin, SimulatedMixin, TenantMixin, enum_column
from livebridge.models.dealers import Capability


class TicketKind(enum.StrEnum):
    INSTALLATION = "installation"
    REPAIR = "repair"
    EXCHANGE_INSPECTION = "exchange_inspection"
    DELIVERY = "delivery"


# Which dealer capability serves each kind of ticket.
CAPABILITY_FOR_KIND: dict[TicketKind, Capability] = {
    TicketKind.INSTALLATION: Capability.INSTALLATION,
    TicketKind.REPAIR: Capability.REPAIR,
    TicketKind.EXCHANGE_INSPECTION: Capability.RETURNS_INSPECTION,
    TicketKind.DELIVERY: Capability.DELIVERY,
}


class TicketStatus(enum.StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    IN_SERVICE = "in_service"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class RouteReason(enum.StrEnum):
    DISTRICT_DEALER = "district_dealer"
    CITY_DEALER = "city_dealer"
    PROVINCE_DEALER = "province_dealer"
    BRAND_SERVICE_TEAM = "brand_service_team"
    NEEDS_ROUTING = "needs_routing"
    MANUAL = "manual"


class DeadlineKind(enum.StrEnum):
    RESPONSE = "response"  # accepted by the assignee
    RESOLUTION = "resolution"  # resolved


class ServiceTicket(IdMixin, CreatedAtMixin, SimulatedMixin, TenantMixin, Base):
    __tablename__ = "service_tickets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "after_sale_id"),
        Index("ix_service_tickets_tenant_assignee_status", "tenant_id", "assignee_id", "status"),
        Index("ix_service_tickets_assignee_day", "assignee_id", "capability", "routed_on"),
    )

    after_sale_id: Mapped[int] = mapped_column(ForeignKey("after_sale_requests.id", ondelete="CASCADE"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    kind: Mapped[TicketKind] = mapped_column(enum_column(TicketKind))
    capability: Mapped[Capability] = mapped_column(enum_column(Capability))
    status: Mapped[TicketStatus] = mapped_column(enum_column(TicketStatus))
    district_code: Mapped[str | None] = mapped_column(String(6))
    # The dealer organization, or the brand's own organization (its service team); None while unrouted.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    route_reason: Mapped[RouteReason] = mapped_column(enum_column(RouteReason))
    # What routing considered and why it passed over each candidate, for people to read.
    route_detail: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    routed_on: Mapped[date | None] = mapped_column(Date)  # the service day that counts against capacity
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("dealer_agreements.id", ondelete="SET NULL"))
    deadlines_from: Mapped[datetime | None]  # when the assignee's clocks started
    response_due_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    scheduled_start: Mapped[datetime | None]
    scheduled_end: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    resolution_notes: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketEvent(IdMixin, TenantMixin, Base):
    __tablename__ = "service_ticket_events"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("service_tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[TicketStatus | None] = mapped_column(enum_column(TicketStatus, name="from_ticketstatus"))
    to_status: Mapped[TicketStatus | None] = mapped_column(enum_column(TicketStatus, name="to_ticketstatus"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DeadlineBreach(IdMixin, TenantMixin, Base):
    """A missed deadline with the penalty of the agreement in force, for settlement to charge once."""

    __tablename__ = "service_deadline_breaches"
    __table_args__ = (UniqueConstraint("ticket_id", "kind", "assignee_id"),)

    ticket_id: Mapped[int] = mapped_column(ForeignKey("service_tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DeadlineKind] = mapped_column(enum_column(DeadlineKind))
    assignee_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("dealer_agreements.id", ondelete="SET NULL"))
    due_at: Mapped[datetime]
    detected_at: Mapped[datetime]
    penalty_fen: Mapped[int] = mapped_column(BigInteger)
    is_simulated: Mapped[bool] = mapped_column(default=False)
