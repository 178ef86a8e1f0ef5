"""Order and after-sale imports: row errors, idempotent re-import, flags, masked phones, formats, attribution."""

from __future__ import annotations

import io

import httpx
import orjson
from openpyxl import Workbook
from sqlalchemy import select

from livebridge.db import Database
from livebridge.models import AfterSaleRequest, DealerAttribution, Order, RoutingState, TrafficSource
from livebridge.orders import service
from livebridge.orders.formats import read_rows
from livebridge.orders.schemas import ImportReport
from tests.factories import TenantFixture
from tests.network import order_row, set_up_dealer

DOUYIN_HEADER = (
    "主订单编号,子订单编号,店铺名称,商家编码,商品数量,订单应付金额,买家ID,收件人手机号,省,市,区,街道,详细地址,"
    "订单状态,订单提交时间,支付完成时间,直播间ID,达人昵称,流量来源\n"
)


def douyin_csv(sku_code: str, *, room_id: str = "") -> bytes:
    rows = [
        f"P1,S1,暖家官方旗舰店,{sku_code},1,299.90,u1,13812345678,浙江省,杭州市,西湖区,文新街道,"
        f"文三路138号 电话13812345678,已完成,2026-11-20 20:15:00,2026-11-20 20:16:02,{room_id},小暖,直播",
        f"P2,S2,暖家官方旗舰店,{sku_code},2,abc,u2,13900001111,浙江省,杭州市,西湖区,,文一路1号,已完成,"
        "2026-11-20 20:17:00,2026-11-20 20:17:30,,,直播",
        f"P3,,暖家官方旗舰店,{sku_code},1,99,u3,,广东省,广州市,天河区,,体育西路1号,已完成,2026-11-20 20:18:00,,,,直播",
        "P4,S4,暖家官方旗舰店,UNKNOWN-SKU,1,59.5,u4,,,,,,火星基地一号,已支付,2026-11-20 20:19:00,,,,直播",
    ]
    return (DOUYIN_HEADER + "\n".join(rows) + "\n").encode("utf-8")


async def _import(database: Database, tenant: TenantFixture, data: bytes, name: str) -> ImportReport:
    async with database.transaction() as session:
        return await service.do_import_orders(session, tenant.subject, list(read_rows(data, name)))


async def _orders(database: Database, tenant_id: int) -> dict[str, Order]:
    async with database.transaction(write=False) as session:
        rows = (await session.execute(select(Order).where(Order.tenant_id == tenant_id))).scalars()
        return {order.order_no: order for order in rows}


async def test_douyin_export_keeps_valid_rows_and_reports_bad_ones_by_row(
    database: Database, tenant: TenantFixture
) -> None:
    sku = f"AF5-{tenant.slug}"
    report = await _import(database, tenant, douyin_csv(sku), "抖店订单.csv")
    assert (report.rows, report.created, report.error_count) == (4, 2, 2)
    assert {(e.row, e.field, e.code) for e in report.errors} == {
        (3, "paid_yuan", "not_an_amount"),
        (4, "order_no", "missing_field"),
    }
    orders = await _orders(database, tenant.tenant_id)
    assert set(orders) == {"S1", "S4"}
    first = orders["S1"]
    assert first.paid_fen == 29990  # yuan with decimals, stored exactly in fen
    assert (first.province_code, first.city_code, first.district_code) == ("330000", "330100", "330106")
    assert first.routing_state == RoutingState.ROUTED
    assert first.product_id == tenant.product_id
    assert first.host_id == tenant.host_id
    assert first.flags == []
    # Phone numbers are never stored in clear: masked in the phone column and inside the address text.
    assert first.receiver_phone_masked == "138****5678"
    stored = orjson.dumps({c.name: getattr(first, c.name) for c in Order.__table__.columns}, default=str)
    assert b"13812345678" not in stored
    assert b"138****5678" in stored
    assert first.buyer_hash != "u1"
    assert len(first.buyer_hash) == 64
    # An unknown SKU and an address without any district are kept and flagged, in the needs-routing queue.
    unknown = orders["S4"]
    assert set(unknown.flags) == {"unknown_sku", "address_unresolved"}
    assert unknown.routing_state == RoutingState.NEEDS_ROUTING
    assert unknown.product_id is None


async def test_reimporting_the_same_file_changes_nothing(database: Database, tenant: TenantFixture) -> None:
    data = douyin_csv(f"AF5-{tenant.slug}")
    await _import(database, tenant, data, "orders.csv")
    before = {no: (o.id, o.updated_at, o.content_hash) for no, o in (await _orders(database, tenant.tenant_id)).items()}
    again = await _import(database, tenant, data, "orders.csv")
    assert (again.created, again.updated, again.unchanged, again.error_count) == (0, 0, 2, 2)
    after = {no: (o.id, o.updated_at, o.content_hash) for no, o in (await _orders(database, tenant.tenant_id)).items()}
    assert after == before
    changed = data.replace(b"299.90", b"289.90")
    third = await _import(database, tenant, changed, "orders.csv")
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    assert (await _orders(database, tenant.tenant_id))["S1"].paid_fen == 28990


