"""All SQL of the service desk: tickets, their events and deadline breaches."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Select, and_, func, or_, select, tuple_

from livebridge.authz import Subject, organization_restriction, scoped
from livebridge.kit.pagination import PageParams
from livebridge.kit.repository import Repository
from livebridge.models import Capability, DeadlineBreach, DeadlineKind, ServiceTicket, TicketEvent, TicketStatus

OPEN_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.ASSIGNED,
    TicketStatus.ACCEPTED,
    TicketStatus.SCHEDULED,
    TicketStatus.IN_SERVICE,
)


class TicketRepository(Repository[ServiceTicket]):
    def readable(self, subject: Subject) -> Select[ServiceTicket]:
        """Brand users see every ticket; dealer staff only the tickets assigned to their dealer now."""
        statement = scoped(select(ServiceTicket), ServiceTicket, subject)
        restriction = organization_restriction(subject)
        return statement if restriction is None else statement.where(ServiceTicket.assignee_id.in_(restriction))

    async def page(
        self,
        subject: Subject,
        params: PageParams,
        *,
        status: TicketStatus | None = None,
        open_only: bool = False,
        unrouted: bool = False,
        assignee_id: int | None = None,
    ) -> tuple[list[ServiceTicket], int]:
        # Open tickets with the nearest deadline first, then the newest.
        statement = self.readable(subject).order_by(
            ServiceTicket.resolution_due_at.is_(None), ServiceTicket.resolution_due_at, ServiceTicket.id.desc()
        )
        if status is not None:
            statement = statement.where(ServiceTicket.status == status)
        if open_only:
            statement = statement.where(ServiceTicket.status.in_(OPEN_STATUSES))
        if unrouted:
            statement = statement.where(ServiceTicket.assignee_id.is_(None), ServiceTicket.status == TicketStatus.NEW)
        if assignee_id is not None:
            statement = statement.where(ServiceTicket.assignee_id == assignee_id)
        return await self.paginate(statement, params)

    async def get(self, subject: Subject, ticket_id: int) -> ServiceTicket | None:
        return await self.first(self.readable(subject).where(ServiceTicket.id == ticket_id))

    async def by_after_sale(self, subject: Subject, after_sale_ids: list[int]) -> dict[int, ServiceTicket]:
        statement = scoped(select(ServiceTicket), ServiceTicket, subject).where(
            ServiceTicket.after_sale_id.in_(after_sale_ids)
        )
        return {t.after_sale_id: t for t in await self.all(statement)}

    async def count_routed(self, subject: Subject, organization_id: int, capability: Capability, day: date) -> int:
        """Tickets given to a dealer on a service day (cancelled ones free their slot)."""
        statement = scoped(select(func.count(ServiceTicket.id)), ServiceTicket, subject).where(
            ServiceTicket.assignee_id == organization_id,
            ServiceTicket.capability == capability,
            ServiceTicket.routed_on == day,
            ServiceTicket.status != TicketStatus.CANCELLED,
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def count_by_status(self, subject: Subject) -> dict[TicketStatus, int]:
        statement = (
            self.readable(subject)
            .with_only_columns(ServiceTicket.status, func.count(ServiceTicket.id))
            .group_by(ServiceTicket.status)
            .order_by(None)
        )
        rows = (await self.session.execute(statement)).all()
        return {TicketStatus(status): int(count) for status, count in rows}

    async def overdue(self, subject: Subject, kind: DeadlineKind, now: datetime) -> list[ServiceTicket]:
        """Tickets whose deadline of this kind has passed unmet and has no breach recorded for their assignee."""
        if kind == DeadlineKind.RESPONSE:
            due, met = ServiceTicket.response_due_at, ServiceTicket.accepted_at
        else:
            due, met = ServiceTicket.resolution_due_at, ServiceTicket.resolved_at
        recorded = scoped(select(DeadlineBreach.ticket_id, DeadlineBreach.assignee_id), DeadlineBreach, subject).where(
            DeadlineBreach.kind == kind
        )
        statement = (
            scoped(select(ServiceTicket), ServiceTicket, subject)
            .where(
                due.is_not(None),
                due < now,
                ServiceTicket.assignee_id.is_not(None),
                ServiceTicket.status != TicketStatus.CANCELLED,
                or_(met.is_(None), and_(met.is_not(None), met > due)),
                tuple_(ServiceTicket.id, ServiceTicket.assignee_id).not_in(recorded),
            )
            .order_by(ServiceTicket.id)
        )
        return await self.all(statement)

    async def add(self, ticket: ServiceTicket) -> ServiceTicket:
        self.session.add(ticket)
        await self.session.flush()
        return ticket


class TicketEventRepository(Repository[TicketEvent]):
    async def of_ticket(self, subject: Subject, ticket_id: int) -> list[TicketEvent]:
        statement = (
            scoped(select(TicketEvent), TicketEvent, subject)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.at, TicketEvent.id)
        )
        return await self.all(statement)

    async def add(self, event: TicketEvent) -> None:
        self.session.add(event)
        await self.session.flush()


class BreachRepository(Repository[DeadlineBreach]):
    def readable(self, subject: Subject) -> Select[DeadlineBreach]:
        statement = scoped(select(DeadlineBreach), DeadlineBreach, subject)
        restriction = organization_restriction(subject)
        return statement if restriction is None else statement.where(DeadlineBreach.assignee_id.in_(restriction))

    async def of_ticket(self, subject: Subject, ticket_id: int) -> list[DeadlineBreach]:
        statement = self.readable(subject).where(DeadlineBreach.ticket_id == ticket_id).order_by(DeadlineBreach.id)
        return await self.all(statement)

    async def add(self, breach: DeadlineBreach) -> None:
        self.session.add(breach)
        await self.session.flush()
