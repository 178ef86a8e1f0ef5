"""A person watching the live dashboard sees each new comment tagged with its intent (问询, 投诉…)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from livebridge.db import Database
from tests.conftest import ServerProcess
from tests.factories import PASSWORD, make_tenant

pytestmark = pytest.mark.browser


async def test_new_comments_get_intent_tags_in_the_feed(live_server: str, page: Page, database: Database) -> None:
    tenant = await make_tenant(database)
    await page.goto(f"{live_server}/login?next=/sessions/{tenant.session_id}/live")
    await page.fill("#f-email", tenant.owner_email)
    await page.fill("#f-password", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator("#live-status")).to_have_text("实时：1 秒内更新")

    at = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    texts = ["宝宝们160斤穿啥码", "质量太差了 用两天就坏了 退货", "加v看主页 领红包"]
    body = "\n".join(json.dumps({"type": "comment", "event_id": f"tag-{i}", "occurred_at": at, "viewer_id": f"v{i}",
                                 "text": text}, ensure_ascii=False) for i, text in enumerate(texts))
    async with httpx.AsyncClient(base_url=live_server) as client:
        response = await client.post(f"/api/v1/sessions/{tenant.session_id}/events", content=body,
                                     headers={**tenant.headers(), "Content-Type": "application/x-ndjson"})
    assert response.json()["accepted"] == 3

    feed = page.locator("#comment-feed .comment")
    await expect(feed).to_have_count(3)
    await expect(page.locator("#comment-feed .comment[data-intent]")).to_have_count(3)
    await expect(feed.nth(0).locator(".intent-tag")).to_have_text("问询")
    await expect(feed.nth(0).locator(".aspect-tag")).to_have_text("#尺码")
    await expect(feed.nth(1).locator(".intent-tag")).to_have_text("投诉")
    await expect(feed.nth(2).locator(".intent-tag")).to_have_text("引流/广告")
    await expect(page.locator("#insight-unavailable")).to_have_count(0)


async def test_the_feed_says_when_understanding_is_unavailable(
    database_url: str, page: Page, database: Database, tmp_path: Path
) -> None:
    tenant = await make_tenant(database)
    server = ServerProcess(database_url, tmp_path / "var", tmp_path / "server.log", model_dir=str(tmp_path / "none"))
    try:
        await page.goto(f"{server.base_url}/login?next=/sessions/{tenant.session_id}/live")
        await page.fill("#f-email", tenant.owner_email)
        await page.fill("#f-password", PASSWORD)
        await page.click("button[type=submit]")
        banner = page.locator("#insight-unavailable")
        await expect(banner).to_contain_text("评论理解不可用")
        await expect(banner).to_contain_text("livebridge nlp train")
    finally:
        server.stop()