async def test_excel_and_ndjson_give_the_same_orders(database: Database, tenant: TenantFixture) -> None:
    sku = f"AF5-{tenant.slug}"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        ["子订单编号", "店铺名称", "商家编码", "商品数量", "订单应付金额", "收货地址", "订单状态", "订单提交时间"]
    )
    sheet.append(
        ["7300000000000000001", "旗舰店", sku, 1, 299.9, "北京市朝阳区建国路88号", "已发货", "2026-11-20 20:15:00"]
    )
    # A 19-digit id typed as a number has already lost its last digits in Excel: refused, not guessed.
    sheet.append([7300000000000000003, "旗舰店", sku, 1, 10, "北京市朝阳区建国路88号", "已发货", "2026-11-20 20:15:00"])
    buffer = io.BytesIO()
    book.save(buffer)
    report = await _import(database, tenant, buffer.getvalue(), "export.xlsx")
    assert report.created == 1
    assert [(e.row, e.field, e.code) for e in report.errors] == [(3, "order_no", "imprecise_number")]
    line = {
        "order_no": "N-1",
        "shop": "旗舰店",
        "sku_code": sku,
        "quantity": 1,
        "paid_fen": 29990,
        "address": "北京朝阳区建国路88号",
        "status": "3",
        "created_at": 1795000000,
    }
    bad = {
        "order_no": "N-2",
        "shop": "旗舰店",
        "sku_code": sku,
        "quantity": 0,
        "paid_fen": 1,
        "address": "北京朝阳区",
        "status": "3",
        "created_at": 1795000000,
    }
    data = orjson.dumps(line) + b"\nnot json\n" + orjson.dumps(bad) + b"\n"
    report = await _import(database, tenant, data, "orders.ndjson")
    assert report.created == 1
    assert {(e.row, e.code) for e in report.errors} == {(2, "invalid_line"), (3, "out_of_range")}
    orders = await _orders(database, tenant.tenant_id)
    excel, ndjson = orders["7300000000000000001"], orders["N-1"]
    assert excel.paid_fen == ndjson.paid_fen == 29990
    assert excel.district_code == ndjson.district_code == "110105"


async def test_unknown_session_is_flagged_and_live_orders_go_to_the_territory_dealer(
    database: Database, tenant: TenantFixture
) -> None:
    sku = f"AF5-{tenant.slug}"
    province_dealer = await set_up_dealer(database, tenant, code=f"ZJ{tenant.tenant_id}", regions=["330000"])
    await set_up_dealer(
        database, tenant, organization_id=tenant.dealer_id, code=f"XH{tenant.tenant_id}", regions=["330106"]
    )
    rows = [
        (2, order_row("L1", sku, "浙江省杭州市西湖区文三路1号", room_id="9999")),  # unknown room
        (3, order_row("L2", sku, "浙江省宁波市海曙区中山西路1号", session_id=str(tenant.session_id))),
        (4, order_row("L3", sku, "浙江省杭州市西湖区文三路2号", dealer_code=f"ZJ{tenant.tenant_id}")),
        (5, order_row("L4", sku, "浙江省杭州市西湖区文三路3号", traffic_source="商城")),
        (6, order_row("L5", sku, "浙江省杭州市西湖区文三路4号", dealer_code="NOPE")),
    ]
    async with database.transaction() as session:
        report = await service.do_import_orders(session, tenant.subject, rows)
    assert report.created == 5
    assert report.flagged == 2
    orders = await _orders(database, tenant.tenant_id)
    assert orders["L1"].flags == ["unknown_session"]
    assert orders["L1"].session_id is None
    assert orders["L1"].traffic_source == TrafficSource.LIVE
    # most specific delivery territory: the district dealer in 西湖区, the province dealer in 宁波
    assert (orders["L1"].dealer_id, orders["L1"].dealer_attribution) == (tenant.dealer_id, DealerAttribution.TERRITORY)
    assert orders["L2"].session_id == tenant.session_id
    assert orders["L2"].host_id == tenant.host_id
    assert orders["L2"].dealer_id == province_dealer
    assert (orders["L3"].dealer_id, orders["L3"].dealer_attribution) == (province_dealer, DealerAttribution.DEALER_CODE)
    assert orders["L4"].dealer_id is None  # not a live order
    assert orders["L5"].flags == ["unknown_dealer_code"]
    assert orders["L5"].dealer_id == tenant.dealer_id


