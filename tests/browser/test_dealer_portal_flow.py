"""A dealer's staff member takes a new installation ticket from the portal to resolution, in Chinese."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Page, expect

from livebridge.db import Database
from livebridge.models import Role
from tests.factories import PASSWORD, make_tenant
from tests.network import open_ticket, set_up_dealer

pytestmark = pytest.mark.browser


async def test_dealer_accepts_schedules_and_resolves_a_ticket(live_server: str, page: Page, database: Database) -> None:
    tenant = await make_tenant(database)
    await set_up_dealer(
        database, tenant, organization_id=tenant.dealer_id, code=f"B{tenant.tenant_id}", regions=["330106"]
    )
    ticket_id = await open_ticket(
        database, tenant.subject, "B1", f"AF5-{tenant.slug}", "浙江省杭州市西湖区文三路138号", now=datetime.now(UTC)
    )

    await page.goto(f"{live_server}/login")
    await page.fill("#f-email", tenant.member_emails[Role.DEALER_STAFF])
    await page.fill("#f-password", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page).to_have_url(f"{live_server}/portal")
    await expect(page.locator("h1")).to_contain_text("经销商门户")
    row = page.locator("#queue tr", has_text=f"#{ticket_id}")
    await expect(row).to_contain_text("已分派")
    await expect(row.locator(".countdown").first).to_contain_text("剩余 3小时")  # 4 h to accept, ticking

    await row.locator(f'a[href="/tickets/{ticket_id}"]').click()
    await expect(page.locator("#ticket-status")).to_have_text("已分派")
    await expect(page.locator("body")).to_contain_text("区县经销商")
    await page.fill("#f-note", "已电话联系客户")
    await page.click("#accept")
    await expect(page.locator("#ticket-status")).to_have_text("已接单")

    # A visit that ends before it starts is refused with a message next to the form.
    visit_day = (datetime.now(UTC) + timedelta(days=1)).astimezone().strftime("%Y-%m-%d")
    await page.fill("#f-start", f"{visit_day}T10:00")
    await page.fill("#f-end", f"{visit_day}T09:00")
    await page.click("#schedule")
    await expect(page.locator(".alert.error, .field.has-error .error").first).to_contain_text(
        "结束时间必须晚于开始时间"
    )
    await page.fill("#f-start", f"{visit_day}T10:00")
    await page.fill("#f-end", f"{visit_day}T12:00")
    await page.click("#schedule")
    await expect(page.locator("#ticket-status")).to_have_text("已预约")

    await page.click("#start")
    await expect(page.locator("#ticket-status")).to_have_text("服务中")
    await page.fill("#f-notes", "已上门安装热水器，试机正常，客户签字")
    await page.click("#resolve")
    await expect(page.locator("#ticket-status")).to_have_text("已解决")
    history = page.locator("#history")
    for step in ("已创建", "已分派", "已接单", "已预约上门", "开始服务", "已解决"):
        await expect(history).to_contain_text(step)
    await expect(history).to_contain_text("已上门安装热水器")

    await page.goto(f"{live_server}/portal")
    await expect(page.locator("#queue")).not_to_contain_text(f"#{ticket_id}")
    await expect(page.locator("main")).to_contain_text("等待客户确认")
