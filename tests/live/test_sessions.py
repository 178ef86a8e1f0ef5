"""Live sessions: hosts, lifecycle, shelf link numbers and explanation segments."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx

from tests.factories import TenantFixture

T0 = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat()


async def test_lifecycle_scheduled_live_ended(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    h = tenant.headers()
    path = f"/api/v1/sessions/{tenant.session_id}"
    assert (await client.post(f"{path}/end", headers=h, json={})).status_code == 409
    live = await client.post(f"{path}/start", headers=h, json={"at": iso(T0)})
    assert live.json()["status"] == "live"
    assert live.json()["started_at"].startswith("2026-11-11T12:00:00")
    again = await client.post(f"{path}/start", headers=h, json={})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_transition"
    too_early = await client.post(f"{path}/end", headers=h, json={"at": iso(T0 - timedelta(minutes=1))})
    assert too_early.status_code == 422
    ended = await client.post(f"{path}/end", headers=h, json={"at": iso(T0 + timedelta(hours=2))})
    assert ended.json()["status"] == "ended"


async def test_naive_times_are_refused(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    response = await client.post("/api/v1/sessions", headers=tenant.headers(), json={
        "title": "x", "platform": "douyin", "scheduled_start_at": "2026-11-11T20:00:00"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "scheduled_start_at"


async def test_shelf_link_numbers(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    h = tenant.headers()
    second = (await client.post("/api/v1/products", headers=h, json={"name": "电炖锅", "category": "x"})).json()
    third = (await client.post("/api/v1/products", headers=h, json={"name": "养生壶", "category": "x"})).json()
    path = f"/api/v1/sessions/{tenant.session_id}/shelf"
    shelf = (await client.post(path, headers=h, json={"product_id": second["id"]})).json()["shelf"]
    assert [item["link_number"] for item in shelf] == [1, 2]
    clash = await client.post(path, headers=h, json={"product_id": third["id"], "link_number": 2})
    assert clash.status_code == 409
    assert clash.json()["error"]["code"] == "link_number_taken"
    twice = await client.post(path, headers=h, json={"product_id": second["id"]})
    assert twice.json()["error"]["code"] == "product_on_shelf"


async def test_segments_lie_within_the_session_and_do_not_overlap(client: httpx.AsyncClient,
                                                                  tenant: TenantFixture) -> None:
    h = tenant.headers()
    base = f"/api/v1/sessions/{tenant.session_id}"
    await client.post(f"{base}/start", headers=h, json={"at": iso(T0)})
    segments = f"{base}/segments"
    ok = await client.post(segments, headers=h, json={
        "product_id": tenant.product_id, "started_at": iso(T0 + timedelta(minutes=1)),
        "ended_at": iso(T0 + timedelta(minutes=10))})
    assert ok.status_code == 201, ok.text
    overlap = await client.post(segments, headers=h, json={
        "product_id": tenant.product_id, "started_at": iso(T0 + timedelta(minutes=5))})
    assert overlap.status_code == 409
    before = await client.post(segments, headers=h, json={
        "product_id": tenant.product_id, "started_at": iso(T0 - timedelta(minutes=5)),
        "ended_at": iso(T0 - timedelta(minutes=1))})
    assert before.json()["error"]["code"] == "segment_outside_session"
    backwards = await client.post(segments, headers=h, json={
        "product_id": tenant.product_id, "started_at": iso(T0 + timedelta(minutes=30)),
        "ended_at": iso(T0 + timedelta(minutes=20))})
    assert backwards.status_code == 422
    open_ended = await client.post(segments, headers=h, json={
        "product_id": tenant.product_id, "started_at": iso(T0 + timedelta(minutes=12))})
    assert open_ended.status_code == 201
    ended = (await client.post(f"{base}/end", headers=h, json={"at": iso(T0 + timedelta(hours=1))})).json()
    assert ended["segments"][-1]["ended_at"].startswith("2026-11-11T13:00:00")


async def test_unknown_host_is_named(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    response = await client.post("/api/v1/sessions", headers=tenant.headers(), json={
        "title": "x", "platform": "douyin", "scheduled_start_at": iso(T0), "host_ids": [tenant.host_id, 999_999]})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "host_ids"


async def test_explain_events_become_segments(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    h = tenant.headers()
    second = (await client.post("/api/v1/products", headers=h, json={
        "name": "电炖锅 D20", "category": "x", "skus": [{"code": f"D20-{tenant.slug}", "spec": "2L", "price_fen": 1}]
    })).json()
    await client.post(f"/api/v1/sessions/{tenant.session_id}/shelf", headers=h, json={"product_id": second["id"]})

    def mark(number: int, kind: str, minute: int, **ref: object) -> dict[str, object]:
        return {"type": kind, "event_id": f"x{number}", "occurred_at": iso(T0 + timedelta(minutes=minute)), **ref}

    events = [
        mark(1, "product_explain_start", 1, link_number=1),
        mark(2, "product_explain_start", 6, sku_code=f"D20-{tenant.slug}"),  # closes link 1 at minute 6
        mark(3, "product_explain_end", 9, link_number=2),
        mark(4, "product_explain_start", 12, link_number=99),  # not on the shelf: no segment
    ]
    body = "\n".join(json.dumps(e) for e in events)
    response = await client.post(f"/api/v1/sessions/{tenant.session_id}/events", content=body,
                                 headers={**h, "Content-Type": "application/x-ndjson"})
    assert response.json()["accepted"] == 4
    segments = (await client.get(f"/api/v1/sessions/{tenant.session_id}", headers=h)).json()["segments"]
    assert [(s["product_id"], s["started_at"][11:16], s["ended_at"][11:16]) for s in segments] == [
        (tenant.product_id, "12:01", "12:06"), (second["id"], "12:06", "12:09")]


async def test_late_explain_marks_never_overlap_a_finished_segment(client: httpx.AsyncClient,
                                                                   tenant: TenantFixture) -> None:
    h = {**tenant.headers(), "Content-Type": "application/x-ndjson"}
    url = f"/api/v1/sessions/{tenant.session_id}/events"

    def mark(number: int, kind: str, minute: int) -> str:
        return json.dumps({"type": kind, "event_id": f"late{number}", "link_number": 1,
                           "occurred_at": iso(T0 + timedelta(minutes=minute))})

    await client.post(url, headers=h, content="\n".join([mark(1, "product_explain_start", 1),
                                                          mark(2, "product_explain_end", 10)]))
    late = await client.post(url, headers=h, content=mark(3, "product_explain_start", 5))  # arrives late
    assert late.json()["accepted"] == 1
    segments = (await client.get(f"/api/v1/sessions/{tenant.session_id}", headers=tenant.headers())).json()["segments"]
    assert [(s["started_at"][11:16], s["ended_at"][11:16]) for s in segments] == [("12:01", "12:10")]
