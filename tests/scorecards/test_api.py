"""The scorecard API and console: ranking, one host, comparison, weights, Excel, tenant isolation."""

from __future__ import annotations

import io
from decimal import Decimal

import httpx
from openpyxl import load_workbook

from livebridge.db import Database
from livebridge.models import ApiKeyRole
from livebridge.tenancy import service as tenancy_service
from livebridge.tenancy.schemas import ApiKeyCreate
from tests.factories import TenantFixture, console_login
from tests.scorecards.conftest import World

AUGUST = {"date_from": "2026-08-01", "date_to": "2026-08-31"}


async def test_ranking_is_paginated_and_ranked(client: httpx.AsyncClient, world: World) -> None:
    headers = world.tenant.headers()
    full = await client.get("/api/v1/scorecards/hosts", params=AUGUST, headers=headers)
    assert full.status_code == 200, full.text
    body = full.json()
    assert body["period"] == {**AUGUST, "timezone": "Asia/Shanghai"}
    assert [(i["rank"], i["host_id"]) for i in body["items"]] == [(1, world.host_a), (2, world.host_b)]
    a = body["items"][0]
    assert (a["net_gmv_fen"], a["orders"], a["refund_rate_bp"]) == (20_000, 6, 5_000)
    # By today every August buyer has had 90 days: v1 v2 v5 bought again, v4 did not.
    assert a["repurchase_90d"] == {"rate_bp": 7_500, "repeat_buyers": 3, "cohort": 4}
    assert a["authenticity_index"] is None
    assert "authenticity" in body["excluded_metrics"]
    page = await client.get("/api/v1/scorecards/hosts", params={**AUGUST, "page": 2, "page_size": 1},
                            headers=headers)
    assert [i["host_id"] for i in page.json()["items"]] == [world.host_b]
    assert page.json()["pagination"] == {"total_count": 2, "page": 2, "page_size": 1, "max_page": 2}
    brands = await client.get("/api/v1/scorecards/hosts", params={**AUGUST, "by": "host_brand"}, headers=headers)
    assert brands.json()["pagination"]["total_count"] == 3


async def test_bad_periods_and_host_counts_are_refused_with_a_code(client: httpx.AsyncClient, world: World) -> None:
    headers = world.tenant.headers()
    reversed_ = await client.get("/api/v1/scorecards/hosts",
                                 params={"date_from": "2026-09-01", "date_to": "2026-08-01"}, headers=headers)
    assert reversed_.status_code == 422
    assert reversed_.json()["error"] | {"message": ""} == {"code": "period_reversed", "field": "date_from",
                                                           "message": ""}
    too_long = await client.get("/api/v1/scorecards/hosts", params={"date_from": "2025-01-01",
                                                                     "date_to": "2026-08-01"}, headers=headers)
    assert too_long.json()["error"]["code"] == "period_too_long"
    one = await client.get("/api/v1/scorecards/compare", params={"host_ids": [world.host_a]}, headers=headers)
    assert one.status_code == 422
    assert one.json()["error"]["code"] == "compare_host_count"
    six = await client.get("/api/v1/scorecards/compare", params={"host_ids": [1, 2, 3, 4, 5, 6]}, headers=headers)
    assert six.json()["error"]["code"] == "compare_host_count"
    unknown = await client.get("/api/v1/scorecards/hosts", params={"by": "dealer"}, headers=headers)
    assert unknown.status_code == 422
    assert unknown.json()["error"]["field"] == "by"


async def test_compare_and_host_detail(client: httpx.AsyncClient, world: World) -> None:
    headers = world.tenant.headers()
    compared = await client.get("/api/v1/scorecards/compare",
                                params={**AUGUST, "host_ids": [world.host_b, world.host_a]}, headers=headers)
    assert compared.status_code == 200, compared.text
    hosts = compared.json()["hosts"]
    assert [h["host_id"] for h in hosts] == [world.host_b, world.host_a]  # in the order asked
    assert [h["rank"] for h in hosts] == [2, 1]
    assert len(compared.json()["by_brand"]) == 3
    detail = await client.get(f"/api/v1/scorecards/hosts/{world.host_a}", params=AUGUST, headers=headers)
    assert detail.json()["hosts"][0]["gmv_fen"] == 53_000
    assert sorted(r["net_gmv_fen"] for r in detail.json()["by_brand"]) == [8_000, 12_000]