async def test_api_import_and_the_needs_routing_queue(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    files = {"file": ("抖店订单.csv", douyin_csv(f"AF5-{tenant.slug}"), "text/csv")}
    response = await client.post("/api/v1/orders/import", files=files, headers=tenant.headers())
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["error_count"]) == (2, 2)
    assert body["errors"][0] == {
        "row": 3,
        "code": "not_an_amount",
        "field": "paid_yuan",
        "message": "paid_yuan is not an amount in yuan: 'abc'",
    }
    queue = await client.get("/api/v1/orders", params={"routing_state": "needs_routing"}, headers=tenant.headers())
    [stuck] = queue.json()["items"]
    assert stuck["order_no"] == "S4"
    fixed = await client.post(
        f"/api/v1/orders/{stuck['id']}/address", json={"district_code": "330106"}, headers=tenant.headers()
    )
    assert fixed.status_code == 200
    assert fixed.json()["routing_state"] == "routed"
    assert fixed.json()["flags"] == ["unknown_sku"]
    bad = await client.post(
        f"/api/v1/orders/{stuck['id']}/address", json={"district_code": "999999"}, headers=tenant.headers()
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "unknown_region"
    unreadable = await client.post(
        "/api/v1/orders/import", files={"file": ("orders.pdf", b"%PDF", "application/pdf")}, headers=tenant.headers()
    )
    assert unreadable.status_code == 422
    assert unreadable.json()["error"]["field"] == "file"


async def test_after_sale_import_masks_descriptions_and_flags_unknown_orders(
    database: Database, tenant: TenantFixture
) -> None:
    sku = f"AF5-{tenant.slug}"
    async with database.transaction() as session:
        await service.do_import_orders(
            session, tenant.subject, [(2, order_row("A1", sku, "浙江省杭州市西湖区文三路1号"))]
        )
        header = "售后单号,子订单编号,售后类型,售后原因,问题描述,退款金额,售后状态,申请时间\n"
        data = (
            header + "R1,A1,维修,漏水,热水器漏水 请联系13812345678,0,6,2026-11-21 10:00:00\n"
            "R2,ZZZ,仅退款,不想要了,,29.9,退款成功,2026-11-21 11:00:00\n"
            "R3,A1,拆机,?,,0,6,2026-11-21 11:00:00\n"
        ).encode()
        report = await service.do_import_after_sales(session, tenant.subject, list(read_rows(data, "售后.csv")))
    assert (report.created, report.flagged, report.error_count) == (2, 1, 1)
    assert report.errors[0].row == 4
    assert report.errors[0].field == "type"
    async with database.transaction(write=False) as session:
        requests = {
            r.request_no: r
            for r in (
                await session.execute(select(AfterSaleRequest).where(AfterSaleRequest.tenant_id == tenant.tenant_id))
            ).scalars()
        }
    assert requests["R1"].description == "热水器漏水 请联系138****5678"
    assert requests["R1"].status == "requested"
    assert requests["R1"].order_id is not None
    assert requests["R2"].flags == ["unknown_order"]
    assert requests["R2"].amount_fen == 2990


async def test_outside_every_territory_a_session_co_hosted_by_a_dealer_earns_its_orders(
    database: Database, tenant: TenantFixture
) -> None:
    from datetime import UTC, datetime

    from livebridge.live import service as live_service
    from livebridge.live.schemas import HostCreate, SessionCreate
    from livebridge.models import Platform

    sku = f"AF5-{tenant.slug}"
    await set_up_dealer(
        database, tenant, organization_id=tenant.dealer_id, code=f"X{tenant.tenant_id}", regions=["330106"]
    )
    async with database.transaction() as session:
        installer = await live_service.do_create_host(
            session,
            tenant.subject,
            HostCreate(name="陈师傅", platform=Platform.DOUYIN, organization_id=tenant.dealer_id),
        )
        joint = await live_service.do_create_session(
            session,
            tenant.subject,
            SessionCreate(
                title="经销商联播",
                platform=Platform.DOUYIN,
                platform_room_id="880",
                scheduled_start_at=datetime(2026, 11, 20, 12, tzinfo=UTC),
                host_ids=[tenant.host_id, installer.id],
            ),
        )
        rows = [
            (2, order_row("J1", sku, "广东省广州市天河区体育西路1号", room_id="880")),
            (3, order_row("J2", sku, "浙江省杭州市西湖区文三路1号", session_id=str(joint.id))),
        ]
        await service.do_import_orders(session, tenant.subject, rows)
    orders = await _orders(database, tenant.tenant_id)
    assert (orders["J1"].dealer_id, orders["J1"].dealer_attribution) == (tenant.dealer_id, DealerAttribution.CO_HOST)
    assert orders["J1"].session_id == joint.id
    assert orders["J1"].host_id == tenant.host_id
    assert orders["J2"].dealer_attribution == DealerAttribution.TERRITORY
