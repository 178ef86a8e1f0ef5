"""A person logs in, creates a product in Chinese and sees it listed; then switches to English."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from livebridge.db import Database
from tests.factories import PASSWORD, TenantFixture, make_tenant

pytestmark = pytest.mark.browser


async def test_login_create_product_and_see_it_listed(live_server: str, page: Page, database: Database) -> None:
    tenant: TenantFixture = await make_tenant(database)
    await page.goto(f"{live_server}/products")
    await expect(page).to_have_url(f"{live_server}/login?next=/products")
    await page.fill("#f-email", tenant.owner_email)
    await page.fill("#f-password", "wrong password")
    await page.click("button[type=submit]")
    await expect(page.locator(".alert.error")).to_contain_text("邮箱或密码错误")

    await page.fill("#f-password", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator("h1")).to_have_text("商品")

    await page.click("text=新建商品")
    save = page.locator("main form.stack button[type=submit]")
    await save.click()
    await expect(page.locator(".field.has-error .error").first).to_have_text("此项必填。")

    await page.fill("#f-name", "暖家电热毯 E3")
    await page.fill("#f-category", "生活电器")
    await page.fill("#f-aliases", "电热毯、电褥子")
    await page.fill("#f-sku_code", f"E3-{tenant.slug}")
    await page.fill("#f-sku_spec", "1.8m 双人")
    await page.fill("#f-sku_price", "199")
    await save.click()
    await expect(page.locator(".alert.ok")).to_have_text("商品已创建。")

    await page.goto(f"{live_server}/products")
    row = page.locator("tr", has_text="暖家电热毯 E3")
    await expect(row).to_contain_text("¥199.00")
    await expect(row).to_contain_text("电褥子")

    # The list filters as one types (HTMX), without a page load.
    await page.fill("input[name=q]", "电热毯")
    await expect(page.locator("#product-table tbody tr")).to_have_count(1)

    await page.click("text=English")
    await expect(page.locator("h1")).to_have_text("Products")
