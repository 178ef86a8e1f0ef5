"""A brand opens the risk overview, sees the alert for the demo-like session with injected bots and
brushed orders, and opens its integrity page with the reasons and the verified figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Page, expect

from livebridge.db import Database
from livebridge.integrity import demo
from tests.factories import PASSWORD, make_tenant

pytestmark = pytest.mark.browser


async def test_flagged_session_shows_its_reasons(live_server: str, page: Page, database: Database) -> None:
    tenant = await make_tenant(database)
    async with database.transaction() as session:
        flagged = await demo.load_demo(
            session,
            tenant.subject,
            host_id=tenant.host_id,
            organization_id=None,
            start=datetime.now(UTC) - timedelta(hours=3),
        )
    await page.goto(f"{live_server}/login?next=/integrity")
    await page.fill("#f-email", tenant.owner_email)
    await page.fill("#f-password", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator("h1")).to_have_text("数据真实性：按风险排序的场次与主播")
    await expect(page.locator("#alerts .alert.error")).to_contain_text("低于您设定的阈值 60")
    first = page.locator("tr[data-session]").first
    await expect(first).to_have_attribute("data-session", str(flagged))

    await first.locator("a").click()
    await expect(page.locator("h1")).to_contain_text(demo.DEMO_TITLE)
    await expect(page.locator("h1 .badge.sim")).to_be_visible()
    await expect(page.locator("#integrity-alert")).to_be_visible()
    reasons = page.locator("tr.reason")
    await expect(reasons.filter(has_text="个账号涌入")).to_have_count(1)
    await expect(reasons.filter(has_text="订单集中度")).to_have_count(1)
    await expect(reasons.filter(has_text="同一秒进房、同一秒离开")).to_have_count(1)
    await expect(page.locator('tr[data-detector="shared_fingerprints"]')).to_contain_text("数据不足")
    verified_orders = int(await page.locator('[data-verified="orders"]').inner_text())
    reported_orders = int(await page.locator('[data-verified="orders"]').locator("xpath=../td[2]").inner_text())
    assert verified_orders < reported_orders
    await expect(page.locator("text=inj-brusher-0").first).to_be_visible()
