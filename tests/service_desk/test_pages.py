"""Console pages of after-sales: the brand's views, the dealer portal, forms and their errors."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from livebridge.db import Database
from livebridge.models import Role
from tests.factories import TenantFixture, console_login
from tests.network import open_ticket, set_up_dealer


async def test_brand_pages_show_tickets_orders_dealers_and_refuse_a_taken_territory(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    sku = f"AF5-{tenant.slug}"
    mine = await set_up_dealer(
        database, tenant, organization_id=tenant.dealer_id, code=f"X{tenant.tenant_id}", regions=["330106"]
    )
    other = await set_up_dealer(database, tenant, name="城区服务部", code=f"C{tenant.tenant_id}", regions=[])
    ticket_id = await open_ticket(
        database, tenant.subject, "P1", sku, "浙江省杭州市西湖区文三路1号", now=datetime.now(UTC)
    )
    await open_ticket(database, tenant.subject, "P2", sku, "火星基地", now=datetime.now(UTC))
    csrf = await console_login(client, tenant.owner_email)
    tickets = await client.get("/tickets")
    assert tickets.status_code == 200
    assert f"#{ticket_id}" in tickets.text
    assert "待分派" in tickets.text
    page = await client.get(f"/tickets/{ticket_id}")
    assert page.status_code == 200
    assert "区县经销商" in page.text
    assert "浙江省 杭州市 西湖区" in page.text
    orders = await client.get("/orders?routing_state=needs_routing")
    assert "P2" in orders.text
    assert "P1" not in orders.text
    assert "地址未解析" in orders.text
    dealers = await client.get("/dealers")
    assert "浙江省 杭州市 西湖区" in dealers.text
    detail = await client.get(f"/dealers/{mine}")
    assert "v1" in detail.text
    assert "3.00%" in detail.text
    refused = await client.post(
        f"/dealers/{other}/territories", data={"region_code": "330106", "capability": "repair", "csrf_token": csrf}
    )
    assert refused.status_code == 422
    assert f"该区域的这项服务已由经销商 {tenant.slug}负责" in refused.text


async def test_dealer_staff_land_in_their_portal_and_move_their_ticket(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    sku = f"AF5-{tenant.slug}"
    await set_up_dealer(
        database, tenant, organization_id=tenant.dealer_id, code=f"X{tenant.tenant_id}", regions=["330106"]
    )
    await set_up_dealer(database, tenant, code=f"G{tenant.tenant_id}", regions=["440106"])
    own = await open_ticket(database, tenant.subject, "Q1", sku, "浙江省杭州市西湖区文三路1号", now=datetime.now(UTC))
    foreign = await open_ticket(
        database, tenant.subject, "Q2", sku, "广东省广州市天河区体育西路1号", now=datetime.now(UTC)
    )
    csrf = await console_login(client, tenant.member_emails[Role.DEALER_STAFF])
    home = await client.get("/", follow_redirects=True)
    assert str(home.url).endswith("/portal")
    assert f"#{own}" in home.text
    assert f"#{foreign}" not in home.text
    assert "经销商门户" in home.text
    assert "商品" not in home.text.split("<main")[0]
    assert (await client.get(f"/tickets/{foreign}")).status_code == 404
    accepted = await client.post(f"/tickets/{own}/accept", data={"csrf_token": csrf, "note": "马上联系客户"})
    assert accepted.status_code == 303
    bad = await client.post(
        f"/tickets/{own}/schedule", data={"csrf_token": csrf, "start": "2030-01-01T10:00", "end": "2030-01-01T09:00"}
    )
    assert bad.status_code == 422
    assert "结束时间必须晚于开始时间" in bad.text
    illegal = await client.post(f"/tickets/{own}/resolve", data={"csrf_token": csrf, "notes": "x"})
    assert illegal.status_code == 409
    page = await client.get(f"/tickets/{own}")
    assert "马上联系客户" in page.text
    assert "已接单" in page.text
