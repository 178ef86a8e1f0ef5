"""Console pages: Chinese by default, English on request, form errors in the user's language."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
from babel.messages.pofile import read_po

from livebridge.web.i18n import po_path
from tests.factories import TenantFixture, console_login

ROOT = Path(__file__).resolve().parents[2]


def field_errors(html: str) -> dict[str, str]:
    """Field name → the error shown under it, read from the rendered form."""
    errors = {}
    for chunk in html.split('<div class="field')[1:]:
        name = re.search(r'id="f-(\w+)"', chunk)
        error = re.search(r'<div class="error" role="alert">([^<]+)</div>', chunk)
        if name and error:
            errors[name.group(1)] = error.group(1)
    return errors


async def test_pages_render_in_chinese_then_english(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    await console_login(client, tenant.owner_email)
    for path, chinese in (("/", "概览"), ("/products", "新建商品"), ("/hosts", "添加主播"),
                          ("/sessions", "新建场次"), (f"/sessions/{tenant.session_id}", "上架商品"),
                          ("/members", "添加成员"), ("/api-keys", "创建 API 密钥"), ("/organizations", "经销商"),
                          (f"/products/{tenant.product_id}", "SKU 编码")):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert chinese in response.text, path
    switched = await client.get("/lang/en?next=/products")
    assert switched.headers["location"] == "/products"
    english = await client.get("/products")
    assert "New product" in english.text
    assert "新建商品" not in english.text


async def test_product_form_errors_name_the_field_in_the_users_language(client: httpx.AsyncClient,
                                                                      tenant: TenantFixture) -> None:
    csrf = await console_login(client, tenant.owner_email)
    response = await client.post("/products/new", data={
        "csrf_token": csrf, "name": "", "category": "厨房小电", "sku_code": "BAD CODE", "sku_price": "12.345"})
    assert response.status_code == 422
    errors = field_errors(response.text)
    assert errors["name"] == "此项必填。"
    assert errors["sku_code"] == "格式不正确。"
    assert "sku_price" in errors
    client.cookies.set("lb_lang", "en")
    english = await client.post("/products/new", data={"csrf_token": csrf, "name": "", "category": "x"})
    assert "This field is required." in english.text


async def test_product_created_from_the_console_with_yuan_price(client: httpx.AsyncClient,
                                                                tenant: TenantFixture) -> None:
    csrf = await console_login(client, tenant.owner_email)
    response = await client.post("/products/new", data={
        "csrf_token": csrf, "name": "暖家加湿器 H4", "category": "生活电器", "aliases": "加湿器，香薰机",
        "sku_code": f"H4-{tenant.slug}", "sku_spec": "4L", "sku_price": "169.90"})
    assert response.status_code == 303
    product = (await client.get(response.headers["location"])).text
    assert "¥169.90" in product
    assert "香薰机" in product
    duplicate = await client.post("/products/new", data={"csrf_token": csrf, "name": "暖家加湿器 H4", "category": "x"})
    assert duplicate.status_code == 422
    assert "该名称已存在" in duplicate.text


async def test_api_errors_have_one_shape(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    for response in (await client.get("/api/v1/products/1"), await client.get("/api/v1/nothing-here",
                                                                               headers=tenant.headers())):
        body = response.json()
        assert set(body) == {"error"}
        assert {"code", "message"} <= set(body["error"])
    openapi = await client.get("/openapi.json")
    assert "/api/v1/products" in openapi.json()["paths"]


def test_every_console_text_has_a_chinese_translation(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_",
                    "-k", "N_", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with po_path("zh_CN").open("rb") as handle:
        translated = {m.id: m.string for m in read_po(handle) if m.id}
    missing = sorted(str(i) for i in wanted if not translated.get(i))
    assert not missing, f"run `make messages` and translate: {missing}"


async def test_every_console_form_carries_the_sessions_csrf_token(client: httpx.AsyncClient,
                                                                  tenant: TenantFixture) -> None:
    csrf = await console_login(client, tenant.owner_email)
    for path in ("/products/new", f"/products/{tenant.product_id}", "/hosts", "/sessions/new",
                 f"/sessions/{tenant.session_id}", "/members", "/api-keys", "/organizations"):
        html = (await client.get(path)).text
        forms = re.findall(r'<form method="post".*?</form>', html, re.S)
        assert forms, path
        for form in forms:
            assert f'name="csrf_token" value="{csrf}"' in form, f"{path}: {form[:120]}"


async def test_live_session_flow_through_the_console_forms(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    csrf = await console_login(client, tenant.owner_email)
    host = await client.post("/hosts", data={"csrf_token": csrf, "name": "小李", "platform": "kuaishou",
                                             "categories": "家电，厨房"})
    assert host.status_code == 303
    hosts = (await client.get("/api/v1/hosts", params={"q": "小李"}, headers=tenant.headers())).json()["items"]
    assert hosts[0]["categories"] == ["家电", "厨房"]
    created = await client.post("/sessions/new", data={
        "csrf_token": csrf, "title": "周末专场", "platform": "kuaishou", "scheduled_start_at": "2026-11-28T20:00",
        "host_ids": str(hosts[0]["id"])})
    assert created.status_code == 303
    path = created.headers["location"]
    session = (await client.get(f"/api/v1{path}", headers=tenant.headers())).json()
    assert session["scheduled_start_at"].startswith("2026-11-28T12:00:00")  # 20:00 Beijing time
    assert [h["name"] for h in session["hosts"]] == ["小李"]
    shelf = await client.post(f"{path}/shelf", data={"csrf_token": csrf, "product_id": str(tenant.product_id)})
    assert shelf.status_code == 303
    backwards = await client.post(f"{path}/segments", data={
        "csrf_token": csrf, "product_id": str(tenant.product_id), "started_at": "2026-11-28T20:10",
        "ended_at": "2026-11-28T20:05"})
    assert backwards.status_code == 422
    assert field_errors(backwards.text)["ended_at"] == "结束时间必须晚于开始时间。"
    missing = await client.post("/sessions/new", data={"csrf_token": csrf, "title": "", "platform": "kuaishou"})
    assert missing.status_code == 422
    assert field_errors(missing.text)["title"] == "此项必填。"


async def test_overview_counts_every_session_per_platform(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    await console_login(client, tenant.owner_email)
    for title in ("快手一", "快手二"):
        await client.post("/api/v1/sessions", headers=tenant.headers(), json={
            "title": title, "platform": "kuaishou", "scheduled_start_at": "2026-12-01T12:00:00Z"})
    page = html.unescape((await client.get("/")).text)
    chart = json.loads(re.search(r"data-chart='([^']+)'", page).group(1))  # type: ignore[union-attr]
    assert {d["name"]: d["value"] for d in chart["series"][0]["data"]} == {"快手": 2, "抖音": 1}
