"""Service tickets: routing (most specific, capacity, fallbacks, reasons), lifecycle, deadlines, isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from livebridge.db import Database
from livebridge.exceptions import Conflict
from livebridge.kit.pagination import PageParams
from livebridge.models import DeadlineBreach, OrganizationKind, Role, RouteReason, ServiceTicket, TicketStatus
from livebridge.orders import service as orders_service
from livebridge.orders.schemas import AddressFix
from livebridge.service_desk import service
from livebridge.service_desk.schemas import ResolveTicket, ScheduleVisit
from livebridge.tenancy import service as tenancy_service
from tests.factories import TenantFixture, console_login
from tests.network import open_ticket, set_up_dealer

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
XIHU = "浙江省杭州市西湖区文三路{}号"


async def _ticket(database: Database, ticket_id: int) -> ServiceTicket:
    async with database.transaction(write=False) as session:
        return (await session.execute(select(ServiceTicket).where(ServiceTicket.id == ticket_id))).scalar_one()


async def test_routing_prefers_the_most_specific_dealer_with_capacity_then_falls_back(
    database: Database, tenant: TenantFixture
) -> None:
    sku = f"AF5-{tenant.slug}"
    district = await set_up_dealer(
        database, tenant, organization_id=tenant.dealer_id, code=f"X{tenant.tenant_id}", regions=["330106"], capacity=1
    )
    city = await set_up_dealer(database, tenant, code=f"C{tenant.tenant_id}", regions=["330100"], capacity=1)
    province = await set_up_dealer(database, tenant, code=f"P{tenant.tenant_id}", regions=["330000"], capacity=1)
    subject = tenant.subject
    first = await _ticket(database, await open_ticket(database, subject, "R1", sku, XIHU.format(1), now=NOW))
    assert (first.assignee_id, first.route_reason, first.status) == (
        district,
        RouteReason.DISTRICT_DEALER,
        TicketStatus.ASSIGNED,
    )
    assert first.response_due_at == NOW + timedelta(hours=4)
    assert first.resolution_due_at == NOW + timedelta(hours=48)
    # The district dealer's one slot of the day is taken: the city dealer, with the reason written down.
    second = await _ticket(database, await open_ticket(database, subject, "R2", sku, XIHU.format(2), now=NOW))
    assert (second.assignee_id, second.route_reason) == (city, RouteReason.CITY_DEALER)
    assert second.route_detail[0] == {
        "dealer_id": district,
        "dealer": second.route_detail[0]["dealer"],
        "region_code": "330106",
        "level": "district",
        "skipped": "at_capacity",
        "used": 1,
        "capacity": 1,
    }
    third = await _ticket(database, await open_ticket(database, subject, "R3", sku, XIHU.format(3), now=NOW))
    assert (third.assignee_id, third.route_reason) == (province, RouteReason.PROVINCE_DEALER)
    fourth = await _ticket(database, await open_ticket(database, subject, "R4", sku, XIHU.format(4), now=NOW))
    async with database.transaction(write=False) as session:
        brand = await tenancy_service.list_organizations(session, subject, PageParams(), OrganizationKind.BRAND)
    assert (fourth.assignee_id, fourth.route_reason) == (brand.items[0].id, RouteReason.BRAND_SERVICE_TEAM)
    assert [step.get("skipped") for step in fourth.route_detail[:3]] == ["at_capacity"] * 3
    # The next service day the district dealer has room again.
    tomorrow = NOW + timedelta(days=1)
    fifth = await _ticket(database, await open_ticket(database, subject, "R5", sku, XIHU.format(5), now=tomorrow))
    assert fifth.assignee_id == district
    # Outside every territory: the brand's own service team.
    far = await _ticket(
        database, await open_ticket(database, subject, "R6", sku, "广东省广州市天河区体育西路1号", now=NOW)
    )
    assert far.route_reason == RouteReason.BRAND_SERVICE_TEAM


async def test_a_dealer_without_an_agreement_is_passed_over(database: Database, tenant: TenantFixture) -> None:
    sku = f"AF5-{tenant.slug}"
    await set_up_dealer(database, tenant, code=f"N{tenant.tenant_id}", regions=["330106"], with_agreement=False)
    city = await set_up_dealer(database, tenant, code=f"C{tenant.tenant_id}", regions=["330100"])
    ticket = await _ticket(database, await open_ticket(database, tenant.subject, "N1", sku, XIHU.format(1), now=NOW))
    assert ticket.assignee_id == city
    assert ticket.route_detail[0]["skipped"] == "no_agreement_in_force"


async def test_an_unparseable_address_waits_in_the_needs_routing_queue(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    sku = f"AF5-{tenant.slug}"
    await set_up_dealer(
        database, tenant, organization_id=tenant.dealer_id, code=f"X{tenant.tenant_id}", regions=["330106"]
    )
    ticket_id = await open_ticket(database, tenant.subject, "Q1", sku, "火星基地一号楼", now=NOW)
    ticket = await _ticket(database, ticket_id)
    assert (ticket.status, ticket.assignee_id, ticket.route_reason) == (
        TicketStatus.NEW,
        None,
        RouteReason.NEEDS_ROUTING,
    )
    queue = await client.get("/api/v1/tickets", params={"unrouted": "true"}, headers=tenant.headers())
    assert [t["id"] for t in queue.json()["items"]] == [ticket_id]
    still = await client.post(f"/api/v1/tickets/{ticket_id}/route", headers=tenant.headers())
    assert still.status_code == 409
    assert still.json()["error"]["code"] == "address_unresolved"
    async with database.transaction() as session:
        assert ticket.order_id is not None
        await orders_service.do_fix_address(
            session, tenant.subject, ticket.order_id, AddressFix(district_code="330106")
        )
    routed = await client.post(f"/api/v1/tickets/{ticket_id}/route", headers=tenant.headers())
    assert routed.status_code == 200, routed.text
    assert routed.json()["assignee_id"] == tenant.dealer_id
    assert routed.json()["route_reason"] == "district_dealer"


async def test_the_lifecycle_is_enforced_and_every_move_is_recorded(database: Database, tenant: TenantFixture) -> None:
    sku = f"AF5-{tenant.slug}"
    await set_up_dealer(
        database, tenant, organization_id=tenant.dealer_id, code=f"X{tenant.tenant_id}", regions=["330106"]
    )
    subject = tenant.subject
    ticket_id = await open_ticket(database, subject, "F1", sku, XIHU.format(1), now=NOW)
    with pytest.raises(Conflict) as refused:
        async with database.transaction() as session:
            await service.do_resolve(session, subject, ticket_id, ResolveTicket(notes="x"), now=NOW)
    assert refused.value.code == "invalid_ticket_transition"
    visit = ScheduleVisit(start=NOW + timedelta(hours=3), end=NOW + timedelta(hours=5))
    async with database.transaction() as session:
        await service.do_accept(session, subject, ticket_id, now=NOW + timedelta(hours=1))
        await service.do_schedule(session, subject, ticket_id, visit, now=NOW + timedelta(hours=1))
        await service.do_start(session, subject, ticket_id, now=NOW + timedelta(hours=3))
        await service.do_resolve(
            session, subject, ticket_id, ResolveTicket(notes="已上门安装并试机"), now=NOW + timedelta(hours=4)
        )
        await service.do_close(session, subject, ticket_id, now=NOW + timedelta(days=1))
    async with database.transaction(write=False) as session:
        detail = await service.ticket_detail(session, subject, ticket_id)
    assert detail.status == TicketStatus.CLOSED
    assert detail.resolution_notes == "已上门安装并试机"
    assert [(e.action, e.to_status) for e in detail.events] == [
        ("opened", TicketStatus.NEW),
        ("routed", TicketStatus.ASSIGNED),
        ("accept", TicketStatus.ACCEPTED),
        ("schedule", TicketStatus.SCHEDULED),
        ("start", TicketStatus.IN_SERVICE),
        ("resolve", TicketStatus.RESOLVED),
        ("close", TicketStatus.CLOSED),
    ]


async def test_missed_deadlines_escalate_and_cost_the_penalty_exactly_once(
    database: Database, tenant: TenantFixture
) -> None:
    sku = f"AF5-{tenant.slug}"
    await set_up_dealer(
        database, tenant, organization_id=tenant.dealer_id, code=f"X{tenant.tenant_id}", regions=["330106"]
    )
    subject = tenant.subject
    ticket_id = await open_ticket(database, subject, "D1", sku, XIHU.format(1), now=NOW)
    async with database.transaction() as session:
        assert await service.check_deadlines(session, subject, NOW + timedelta(hours=3, minutes=59)) == []
    async with database.transaction() as session:
        found = await service.check_deadlines(session, subject, NOW + timedelta(hours=5))
    assert [(b.ticket_id, b.kind, b.penalty_fen) for b in found] == [(ticket_id, "response", 5000)]
    ticket = await _ticket(database, ticket_id)
    assert ticket.escalated_at == NOW + timedelta(hours=5)
    assert ticket.status == TicketStatus.ASSIGNED
    for later in (NOW + timedelta(hours=6), NOW + timedelta(hours=7)):
        async with database.transaction() as session:
            assert await service.check_deadlines(session, subject, later) == []
    # Accepted late and never resolved: the resolution deadline (48 h) is missed once too.
    async with database.transaction() as session:
        await service.do_accept(session, subject, ticket_id, now=NOW + timedelta(hours=8))
        found = await service.check_deadlines(session, subject, NOW + timedelta(hours=49))
        again = await service.check_deadlines(session, subject, NOW + timedelta(hours=60))
    assert [b.kind for b in found] == ["resolution"]
    assert again == []
    async with database.transaction(write=False) as session:
        breaches = (
            await session.execute(select(DeadlineBreach).where(DeadlineBreach.ticket_id == ticket_id))
        ).scalars()
        assert sorted((b.kind, b.penalty_fen, b.assignee_id) for b in breaches) == [
            ("resolution", 5000, tenant.dealer_id),
            ("response", 5000, tenant.dealer_id),
        ]
        detail = await service.ticket_detail(session, subject, ticket_id)
    assert [e.action for e in detail.events].count("deadline_missed") == 2
    assert [e.action for e in detail.events].count("escalate") == 1


async def test_dealer_staff_see_and_serve_only_their_own_tickets_and_orders(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    sku = f"AF5-{tenant.slug}"
    mine = await set_up_dealer(
        database, tenant, organization_id=tenant.dealer_id, code=f"X{tenant.tenant_id}", regions=["330106"]
    )
    await set_up_dealer(database, tenant, code=f"G{tenant.tenant_id}", regions=["440106"])
    subject = tenant.subject
    own = await open_ticket(database, subject, "I1", sku, XIHU.format(1), now=datetime.now(UTC))
    other = await open_ticket(database, subject, "I2", sku, "广东省广州市天河区体育西路1号", now=datetime.now(UTC))
    csrf = await console_login(client, tenant.member_emails[Role.DEALER_STAFF])
    headers = {"X-CSRF-Token": csrf}
    listed = (await client.get("/api/v1/tickets")).json()["items"]
    assert [t["id"] for t in listed] == [own]
    assert (await client.get(f"/api/v1/tickets/{other}")).status_code == 404
    assert (await client.post(f"/api/v1/tickets/{other}/accept", json={}, headers=headers)).status_code == 404
    accepted = await client.post(f"/api/v1/tickets/{own}/accept", json={"note": "收到"}, headers=headers)
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    # Brand-only moves stay with the brand.
    cancel = await client.post(f"/api/v1/tickets/{own}/cancel", json={}, headers=headers)
    assert cancel.status_code == 403
    orders = (await client.get("/api/v1/orders")).json()["items"]
    assert {o["order_no"] for o in orders} == {"I1"}
    assert all(o["dealer_id"] == mine for o in orders)
    assert (await client.get("/api/v1/products")).status_code == 403
    dealers = (await client.get("/api/v1/dealers")).json()
    assert [d["organization_id"] for d in dealers] == [mine]


async def test_the_scheduled_check_runs_once_per_tenant_and_is_registered_with_the_queue(
    database: Database, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    from livebridge.service_desk import tasks
    from livebridge.worker.registry import TASK_MODULES

    assert tasks.__name__ in TASK_MODULES
    assert callable(tasks.check_deadlines.call_local)
    for fixture in (tenant, other_tenant):
        await set_up_dealer(
            database, fixture, organization_id=fixture.dealer_id, code=f"S{fixture.tenant_id}", regions=["330106"]
        )
        await open_ticket(database, fixture.subject, "S1", f"AF5-{fixture.slug}", XIHU.format(1), now=NOW)
    later = NOW + timedelta(hours=5)
    found = await service.check_deadlines_of_all_tenants(database, later, tenant.slug)
    assert [(slug, b.kind) for slug, b in found] == [(tenant.slug, "response")]
    everywhere = await service.check_deadlines_of_all_tenants(database, later)
    slugs = {slug for slug, _ in everywhere}
    assert other_tenant.slug in slugs
    assert tenant.slug not in slugs
