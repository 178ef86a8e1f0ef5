"""Pain points: after-sale reasons ranked with their product, sessions and host; spikes; return rates."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from livebridge.catalog import service as catalog_service
from livebridge.catalog.schemas import ProductCreate, SkuCreate
from livebridge.db import Database
from livebridge.models import Role
from livebridge.orders import painpoints, service
from tests.factories import TenantFixture, console_login
from tests.network import order_row

START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)


def _request(no: str, order_no: str, kind: str, reason: str, applied: str, text: str = "") -> dict[str, object]:
    return {
        "request_no": no,
        "order_no": order_no,
        "type": kind,
        "reason_text": reason,
        "description": text,
        "status": "待商家同意",
        "applied_at": applied,
    }


async def _load(database: Database, tenant: TenantFixture) -> None:
    async with database.transaction() as session:
        heater = await catalog_service.do_create_product(
            session,
            tenant.subject,
            ProductCreate(
                name="暖家燃气热水器 X200",
                category="大家电",
                skus=[SkuCreate(code=f"X200-{tenant.slug}", spec="13L", price_fen=259900)],
            ),
        )
        orders = [
            (
                i + 2,
                order_row(
                    f"H{i}",
                    heater.skus[0].code,
                    "浙江省杭州市西湖区文三路1号",
                    session_id=str(tenant.session_id),
                    paid_at="2026-11-05 20:00:00",
                ),
            )
            for i in range(6)
        ] + [
            (
                10 + i,
                order_row(f"F{i}", f"AF5-{tenant.slug}", "浙江省杭州市西湖区文三路2号", paid_at="2026-11-06 20:00:00"),
            )
            for i in range(2)
        ]
        await service.do_import_orders(session, tenant.subject, orders)
        requests = [
            _request(f"R{i}", f"H{i}", "维修", "漏水", f"2026-11-1{i} 10:00:00", "热水器底部漏水") for i in range(4)
        ] + [
            _request("R8", "F0", "维修", "漏水", "2026-11-15 10:00:00", "炸锅漏油"),
            _request("R9", "F0", "退货退款", "质量问题", "2026-11-16 10:00:00", "涂层脱落"),
            _request("R10", "F1", "退货退款", "质量问题", "2026-11-17 10:00:00"),
            _request("R11", "H5", "维修", "漏水", "2026-10-20 10:00:00"),  # the previous period
        ]
        await service.do_import_after_sales(session, tenant.subject, list(enumerate(requests, start=2)))


async def test_pain_points_rank_reasons_with_product_sessions_host_spikes_and_rates(
    database: Database, tenant: TenantFixture
) -> None:
    await _load(database, tenant)
    async with database.transaction(write=False) as session:
        report = await painpoints.pain_points(session, tenant.subject, START, END)
    leak, quality = report.points
    assert (leak.reason, leak.count, leak.previous_count, leak.is_spike) == ("漏水", 5, 1, True)
    assert (leak.top_product, leak.top_product_share) == ("暖家燃气热水器 X200", 0.8)
    assert (leak.sessions, leak.top_host, leak.top_host_sessions) == (1, "小暖", 1)
    assert leak.examples[0] == "热水器底部漏水"
    assert (quality.reason, quality.count, quality.is_spike) == ("质量问题", 2, False)
    rates = {r.name: (r.orders, r.returns) for r in report.products}
    assert rates == {"空气炸锅 AF5": (2, 2), "暖家燃气热水器 X200": (6, 0)}
    assert [(r.key_id, r.orders, r.returns) for r in report.sessions] == [(tenant.session_id, 6, 0)]


async def test_pain_points_in_the_api_and_console_and_not_for_dealer_staff(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    await _load(database, tenant)
    response = await client.get(
        "/api/v1/pain-points", params={"start_date": "2026-11-01", "end_date": "2026-11-21"}, headers=tenant.headers()
    )
    assert response.status_code == 200, response.text
    assert response.json()["points"][0]["reason"] == "漏水"
    await console_login(client, tenant.owner_email)
    page = await client.get("/pain-points?start_date=2026-11-01&end_date=2026-11-21")
    assert "漏水" in page.text
    assert "激增" in page.text
    await console_login(client, tenant.member_emails[Role.DEALER_STAFF])
    assert (await client.get("/api/v1/pain-points")).status_code == 403
