"""A brand user picks a topic on the demand board, writes a proposal, moves it along; a colleague is notified."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from livebridge.db import Database
from livebridge.models import Role
from tests.demand.factories import make_topics
from tests.factories import PASSWORD, TenantFixture, make_tenant

pytestmark = pytest.mark.browser


async def _login(page: Page, base: str, email: str, target: str) -> None:
    await page.goto(f"{base}{target}")
    await page.fill("#f-email", email)
    await page.fill("#f-password", PASSWORD)
    await page.click("button[type=submit]")


async def test_demand_board_to_proposal_to_notification(
    live_server: str, page: Page, browser: Browser, database: Database
) -> None:
    tenant: TenantFixture = await make_tenant(database)
    await make_topics(database, tenant.tenant_id, tenant.session_id, tenant.product_id)

    await _login(page, live_server, tenant.owner_email, "/demand")
    await expect(page.locator("h1")).to_have_text("需求看板")
    rows = page.locator("#topic-table tr.topic-row")
    await expect(rows).to_have_count(2)
    await expect(rows.first).to_contain_text("出个大号的吧")
    await expect(rows.first.locator("ul.quotes li").first).to_contain_text("测试专场")

    await rows.first.locator("input[type=checkbox]").check()
    await page.click("text=用所选话题创建提案")
    await expect(page.locator("h1")).to_have_text("新建改进提案")
    await page.fill("#f-title", "推出大号款空气炸锅")
    await page.fill("#f-notes", "三位观众在直播间要求大号")
    await page.click("main form.stack button[type=submit]")

    status = page.locator("#proposal-status")
    await expect(status).to_have_text("新建")
    await expect(page.locator("ul.quotes li")).to_have_count(3)
    await page.click("text=推进到：审核中")
    await expect(status).to_have_text("审核中")
    # Declining needs a reason: the form says so and the status stays.
    await page.click("button:has-text('拒绝')")
    await expect(page.locator(".field.has-error .error")).to_have_text("请填写拒绝提案的原因。")
    await expect(status).to_have_text("审核中")
    await page.click("text=推进到：已排期")
    await expect(status).to_have_text("已排期")

    # A colleague in the brand organization sees the bell count and the news.
    context = await browser.new_context(locale="zh-CN")
    colleague = await context.new_page()
    await _login(colleague, live_server, tenant.member_emails[Role.OPERATOR], "/")
    await expect(colleague.locator("#bell-count")).to_have_text("3")
    await colleague.click("#bell")
    first = colleague.locator("#notification-list tr").first
    await expect(first).to_contain_text("提案“推出大号款空气炸锅”（空气炸锅 AF5）状态变为：已排期")
    await first.locator("button").click()
    await expect(colleague.locator("#proposal-status")).to_have_text("已排期")
    await expect(colleague.locator("#bell-count")).to_have_text("2")
    await context.close()
