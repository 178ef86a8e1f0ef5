"""Factories for the after-sales tests: dealers with territories and agreements, orders, after-sale requests.

Everything goes through the real services, like ``tests/factories.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from livebridge.authz import Subject
from livebridge.db import Database
from livebridge.dealers import service as dealers_service
from livebridge.dealers.schemas import AgreementCreate, CapabilityOffer, Deadline, DealerSetup, TerritoryClaim
from livebridge.models import Capability, OrganizationKind, TicketKind
from livebridge.orders import service as orders_service
from livebridge.orders.formats import RawRow
from livebridge.service_desk import service as desk_service
from livebridge.tenancy import service as tenancy_service
from livebridge.tenancy.schemas import OrganizationCreate
from tests.factories import TenantFixture

LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
DEADLINES = {
    TicketKind.INSTALLATION: Deadline(response_hours=4, resolution_hours=48),
    TicketKind.REPAIR: Deadline(response_hours=4, resolution_hours=72),
    TicketKind.EXCHANGE_INSPECTION: Deadline(response_hours=8, resolution_hours=72),
    TicketKind.DELIVERY: Deadline(response_hours=8, resolution_hours=48),
}


def agreement(
    *, effective_from: datetime = LONG_AGO, penalty_fen: int = 5000, commission_bps: int = 300
) -> AgreementCreate:
    return AgreementCreate(
        effective_from=effective_from,
        service_scope=list(Capability),
        deadlines=DEADLINES,
        commission_bps=commission_bps,
        ticket_fee_fen=8000,
        penalty_fen=penalty_fen,
    )


async def set_up_dealer(
    database: Database,
    tenant: TenantFixture,
    *,
    organization_id: int | None = None,
    name: str | None = None,
    code: str,
    regions: list[str],
    capacity: int = 5,
    with_agreement: bool = True,
) -> int:
    """A dealer (the fixture's own or a new one) offering every capability, claiming ``regions`` for each."""
    subject = tenant.subject
    async with database.transaction() as session:
        if organization_id is None:
            organization = await tenancy_service.do_create_organization(
                session, subject, OrganizationCreate(name=name or f"经销商 {code}", kind=OrganizationKind.DEALER)
            )
            organization_id = organization.id
        await dealers_service.do_set_up_dealer(
            session,
            subject,
            organization_id,
            DealerSetup(
                dealer_code=code,
                capabilities=[CapabilityOffer(capability=c, daily_capacity=capacity) for c in Capability],
            ),
        )
        for region in regions:
            for capability in Capability:
                await dealers_service.do_claim_territory(
                    session,
                    subject,
                    organization_id,
                    TerritoryClaim(region_code=region, capability=capability, claimed_at=LONG_AGO),
                )
        if with_agreement:
            await dealers_service.do_add_agreement_version(session, subject, organization_id, agreement())
    return organization_id


def order_row(order_no: str, sku_code: str, address: str, **extra: object) -> RawRow:
    return {
        "order_no": order_no,
        "shop": "暖家官方旗舰店",
        "sku_code": sku_code,
        "quantity": "1",
        "paid_yuan": "299.00",
        "buyer_id": f"buyer-{order_no}",
        "address": address,
        "status": "已完成",
        "created_at": "2026-11-20 20:15:00",
        "paid_at": "2026-11-20 20:16:00",
        "traffic_source": "直播",
        **extra,
    }


async def open_ticket(
    database: Database,
    subject: Subject,
    order_no: str,
    sku_code: str,
    address: str,
    *,
    kind: str = "安装",
    now: datetime,
) -> int:
    """An order, an after-sale request on it, and the ticket it becomes; returns the ticket id."""
    async with database.transaction() as session:
        await orders_service.do_import_orders(session, subject, [(2, order_row(order_no, sku_code, address))])
        report = await orders_service.do_import_after_sales(
            session,
            subject,
            [
                (
                    2,
                    {
                        "request_no": f"AS-{order_no}",
                        "order_no": order_no,
                        "type": kind,
                        "reason_text": "需要上门安装",
                        "status": "待商家同意",
                        "applied_at": (now - timedelta(minutes=5)).isoformat(),
                    },
                )
            ],
        )
        opened = await desk_service.do_open_tickets(session, subject, report.changed_ids, now)
    assert len(opened) == 1
    return opened[0].id
