"""Products and SKUs through the API: validation, conflicts, pagination, nothing half-written."""

from __future__ import annotations

import httpx

from tests.factories import TenantFixture


async def test_create_read_update_archive(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    h = tenant.headers()
    created = await client.post("/api/v1/products", headers=h, json={
        "name": "暖家破壁机 B12", "category": "厨房小电", "aliases": "破壁机、料理机，豆浆机",
        "skus": [{"code": f"B12-{tenant.slug}", "spec": "1.75L", "price_fen": 59900}]})
    assert created.status_code == 201, created.text
    product = created.json()
    assert product["aliases"] == ["破壁机", "料理机", "豆浆机"]
    assert product["skus"][0]["price_fen"] == 59900
    updated = await client.patch(f"/api/v1/products/{product['id']}", headers=h, json={"category": "料理"})
    assert updated.json()["category"] == "料理"
    archived = await client.delete(f"/api/v1/products/{product['id']}", headers=h)
    assert archived.json()["status"] == "archived"
    active = await client.get("/api/v1/products", headers=h, params={"status": "active", "page_size": 200})
    assert product["id"] not in {p["id"] for p in active.json()["items"]}


async def test_invalid_payload_names_the_field(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    response = await client.post("/api/v1/products", headers=tenant.headers(), json={
        "name": "x", "category": "y", "skus": [{"code": "OK-1", "spec": "s", "price_fen": -5}]})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["field"] == "skus.0.price_fen"


async def test_money_is_integer_fen(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    response = await client.post(f"/api/v1/products/{tenant.product_id}/skus", headers=tenant.headers(),
                                 json={"code": f"F-{tenant.slug}", "spec": "x", "price_fen": 12.5})
    assert response.status_code == 422


async def test_duplicate_sku_is_409_and_nothing_half_written(client: httpx.AsyncClient,
                                                            tenant: TenantFixture) -> None:
    h = tenant.headers()
    taken = f"AF5-{tenant.slug}"
    response = await client.post("/api/v1/products", headers=h, json={
        "name": "半截商品", "category": "x", "skus": [{"code": taken, "spec": "s", "price_fen": 1}]})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "sku_code_taken"
    assert taken in response.json()["error"]["message"]
    listed = await client.get("/api/v1/products", headers=h, params={"q": "半截"})
    assert listed.json()["items"] == []
    twice = await client.post("/api/v1/products", headers=h, json={"name": "双码", "category": "x", "skus": [
        {"code": "DUP-1", "spec": "a", "price_fen": 1}, {"code": "DUP-1", "spec": "b", "price_fen": 2}]})
    assert twice.status_code == 409


async def test_duplicate_name_is_409(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    response = await client.post("/api/v1/products", headers=tenant.headers(),
                                 json={"name": "空气炸锅 AF5", "category": "x"})
    assert response.status_code == 409
    assert response.json()["error"]["field"] == "name"


async def test_pagination_and_search(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    h = tenant.headers()
    for index in range(5):
        await client.post("/api/v1/products", headers=h, json={"name": f"取暖器 {index}", "category": "生活电器"})
    first = (await client.get("/api/v1/products", headers=h, params={"q": "取暖器", "page_size": 2})).json()
    assert first["pagination"] == {"total_count": 5, "page": 1, "page_size": 2, "max_page": 3}
    third = (await client.get("/api/v1/products", headers=h, params={"q": "取暖器", "page_size": 2, "page": 3})).json()
    assert len(third["items"]) == 1
    by_sku = (await client.get("/api/v1/products", headers=h, params={"q": f"AF5-{tenant.slug}"})).json()
    assert [p["id"] for p in by_sku["items"]] == [tenant.product_id]
    too_big = await client.get("/api/v1/products", headers=h, params={"page_size": 1000})
    assert too_big.status_code == 422
