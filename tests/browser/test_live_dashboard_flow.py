"""A person watches the live dashboard while the simulator posts a session to the API at 10×."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Page, expect

from livebridge.db import Database
from livebridge.simulate.generator import simulate
from livebridge.simulate.poster import PostOptions, PostTarget, post_events
from livebridge.simulate.scenario import AudienceModel, Scenario, example_shelf
from tests.factories import PASSWORD, make_tenant

pytestmark = pytest.mark.browser


async def test_dashboard_moves_while_the_simulator_posts(live_server: str, page: Page, database: Database) -> None:
    tenant = await make_tenant(database)
    await page.goto(f"{live_server}/login?next=/sessions/{tenant.session_id}/live")
    await page.fill("#f-email", tenant.owner_email)
    await page.fill("#f-password", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator("#live-status")).to_have_text("实时：1 秒内更新")
    await expect(page.locator('[data-figure="comments"]')).to_have_text("0")

    # Three simulated minutes that end now, posted at ten times real speed (about 18 s).
    scenario = Scenario(start=datetime.now(UTC) - timedelta(minutes=3), duration=timedelta(minutes=3),
                        shelf=example_shelf(), audience=AudienceModel(viewers=1500), seed=3,
                        id_namespace=f"browser-{tenant.session_id}")
    target = PostTarget(base_url=live_server, session_id=str(tenant.session_id), api_key=tenant.api_key)
    events = simulate(scenario).events()
    posting = asyncio.create_task(post_events(events, target, PostOptions(speed=10.0, batch_size=200)))

    seen: list[int] = []
    for _ in range(4):
        await page.wait_for_timeout(3000)
        seen.append(int(await page.locator('[data-figure="enters"]').inner_text()))
    report = await posting
    assert report.accepted > 0
    assert seen == sorted(seen)
    assert seen[-1] > seen[0] > 0, f"the dashboard did not move while posting: {seen}"
    await expect(page.locator("#comment-feed .comment").first).to_be_visible()
    await expect(page.locator("#timeline-chart canvas")).to_have_count(1)
