"""A brand owner ranks the hosts of August, picks two and compares them side by side with charts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from livebridge.db import Database
from tests.factories import PASSWORD, make_tenant
from tests.scorecards.conftest import build_world

pytestmark = pytest.mark.browser


async def test_rank_then_compare_two_hosts(live_server: str, page: Page, database: Database) -> None:
    world = await build_world(database, await make_tenant(database))
    await page.goto(f"{live_server}/login?next=/scorecards")
    await page.fill("#f-email", world.tenant.owner_email)
    await page.fill("#f-password", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator("h1")).to_have_text("主播成绩单")

    await page.fill("#f-date_from", "2026-08-01")
    await page.fill("#f-date_to", "2026-08-31")
    await page.click("text=显示")
    rows = page.locator("#compare-form tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("小暖")
    await expect(rows.nth(0)).to_contain_text("¥200.00")  # net of refunds, one of them in September
    await expect(rows.nth(0)).to_contain_text("暂无")  # no authenticity index yet: never a made-up number

    await rows.nth(0).locator("input[type=checkbox]").check()
    await rows.nth(1).locator("input[type=checkbox]").check()
    await page.click("text=对比所选主播（2–5 位）")
    await expect(page.locator("h1")).to_have_text("主播对比")
    table = page.locator("#compare-table")
    await expect(table.locator("thead")).to_contain_text("小暖")
    await expect(table.locator("thead")).to_contain_text("阿杰说家电")
    await expect(table.locator("tr", has_text="退款后净成交额").first).to_contain_text("¥80.00")
    await expect(page.locator("#score-chart canvas")).to_have_count(1)
    await expect(page.locator("#gmv-chart canvas")).to_have_count(1)
    if shots := os.environ.get("LIVEBRIDGE_SCREENSHOTS"):
        await page.screenshot(path=str(Path(shots) / "scorecards-compare.png"), full_page=True)
