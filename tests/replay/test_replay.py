"""The replay report (复盘) on a hand-made session whose answers are known."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import BytesIO

import httpx
from openpyxl import load_workbook
from sqlalchemy import select

from livebridge.db import Database
from livebridge.models import CommentInsight, LiveEventRow
from tests.factories import TenantFixture, console_login

T0 = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)
NDJSON = {"Content-Type": "application/x-ndjson"}
# Online viewers per minute: flat, then falling while product B is explained (minutes 10–15), then a
# sudden loss at minute 20 with nothing explained, then flat while A is explained (22–27).
ONLINE = [100] * 10 + [100, 90, 80, 70, 65, 60] + [60] * 4 + [40] * 10


def iso(moment: datetime) -> str:
    return moment.isoformat()


async def post_events(
    client: httpx.AsyncClient, tenant: TenantFixture, session_id: int, events: list[dict[str, object]]
) -> None:
    body = "\n".join(json.dumps(e, ensure_ascii=False) for e in events).encode()
    response = await client.post(f"/api/v1/sessions/{session_id}/events", content=body,
                                 headers={**tenant.headers(), **NDJSON})
    assert response.status_code == 200, response.text
    assert response.json()["rejected"] == []


def funnel_events(prefix: str, at: datetime, enters: int, clicks: int, sku: str) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    for number in range(enters):
        events.append({"type": "enter", "event_id": f"{prefix}e{number}", "occurred_at": iso(at),
                       "viewer_id": f"{prefix}v{number}"})
    for number in range(clicks):
        events.append({"type": "product_click", "event_id": f"{prefix}c{number}",
                       "occurred_at": iso(at + timedelta(minutes=1)), "viewer_id": f"{prefix}v{number}",
                       "sku_code": sku})
    return events


async def make_ended_sessions(client: httpx.AsyncClient, tenant: TenantFixture) -> tuple[int, int]:
    """An earlier session of the same host (half of its viewers clicked) and the session under review."""
    h = tenant.headers()
    sku = f"AF5-{tenant.slug}"
    earlier = (await client.post("/api/v1/sessions", headers=h, json={
        "title": "上一场", "platform": "douyin", "scheduled_start_at": iso(T0 - timedelta(days=1)),
        "host_ids": [tenant.host_id]})).json()["id"]
    await client.post(f"/api/v1/sessions/{earlier}/start", headers=h, json={"at": iso(T0 - timedelta(days=1))})
    await post_events(client, tenant, earlier, funnel_events("p", T0 - timedelta(days=1), 10, 5, sku))
    await client.post(f"/api/v1/sessions/{earlier}/end", headers=h,
                      json={"at": iso(T0 - timedelta(days=1) + timedelta(hours=1))})

    product_b = (await client.post("/api/v1/products", headers=h, json={"name": "电炖锅 D20", "category": "x"})).json()
    current = tenant.session_id
    await client.post(f"/api/v1/sessions/{current}/shelf", headers=h, json={"product_id": product_b["id"]})
    await client.post(f"/api/v1/sessions/{current}/start", headers=h, json={"at": iso(T0)})
    for product_id, start, end in ((product_b["id"], 10, 16), (tenant.product_id, 22, 28)):
        created = await client.post(f"/api/v1/sessions/{current}/segments", headers=h, json={
            "product_id": product_id, "started_at": iso(T0 + timedelta(minutes=start)),
            "ended_at": iso(T0 + timedelta(minutes=end))})
        assert created.status_code == 201, created.text
    events = funnel_events("c", T0, 100, 10, sku)
    events += [{"type": "online_count", "event_id": f"o{minute}", "occurred_at": iso(T0 + timedelta(minutes=minute)),
                "count": online} for minute, online in enumerate(ONLINE)]
    await post_events(client, tenant, current, events)
    await client.post(f"/api/v1/sessions/{current}/end", headers=h, json={"at": iso(T0 + timedelta(minutes=30))})
    return earlier, current


async def test_replay_report_finds_the_drops_the_funnel_gap_and_says_so(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    _, current = await make_ended_sessions(client, tenant)
    response = await client.get(f"/api/v1/sessions/{current}/replay", headers=tenant.headers())
    assert response.status_code == 200, response.text
    report = response.json()

    segments = {s["product_name"]: s for s in report["segments"]}
    assert (segments["电炖锅 D20"]["online_start"], segments["电炖锅 D20"]["online_end"]) == (100, 60)
    assert segments["电炖锅 D20"]["online_change"] == -0.4
    assert segments["空气炸锅 AF5"]["online_change"] == 0.0

    drops = {d["minute"][11:16]: d for d in report["drop_offs"]}
    assert drops["12:20"]["lost"] == 20
    assert drops["12:20"]["product_on_screen"] is None
    assert drops["12:11"]["product_on_screen"] == "电炖锅 D20"
    assert "12:00" not in drops
    assert "12:25" not in drops

    click_step = report["funnel"][1]
    assert (click_step["viewers"], click_step["rate"]) == (10, 0.1)
    assert (click_step["host_rate"], click_step["host_sessions"]) == (0.5, 1)

    texts = [a["text"] for a in report["advice"]]
    kinds = [a["kind"] for a in report["advice"]]
    assert "讲解「电炖锅 D20」的 6 分钟里在线人数从 100 降到 60（下降 40%），建议缩短讲解或提前上福利" in texts
    assert not any("空气炸锅 AF5" in t and t.startswith("讲解") for t in texts)  # its minutes were flat
    assert any(t.startswith("「进房→商品点击」转化率 10%，低于该主播以往 1 场的 50%") for t in texts)
    assert "在线峰值 100 人出现在开播第 0 分钟（当时未讲解商品），主推款宜安排在人气高点前后" in texts
    assert any(t.startswith("开播第 20 分钟流失最多：在线从 60 降到 40（33.3%），当时未讲解商品") for t in texts)
    assert kinds.index("segment_drop") < kinds.index("peak")  # warnings first


async def test_unanswered_questions_are_counted_per_aspect(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    _, current = await make_ended_sessions(client, tenant)
    await post_events(client, tenant, current, [
        {"type": "comment", "event_id": f"q{n}", "occurred_at": iso(T0 + timedelta(minutes=3)),
         "viewer_id": f"cv{n}", "text": "170穿多大码"} for n in range(6)
    ])
    async with database.transaction() as session:
        rows = (await session.execute(select(LiveEventRow).where(
            LiveEventRow.session_id == current, LiveEventRow.type == "comment"))).scalars().all()
        for number, row in enumerate(rows):
            session.add(CommentInsight(
                event_row_id=row.id, tenant_id=row.tenant_id, session_id=current, occurred_at=row.occurred_at,
                viewer_key=row.viewer_key, normalized=row.text or "", intent="question", intent_confidence=0.9,
                aspects=["size"], sentiment="neutral", aspect_sentiments={"size": "neutral"},
                answered_at=T0 + timedelta(minutes=4) if number == 0 else None))
    report = (await client.get(f"/api/v1/sessions/{current}/replay", headers=tenant.headers())).json()
    assert report["unanswered_questions"] == [{"aspect": "size", "count": 5}]
    assert report["comments_understood"] == 6
    texts = [a["text"] for a in report["advice"]]
    assert "未回复的提问集中在：尺码 5 条，建议安排助播集中解答并在详情页补充说明" in texts


async def test_a_session_that_has_not_ended_has_no_replay(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    response = await client.get(f"/api/v1/sessions/{tenant.session_id}/replay", headers=tenant.headers())
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "session_not_ended"


async def test_excel_export_and_printable_page(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    _, current = await make_ended_sessions(client, tenant)
    download = await client.get(f"/api/v1/sessions/{current}/replay.xlsx", headers=tenant.headers())
    assert download.status_code == 200
    workbook = load_workbook(BytesIO(download.content))
    assert workbook.sheetnames == ["概览", "每分钟", "讲解时段", "流失时刻", "漏斗对比", "商品", "评论"]
    segments = list(workbook["讲解时段"].iter_rows(min_row=2, values_only=True))
    assert segments[0][0] == "电炖锅 D20"
    assert segments[0][4:7] == (100, 60, -0.4)
    assert segments[0][1] == "2026-11-11 20:10:00"  # shown in Asia/Shanghai
    assert len(list(workbook["每分钟"].iter_rows(min_row=2))) == 30
    advice = [row[1] for row in workbook["概览"].iter_rows(values_only=True) if row and row[0] == "需改进"]
    assert any(text and "电炖锅 D20" in text for text in advice)

    await console_login(client, tenant.owner_email)
    page = await client.get(f"/sessions/{current}/replay")
    assert page.status_code == 200
    assert "讲解「电炖锅 D20」的 6 分钟里在线人数从 100 降到 60" in page.text
    assert "data-print" in page.text
    assert f"/sessions/{current}/replay.xlsx" in page.text
    console_xlsx = await client.get(f"/sessions/{current}/replay.xlsx")
    assert console_xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert f'hx-get="/sessions/{current}/integrity/panel"' in page.text
    panel = await client.get(f"/sessions/{current}/integrity/panel")  # what the page loads beside it
    assert panel.status_code == 200
    assert 'data-verified="orders"' in panel.text
    detail = await client.get(f"/sessions/{current}")
    assert f"/sessions/{current}/replay" in detail.text
