"""Integrity through the real database, services, API and console pages."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from livebridge.config import Settings
from livebridge.db import Database
from livebridge.ingest.schemas import LiveEvent, encode
from livebridge.ingest.service import MAX_BATCH_EVENTS, do_ingest
from livebridge.integrity import service, tasks
from livebridge.integrity.columns import micros
from livebridge.integrity.inject import SECOND_US, Injector
from livebridge.integrity.repository import IntegrityRepository
from livebridge.live import service as live_service
from livebridge.models import SessionStatus
from livebridge.simulate import AudienceModel, Scenario, example_shelf, simulate
from livebridge.worker.consumer import start_embedded_consumer, stop_embedded_consumer
from tests.factories import TenantFixture, console_login

BOTS = 300


def _events(session_id: int, start: datetime, *, bots: bool) -> list[LiveEvent]:
    scenario = Scenario(
        start=start,
        duration=timedelta(minutes=40),
        shelf=example_shelf(),
        audience=AudienceModel(viewers=3_000),
        seed=5,
        id_namespace=f"integrity-test-{session_id}",
    )
    events = list(simulate(scenario).events())
    if not bots:
        return events
    inject = Injector(seed=session_id, prefix=f"inj-{session_id}")
    burst = micros(start) + 15 * 60 * SECOND_US
    made: list[LiveEvent] = [inject.enter(f"bot{i}", burst + inject.rng.randrange(5 * SECOND_US)) for i in range(BOTS)]
    for k in range(4):
        made += inject.order(f"brush{k}", "brusher", "NJ-C1", 49_900, burst + k * 60 * SECOND_US, None)
    return sorted([*events, *made], key=lambda event: event.occurred_at)


async def _fill(database: Database, tenant: TenantFixture, *, bots: bool = True, end: bool = True) -> None:
    start = datetime.now(UTC) - timedelta(hours=1)
    lines = [encode(event) for event in _events(tenant.session_id, start, bots=bots)]
    async with database.transaction() as session:
        await live_service.do_transition_session(session, tenant.subject, tenant.session_id, SessionStatus.LIVE, start)
        for offset in range(0, len(lines), MAX_BATCH_EVENTS):
            chunk = lines[offset : offset + MAX_BATCH_EVENTS]
            await do_ingest(session, tenant.subject, tenant.session_id, list(enumerate(chunk, start=offset + 1)))
        if end:
            await live_service.do_transition_session(
                session, tenant.subject, tenant.session_id, SessionStatus.ENDED, start + timedelta(minutes=41)
            )


async def test_report_flags_the_bots_and_the_brushing(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    await _fill(database, tenant)
    response = await client.get(f"/api/v1/sessions/{tenant.session_id}/integrity", headers=tenant.headers())
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["authenticity_index"] < 60
    codes = {reason["code"] for reason in report["top_reasons"]}
    assert {"entry_burst", "order_brushing"} <= codes
    brushing = next(r for r in report["top_reasons"] if r["code"] == "order_brushing")
    assert brushing["message"].startswith("SKU NJ-C1 在 ")
    assert "brusher" in brushing["accounts"]
    figures = report["figures"]
    assert figures["orders"]["reported"] - figures["orders"]["verified"] == 4
    assert figures["viewers"]["reported"] - figures["viewers"]["verified"] >= BOTS
    assert figures["gmv_net_flagged_fen"] == figures["gmv_net_refunds_fen"] - 4 * 49_900
    assert figures["average_online"]["verified"] < figures["average_online"]["reported"]

    figures_only = await client.get(f"/api/v1/sessions/{tenant.session_id}/integrity/figures", headers=tenant.headers())
    assert figures_only.json() == figures


async def test_another_tenants_session_is_not_found(
    client: httpx.AsyncClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    for method, path in (("GET", "integrity"), ("POST", "integrity/assess"), ("GET", "integrity/figures")):
        response = await client.request(
            method, f"/api/v1/sessions/{other_tenant.session_id}/{path}", headers=tenant.headers()
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "session_not_found"


async def test_a_session_without_events_has_no_index(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    response = await client.get(f"/api/v1/sessions/{tenant.session_id}/integrity", headers=tenant.headers())
    report = response.json()
    assert report["authenticity_index"] is None
    assert {family["status"] for family in report["families"]} == {"not_enough_data"}
    assert report["top_reasons"] == []


async def test_alert_below_the_threshold_and_the_risk_lists(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    bad = await client.put("/api/v1/integrity/settings", json={"alert_threshold": 101}, headers=tenant.headers())
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "alert_threshold"
    saved = await client.put("/api/v1/integrity/settings", json={"alert_threshold": 70}, headers=tenant.headers())
    assert saved.json() == {"alert_threshold": 70}
    await _fill(database, tenant, end=False)  # still live
    report = (
        await client.post(f"/api/v1/sessions/{tenant.session_id}/integrity/assess", headers=tenant.headers())
    ).json()
    assert report["alert"]["threshold"] == 70
    alerts = (await client.get("/api/v1/integrity/alerts", headers=tenant.headers())).json()
    assert [a["session_id"] for a in alerts] == [tenant.session_id]
    assert (await client.get("/api/v1/integrity/alerts", headers=other_tenant.headers())).json() == []
    sessions = (await client.get("/api/v1/integrity/sessions", headers=tenant.headers())).json()
    assert sessions[0]["session_id"] == tenant.session_id
    assert sessions[0]["top_reason"]
    hosts = (await client.get("/api/v1/integrity/hosts", headers=tenant.headers())).json()
    assert [h["host_id"] for h in hosts] == [tenant.host_id]
    assert (await client.get("/api/v1/integrity/settings", headers=other_tenant.headers())).json() == {
        "alert_threshold": 60
    }
    # Raising nothing more: lowering the threshold below the index resolves the alert on the next assessment.
    await client.put("/api/v1/integrity/settings", json={"alert_threshold": 0}, headers=tenant.headers())
    report = (
        await client.post(f"/api/v1/sessions/{tenant.session_id}/integrity/assess", headers=tenant.headers())
    ).json()
    assert report["alert"] is None
    assert (await client.get("/api/v1/integrity/alerts", headers=tenant.headers())).json() == []


async def test_a_live_session_is_reassessed_only_when_ten_seconds_old(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    await _fill(database, tenant, bots=False, end=False)
    url = f"/api/v1/sessions/{tenant.session_id}/integrity"
    first = (await client.get(url, headers=tenant.headers())).json()
    second = (await client.get(url, headers=tenant.headers())).json()
    assert second["assessed_at"] == first["assessed_at"]
    async with database.transaction() as session:
        stored = await IntegrityRepository(session).get(tenant.subject, tenant.session_id)
        assert stored is not None
        stored.assessed_at -= service.REFRESH_EVERY
    third = (await client.get(url, headers=tenant.headers())).json()
    assert third["assessed_at"] > first["assessed_at"]


async def test_the_task_queue_assesses_live_and_newly_ended_sessions(
    app: FastAPI, settings: Settings, database: Database, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    await _fill(database, tenant, end=False)
    await _fill(database, other_tenant, bots=False, end=True)
    consumer = start_embedded_consumer(settings, app.state.broadcaster, asyncio.get_running_loop())
    assert consumer is not None
    try:
        tasks.refresh_live_sessions()  # what the every-10-s schedule enqueues
        for _ in range(100):
            async with database.transaction(write=False) as session:
                stored = await IntegrityRepository(session).get(tenant.subject, tenant.session_id)
                ended = await IntegrityRepository(session).get(other_tenant.subject, other_tenant.session_id)
            if stored is not None and ended is not None:
                break
            await asyncio.sleep(0.2)
    finally:
        await asyncio.to_thread(stop_embedded_consumer, consumer)
    assert stored is not None
    assert stored.authenticity_index is not None
    assert stored.authenticity_index < 60
    assert ended is not None  # its final assessment, though nobody opened it


async def test_session_authenticity_for_other_domains(
    database: Database, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    await _fill(database, tenant)
    async with database.transaction() as session:
        await service.assess_session(session, tenant.subject, tenant.session_id)
        found = await service.session_authenticity(
            session, tenant.subject, [tenant.session_id, other_tenant.session_id]
        )
    assert list(found) == [tenant.session_id]
    assert found[tenant.session_id].authenticity_index is not None
    mine = found[tenant.session_id]
    assert mine.figures.orders.reported > 0
    assert "brusher" in mine.flagged_viewers
    assert {f"bot{i}" for i in range(BOTS)} <= set(mine.flagged_viewers)
    assert {f"brush{k}" for k in range(4)} <= set(mine.flagged_orders)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_console_pages(client: httpx.AsyncClient, database: Database, tenant: TenantFixture, locale: str) -> None:
    await _fill(database, tenant)
    await console_login(client, tenant.owner_email)
    await client.get(f"/lang/{locale}?next=/")
    page = await client.get(f"/sessions/{tenant.session_id}/integrity")
    assert page.status_code == 200
    if locale == "zh_CN":
        assert "原因与证据" in page.text
        assert "订单集中度" in page.text
    else:
        assert "Reasons and evidence" in page.text
        assert "concentrate rate" in page.text
    assert "brusher" in page.text
    panel = await client.get(f"/sessions/{tenant.session_id}/integrity/panel")
    assert 'id="integrity-panel"' in panel.text
    overview = await client.get("/integrity")
    assert overview.status_code == 200
    assert f'data-session="{tenant.session_id}"' in overview.text