async def test_weights_are_kept_per_tenant_and_checked(
    client: httpx.AsyncClient, database: Database, world: World, other_tenant: TenantFixture
) -> None:
    headers = world.tenant.headers()
    default = await client.get("/api/v1/scorecards/weights", headers=headers)
    assert default.json()["is_default"] is True
    assert default.json()["weights"]["net_gmv"] == 30
    for body, field in (({"orders": 101}, "orders"), ({"orders": -1}, "orders"), ({"followers": 5}, "followers")):
        refused = await client.put("/api/v1/scorecards/weights", json=body, headers=headers)
        assert refused.status_code == 422, body
        assert refused.json()["error"]["field"] == field
    zero = await client.put("/api/v1/scorecards/weights", json=dict.fromkeys(default.json()["weights"], 0),
                            headers=headers)
    assert zero.status_code == 422
    assert "At least one weight" in zero.json()["error"]["message"]
    volume_only = dict.fromkeys(default.json()["weights"], 0) | {"orders": 10}
    saved = await client.put("/api/v1/scorecards/weights", json=volume_only, headers=headers)
    assert saved.status_code == 200, saved.text
    assert saved.json() == {"weights": volume_only, "is_default": False}
    ranking = await client.get("/api/v1/scorecards/hosts", params=AUGUST, headers=headers)
    assert [(i["host_id"], i["score"]) for i in ranking.json()["items"]] == [(world.host_a, 100.0),
                                                                             (world.host_b, 0.0)]
    theirs = await client.get("/api/v1/scorecards/weights", headers=other_tenant.headers())
    assert theirs.json()["is_default"] is True
    async with database.transaction() as session:
        analyst = await tenancy_service.do_create_api_key(
            session, world.tenant.subject, ApiKeyCreate(name="analyst", role=ApiKeyRole.ANALYST))
    forbidden = await client.put("/api/v1/scorecards/weights", json=volume_only,
                                 headers=world.tenant.headers(analyst.key))
    assert forbidden.status_code == 403


async def test_another_tenant_sees_none_of_these_hosts(
    client: httpx.AsyncClient, world: World, other_tenant: TenantFixture
) -> None:
    theirs = await client.get("/api/v1/scorecards/hosts", params=AUGUST, headers=other_tenant.headers())
    assert theirs.json()["items"] == []
    targets: list[tuple[str, dict[str, str | list[int]]]] = [
        (f"/api/v1/scorecards/hosts/{world.host_a}", {**AUGUST}),
        ("/api/v1/scorecards/compare", {**AUGUST, "host_ids": [world.host_a, other_tenant.host_id]}),
    ]
    for path, params in targets:
        response = await client.get(path, params=params, headers=other_tenant.headers())
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "host_not_found"
    ours = await client.get("/api/v1/scorecards/compare",
                            params={**AUGUST, "host_ids": [world.host_a, other_tenant.host_id]},
                            headers=world.tenant.headers())
    assert ours.status_code == 404


async def test_excel_export_holds_the_figures(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get("/api/v1/scorecards/export.xlsx", params=AUGUST, headers=world.tenant.headers())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="scorecards-2026-08-01-2026-08-31.xlsx"' in response.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["主播排名", "主播×品牌", "权重与说明"]
    ranking = workbook["主播排名"]
    header = [cell.value for cell in ranking[1]]
    rows = [dict(zip(header, (cell.value for cell in row), strict=True)) for row in ranking.iter_rows(min_row=2)]
    assert [(r["排名 Rank"], r["主播 Host"]) for r in rows] == [(1, "小暖"), (2, "阿杰说家电")]
    a = rows[0]
    assert Decimal(str(a["净成交额(元) Net GMV"])) == Decimal("200.00")
    assert Decimal(str(a["成交额(元) GMV"])) == Decimal("530.00")
    assert Decimal(str(a["退款率 Refund rate"])) == Decimal("0.5")
    assert a["真实性指数 Authenticity"] == "暂无"
    assert a["90天复购/可观察买家"] == "3/4"
    assert ranking.cell(row=2, column=header.index("净成交额(元) Net GMV") + 1).number_format == "#,##0.00"
    brands = workbook["主播×品牌"]
    assert brands.max_row == 4  # header + 3 host × brand rows
    about = workbook["权重与说明"]
    assert about["B1"].value == "2026-08-01 – 2026-08-31 (Asia/Shanghai)"


async def test_console_ranking_and_weights_form(client: httpx.AsyncClient, world: World) -> None:
    csrf = await console_login(client, world.tenant.owner_email)
    page = await client.get("/scorecards", params=AUGUST)
    assert page.status_code == 200
    assert "主播成绩单" in page.text
    assert "阿杰说家电" in page.text
    assert "暂无" in page.text
    refused = await client.post("/scorecards/weights", data={"csrf_token": csrf, "orders": "200"})
    assert refused.status_code == 422
    assert "100" in refused.text
    saved = await client.post("/scorecards/weights", data={"csrf_token": csrf, "orders": "50", "net_gmv": "50"})
    assert saved.status_code == 303
    weights = await client.get("/api/v1/scorecards/weights")
    assert (weights.json()["weights"]["orders"], weights.json()["weights"]["net_gmv"]) == (50, 50)
    compare = await client.get("/scorecards/compare", params={**AUGUST, "host_ids": [world.host_a, world.host_b]})
    assert compare.status_code == 200
    assert 'id="score-chart"' in compare.text
