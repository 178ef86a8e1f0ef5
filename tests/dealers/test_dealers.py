"""Dealers: regional protection (service and database), releases, agreement versions by effective date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.exc import IntegrityError

from livebridge.db import Database
from livebridge.dealers import service
from livebridge.models import Capability, RegionLevel, Territory
from tests.factories import TenantFixture
from tests.network import DEADLINES, agreement, set_up_dealer


async def test_overlapping_claims_are_refused_naming_the_holder(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    holder = await set_up_dealer(database, tenant, name="西湖服务中心", code=f"H{tenant.tenant_id}", regions=["330106"])
    other = await set_up_dealer(
        database, tenant, name="杭州城区服务部", code=f"O{tenant.tenant_id}", regions=["330100"]
    )
    response = await client.post(
        f"/api/v1/dealers/{other}/territories",
        json={"region_code": "330106", "capability": "installation"},
        headers=tenant.headers(),
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "territory_taken"
    assert "西湖服务中心" in error["message"]
    assert error["details"]["dealer_id"] == holder
    # A district inside another dealer's city is allowed: the most specific claim serves it.
    async with database.transaction(write=False) as session:
        found = await service.responsible_dealers(
            session, tenant.subject, "330106", Capability.INSTALLATION, datetime.now(UTC)
        )
    assert [(r.organization_id, r.level) for r in found] == [
        (holder, RegionLevel.DISTRICT),
        (other, RegionLevel.CITY),
    ]


async def test_the_database_refuses_a_second_open_claim(database: Database, tenant: TenantFixture) -> None:
    holder = await set_up_dealer(database, tenant, code=f"D{tenant.tenant_id}", regions=["440106"])
    duplicate = Territory(
        tenant_id=tenant.tenant_id,
        organization_id=holder,
        region_code="440106",
        region_level=RegionLevel.DISTRICT,
        capability=Capability.REPAIR,
        claimed_at=datetime.now(UTC),
    )
    async with database.transaction() as session:
        session.add(duplicate)
        with pytest.raises(IntegrityError):
            await session.flush()
        await session.rollback()


async def test_a_released_territory_can_be_claimed_and_history_is_kept(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    first = await set_up_dealer(database, tenant, code=f"F{tenant.tenant_id}", regions=["510107"])
    second = await set_up_dealer(database, tenant, code=f"S{tenant.tenant_id}", regions=[])
    dealer = (await client.get(f"/api/v1/dealers/{first}", headers=tenant.headers())).json()
    repair = next(t for t in dealer["territories"] if t["capability"] == "repair")
    assert repair["region_name"] == "四川省 成都市 武侯区"
    released = await client.post(f"/api/v1/territories/{repair['id']}/release", json={}, headers=tenant.headers())
    assert released.status_code == 200
    assert released.json()["released_at"]
    again = await client.post(f"/api/v1/territories/{repair['id']}/release", json={}, headers=tenant.headers())
    assert again.status_code == 409
    claim = await client.post(
        f"/api/v1/dealers/{second}/territories",
        json={"region_code": "510107", "capability": "repair"},
        headers=tenant.headers(),
    )
    assert claim.status_code == 201, claim.text
    unknown = await client.post(
        f"/api/v1/dealers/{second}/territories",
        json={"region_code": "510199", "capability": "repair"},
        headers=tenant.headers(),
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "unknown_region"
    history = (await client.get(f"/api/v1/dealers/{first}", headers=tenant.headers())).json()["territories"]
    assert any(t["id"] == repair["id"] and t["released_at"] for t in history)


async def test_agreement_versions_take_effect_on_their_dates(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    dealer = await set_up_dealer(database, tenant, code=f"A{tenant.tenant_id}", regions=[], with_agreement=False)
    march = datetime(2026, 3, 1, tzinfo=UTC)
    june = datetime(2026, 6, 1, tzinfo=UTC)
    for effective, commission in ((march, 300), (june, 450)):
        body = agreement(effective_from=effective, commission_bps=commission).model_dump(mode="json")
        response = await client.post(f"/api/v1/dealers/{dealer}/agreements", json=body, headers=tenant.headers())
        assert response.status_code == 201, response.text
    late = agreement(effective_from=june - timedelta(days=1)).model_dump(mode="json")
    refused = await client.post(f"/api/v1/dealers/{dealer}/agreements", json=late, headers=tenant.headers())
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "agreement_not_after_latest"
    history = (await client.get(f"/api/v1/dealers/{dealer}/agreements", headers=tenant.headers())).json()
    assert [(v["version"], v["commission_bps"]) for v in history] == [(1, 300), (2, 450)]
    assert history[0]["effective_until"] == history[1]["effective_from"]
    assert history[1]["effective_until"] is None
    async with database.transaction(write=False) as session:
        before = await service.agreement_in_force(session, tenant.subject, dealer, march - timedelta(seconds=1))
        spring = await service.agreement_in_force(session, tenant.subject, dealer, datetime(2026, 4, 1, tzinfo=UTC))
        summer = await service.agreement_in_force(session, tenant.subject, dealer, june)
    assert before is None
    assert spring is not None
    assert spring.version == 1
    assert summer is not None
    assert summer.version == 2
    missing = agreement(effective_from=datetime(2026, 9, 1, tzinfo=UTC)).model_dump(mode="json")
    missing["deadlines"] = {"repair": DEADLINES[next(iter(DEADLINES))].model_dump()}
    response = await client.post(f"/api/v1/dealers/{dealer}/agreements", json=missing, headers=tenant.headers())
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "deadlines_missing"
