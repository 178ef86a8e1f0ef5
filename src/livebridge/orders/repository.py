"""All SQL of the orders domain: orders, after-sale requests and import runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from livebridge.authz import Subject, organization_restriction, scoped
from livebridge.kit.pagination import PageParams
from livebridge.kit.repository import Repository
from livebridge.models import AfterSaleRequest, ImportRun, Order, RoutingState, TrafficSource


class OrderRepository(Repository[Order]):
    def readable(self, subject: Subject) -> Select[Order]:
        """Brand users see every order; dealer staff only the live orders attributed to their dealer."""
        statement = scoped(select(Order), Order, subject)
        restriction = organization_restriction(subject)
        if restriction is None:
            return statement
        return statement.where(Order.dealer_id.in_(restriction), Order.traffic_source == TrafficSource.LIVE)

    async def page(
        self,
        subject: Subject,
        params: PageParams,
        *,
        routing_state: RoutingState | None = None,
        dealer_id: int | None = None,
        flagged: bool | None = None,
    ) -> tuple[list[Order], int]:
        statement = self.readable(subject).order_by(Order.created_at_platform.desc(), Order.id.desc())
        if routing_state is not None:
            statement = statement.where(Order.routing_state == routing_state)
        if dealer_id is not None:
            statement = statement.where(Order.dealer_id == dealer_id)
        if flagged:
            statement = statement.where(func.json_array_length(Order.flags) > 0)
        return await self.paginate(statement, params)

    async def get(self, subject: Subject, order_id: int) -> Order | None:
        return await self.first(self.readable(subject).where(Order.id == order_id))

    async def by_numbers(self, subject: Subject, numbers: list[str]) -> dict[str, Order]:
        """Orders of the tenant by their platform numbers (for imports, which see the whole tenant)."""
        statement = scoped(select(Order), Order, subject).where(Order.order_no.in_(numbers))
        return {order.order_no: order for order in await self.all(statement)}

    async def get_plain(self, subject: Subject, order_id: int) -> Order | None:
        return await self.first(scoped(select(Order), Order, subject).where(Order.id == order_id))

    async def add_all(self, orders: list[Order]) -> None:
        self.session.add_all(orders)
        await self.session.flush()


class AfterSaleRepository(Repository[AfterSaleRequest]):
    def readable(self, subject: Subject) -> Select[AfterSaleRequest]:
        return scoped(select(AfterSaleRequest), AfterSaleRequest, subject)

    async def page(self, subject: Subject, params: PageParams) -> tuple[list[AfterSaleRequest], int]:
        statement = self.readable(subject).order_by(AfterSaleRequest.applied_at.desc(), AfterSaleRequest.id.desc())
        return await self.paginate(statement, params)

    async def get(self, subject: Subject, after_sale_id: int) -> AfterSaleRequest | None:
        return await self.first(self.readable(subject).where(AfterSaleRequest.id == after_sale_id))

    async def get_many(self, subject: Subject, ids: list[int]) -> list[AfterSaleRequest]:
        return await self.all(self.readable(subject).where(AfterSaleRequest.id.in_(ids)))

    async def by_numbers(self, subject: Subject, numbers: list[str]) -> dict[str, AfterSaleRequest]:
        statement = self.readable(subject).where(AfterSaleRequest.request_no.in_(numbers))
        return {request.request_no: request for request in await self.all(statement)}

    async def add_all(self, requests: list[AfterSaleRequest]) -> None:
        self.session.add_all(requests)
        await self.session.flush()


class ImportRunRepository(Repository[ImportRun]):
    def readable(self, subject: Subject) -> Select[ImportRun]:
        return scoped(select(ImportRun), ImportRun, subject)

    async def get(self, subject: Subject, run_id: int) -> ImportRun | None:
        return await self.first(self.readable(subject).where(ImportRun.id == run_id))

    async def recent(self, subject: Subject, limit: int = 10) -> list[ImportRun]:
        return await self.all(self.readable(subject).order_by(ImportRun.id.desc()).limit(limit))

    async def add(self, run: ImportRun) -> ImportRun:
        self.session.add(run)
        await self.session.flush()
        return run


class PainPointRepository:
    """After-sale requests with their orders, and order counts, for the pain-point collector."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def requests(self, subject: Subject, start: datetime, end: datetime) -> list[tuple[Any, ...]]:
        """(type, reason, description, product id, session id, host id, request no, order no) of requests
        applied in [start, end)."""
        statement = (
            scoped(
                select(
                    AfterSaleRequest.type,
                    AfterSaleRequest.reason_text,
                    AfterSaleRequest.description,
                    Order.product_id,
                    Order.session_id,
                    Order.host_id,
                    AfterSaleRequest.request_no,
                    AfterSaleRequest.order_no,
                ),
                AfterSaleRequest,
                subject,
            )
            .outerjoin(Order, Order.id == AfterSaleRequest.order_id)
            .where(AfterSaleRequest.applied_at >= start, AfterSaleRequest.applied_at < end)
            .order_by(AfterSaleRequest.applied_at, AfterSaleRequest.id)
        )
        return [tuple(row) for row in (await self.session.execute(statement)).all()]

    async def order_counts(self, subject: Subject, start: datetime, end: datetime, column: Any) -> dict[int, int]:
        """Orders paid (or created) in [start, end) per product, session or host."""
        moment = func.coalesce(Order.paid_at, Order.created_at_platform)
        statement = (
            scoped(select(column, func.count(Order.id)), Order, subject)
            .where(moment >= start, moment < end, column.is_not(None))
            .group_by(column)
        )
        return {int(key): int(count) for key, count in (await self.session.execute(statement)).all()}
