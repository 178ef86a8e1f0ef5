"""Handing a pain point to the C2M proposal flow: a new proposal or evidence on an open one, tenants and roles."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from livebridge.db import Database
from livebridge.models import Notification, Role
from tests.demand.factories import make_topics
from tests.factories import TenantFixture, console_login
from tests.orders.test_painpoints import _load

PERIOD = {"start_date": "2026-11-01", "end_date": "2026-11-21"}


async def _hand(client: httpx.AsyncClient, tenant: TenantFixture, **body: object) -> httpx.Response:
    return await client.post(
        "/api/v1/pain-points/proposal", json={"reason": "漏水", **PERIOD, **body}, headers=tenant.headers()
    )


async def test_the_pain_point_page_creates_a_proposal_with_its_requests_as_evidence(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    await _load(database, tenant)
    csrf = await console_login(client, tenant.owner_email)
    page = await client.get("/pain-points", params=PERIOD)
    assert "移交 C2M" in page.text
    form = {"csrf_token": csrf, "reason": "漏水", "proposal_id": "", **PERIOD}
    response = await client.post("/pain-points/proposal", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    pid = int(response.headers["location"].rsplit("/", 1)[1])

    read = (await client.get(f"/api/v1/demand/proposals/{pid}", headers=tenant.headers())).json()
    assert (read["status"], read["title"], read["topic_ids"]) == ("new", "暖家燃气热水器 X200：漏水", [])
    (evidence,) = read["evidence"]
    # The product the pain point is mostly about: its 4 requests, not the fryer's one.
    assert (evidence["source"], evidence["label"], evidence["count"]) == ("pain_point", "漏水", 4)
    assert "上一周期 1 次" in evidence["summary"]
    assert "主播 小暖" in evidence["summary"]
    assert sorted(i["references"]["after_sale"] for i in evidence["items"]) == ["R0", "R1", "R2", "R3"]
    first = evidence["items"][0]
    assert first["text"] == "热水器底部漏水"
    assert first["references"]["order"] == "H" + first["references"]["after_sale"][1:]
    assert (first["references"]["session"], first["references"]["host"]) == ("测试专场", "小暖")

    shown = await client.get(f"/demand/proposals/{pid}")
    assert "售后痛点" in shown.text
    assert "漏水 ×4" in shown.text
    assert "“热水器底部漏水”" in shown.text
    assert "售后单 R0" in shown.text

    async with database.transaction(write=False) as session:
        kinds = (
            await session.execute(select(Notification.kind).where(Notification.tenant_id == tenant.tenant_id))
        ).scalars()
        # The brand organization's operator, analyst and host; not the owner who acted.
        assert sorted(kinds) == ["proposal_created"] * 3


async def test_a_pain_point_is_added_to_an_open_proposal_next_to_its_topics(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    await _load(database, tenant)
    topics = await make_topics(database, tenant.tenant_id, tenant.session_id, tenant.product_id)
    created = await client.post(
        "/api/v1/demand/proposals",
        json={"product_id": tenant.product_id, "title": "出大号", "topic_ids": [topics["出个大号的吧"]]},
        headers=tenant.headers(),
    )
    pid = created.json()["id"]
    added = await _hand(client, tenant, product_id=tenant.product_id, proposal_id=pid)
    assert added.status_code == 200, added.text
    assert added.json() == {"proposal_id": pid, "created": False, "requests": 1}
    read = (await client.get(f"/api/v1/demand/proposals/{pid}", headers=tenant.headers())).json()
    assert read["topic_ids"] == [topics["出个大号的吧"]]
    assert [(e["label"], e["count"], e["items"][0]["text"]) for e in read["evidence"]] == [("漏水", 1, "炸锅漏油")]
    await console_login(client, tenant.owner_email)
    shown = await client.get(f"/demand/proposals/{pid}")
    assert "出个大号的吧" in shown.text
    assert "“炸锅漏油”" in shown.text

    # The water heater's pain point does not fit the fryer's proposal; a closed proposal takes no more.
    other_product = await _hand(client, tenant, proposal_id=pid)
    assert (other_product.status_code, other_product.json()["error"]["code"]) == (422, "proposal_of_other_product")
    no_requests = await _hand(client, tenant, reason="质量问题", product_id=tenant.product_id + 10_000)
    assert no_requests.status_code == 404
    missing = await _hand(client, tenant, reason="不存在的原因")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "pain_point_not_found")
    declined = await client.post(
        f"/api/v1/demand/proposals/{pid}/transitions", json={"to": "declined", "reason": "不做"},
        headers=tenant.headers(),
    )
    assert declined.status_code == 200
    closed = await _hand(client, tenant, product_id=tenant.product_id, proposal_id=pid)
    assert (closed.status_code, closed.json()["error"]["code"]) == (409, "proposal_closed")
    csrf = await console_login(client, tenant.owner_email)
    form = {"csrf_token": csrf, "reason": "漏水", "product_id": str(tenant.product_id), "proposal_id": str(pid)}
    refused = await client.post("/pain-points/proposal", data={**form, **PERIOD})
    assert refused.status_code == 422
    assert "该提案已上市或已拒绝，不能再添加证据。" in refused.text
    read = (await client.get(f"/api/v1/demand/proposals/{pid}", headers=tenant.headers())).json()
    assert len(read["evidence"]) == 1


async def test_another_tenants_pain_points_and_proposals_answer_404(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    await _load(database, other_tenant)
    theirs = await _hand(client, other_tenant)
    assert theirs.status_code == 200, theirs.text
    mine = await _hand(client, tenant)
    assert (mine.status_code, mine.json()["error"]["code"]) == (404, "pain_point_not_found")
    await _load(database, tenant)
    into_theirs = await _hand(client, tenant, proposal_id=theirs.json()["proposal_id"])
    assert (into_theirs.status_code, into_theirs.json()["error"]["code"]) == (404, "proposal_not_found")
    their_product = await _hand(client, tenant, product_id=other_tenant.product_id)
    assert (their_product.status_code, their_product.json()["error"]["code"]) == (404, "product_not_found")
    their_id = theirs.json()["proposal_id"]
    read = await client.get(f"/api/v1/demand/proposals/{their_id}", headers=other_tenant.headers())
    assert len(read.json()["evidence"]) == 1


async def test_an_analyst_sees_pain_points_but_cannot_hand_them_over(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    await _load(database, tenant)
    csrf = await console_login(client, tenant.member_emails[Role.ANALYST])
    page = await client.get("/pain-points", params=PERIOD)
    assert "漏水" in page.text
    assert "移交 C2M" not in page.text
    refused = await client.post(
        "/api/v1/pain-points/proposal", json={"reason": "漏水", **PERIOD}, headers={"X-CSRF-Token": csrf}
    )
    assert refused.status_code == 403
    form = await client.post("/pain-points/proposal", data={"csrf_token": csrf, "reason": "漏水", **PERIOD})
    assert form.status_code == 403
    listed = await client.get("/api/v1/demand/proposals", headers=tenant.headers())
    assert listed.json()["pagination"]["total_count"] == 0


async def test_the_demand_api_takes_evidence_from_any_source_on_open_proposals_only_from_writers(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    created = await client.post(
        "/api/v1/demand/proposals",
        json={
            "product_id": tenant.product_id,
            "title": "加厚内胆",
            "evidence": [{"source": "review", "label": "涂层脱落", "count": 2}],
        },
        headers=tenant.headers(),
    )
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    bad = await client.post(
        f"/api/v1/demand/proposals/{pid}/evidence", json={"source": "review", "label": "掉漆", "count": -1},
        headers=tenant.headers(),
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "count"
    item = {"text": "用了一周就掉漆", "references": {"order": "F9"}}
    added = await client.post(
        f"/api/v1/demand/proposals/{pid}/evidence",
        json={"source": "review", "label": "掉漆", "count": 1, "items": [item]},
        headers=tenant.headers(),
    )
    assert added.status_code == 200, added.text
    assert [(e["label"], e["items"]) for e in added.json()["evidence"]] == [("涂层脱落", []), ("掉漆", [item])]
    csrf = await console_login(client, tenant.member_emails[Role.ANALYST])
    refused = await client.post(
        f"/api/v1/demand/proposals/{pid}/evidence", json={"source": "review", "label": "x", "count": 1},
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status_code == 403
