"""GET /api/v1/sessions/{id}/comments: filters by intent, aspect and product, pages, clear errors,
and another tenant's session is 404."""

from __future__ import annotations

from datetime import timedelta

import httpx

from livebridge.db import Database
from livebridge.insight import service
from tests.factories import TenantFixture
from tests.insight.conftest import T0, Room, comment, push


async def test_comments_filtered_by_intent_aspect_and_product(
    client: httpx.AsyncClient, database: Database, room: Room
) -> None:
    texts = ["160斤穿什么码", "2号链接多少钱", "小太阳质量太差了 用两天就坏", "主播好美", "已拍 3件"]
    await push(client, room.tenant, [comment(f"c{i}", t, T0 + timedelta(seconds=i)) for i, t in enumerate(texts)])
    await service.catch_up(database, room.tenant.session_id)
    url = f"/api/v1/sessions/{room.tenant.session_id}/comments"

    everything = (await client.get(url, headers=room.tenant.headers())).json()
    assert everything["pagination"]["total_count"] == 5
    assert [c["text"] for c in everything["items"]] == list(reversed(texts))  # newest first

    questions = (await client.get(url, params={"intent": "question"}, headers=room.tenant.headers())).json()
    assert {c["text"] for c in questions["items"]} >= {"160斤穿什么码"}
    assert all(c["intent"] == "question" for c in questions["items"])

    sized = (await client.get(url, params={"aspect": "size"}, headers=room.tenant.headers())).json()
    assert [c["text"] for c in sized["items"]] == ["160斤穿什么码"]

    heater = (await client.get(url, params={"product_id": room.heater_id}, headers=room.tenant.headers())).json()
    assert {c["text"]: c["product_link"] for c in heater["items"]} == {
        "2号链接多少钱": "link_number", "小太阳质量太差了 用两天就坏": "name"}

    paged = (await client.get(url, params={"page_size": 2, "page": 3}, headers=room.tenant.headers())).json()
    assert [c["text"] for c in paged["items"]] == ["160斤穿什么码"]


async def test_unknown_filters_are_named(client: httpx.AsyncClient, room: Room) -> None:
    url = f"/api/v1/sessions/{room.tenant.session_id}/comments"
    response = await client.get(url, params={"intent": "questions"}, headers=room.tenant.headers())
    assert response.status_code == 422
    assert response.json()["error"] | {"message": ""} == {"code": "unknown_intent", "field": "intent", "message": ""}
    response = await client.get(url, params={"aspect": "colour "}, headers=room.tenant.headers())
    assert response.json()["error"]["code"] == "unknown_aspect"


async def test_another_tenants_comments_are_404(
    client: httpx.AsyncClient, room: Room, other_tenant: TenantFixture
) -> None:
    for path in ("comments", "comments/status"):
        response = await client.get(f"/api/v1/sessions/{room.tenant.session_id}/{path}", headers=other_tenant.headers())
        assert response.status_code == 404
    status = await client.get(f"/api/v1/sessions/{room.tenant.session_id}/comments/status",
                              headers=room.tenant.headers())
    assert status.json() == {"available": True, "message": None, "rebuild_command": None}
