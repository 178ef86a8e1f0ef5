"""C2M proposals over the API and console: the state machine, evidence, notifications, roles."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from livebridge.db import Database
from livebridge.models import Notification, Role
from tests.demand.factories import make_topics
from tests.factories import TenantFixture, console_login

LEGAL_PATH = ["under_review", "planned", "in_production", "shipped"]


async def _topics(database: Database, tenant: TenantFixture) -> dict[str, int]:
    return await make_topics(database, tenant.tenant_id, tenant.session_id, tenant.product_id)


async def _create(client: httpx.AsyncClient, tenant: TenantFixture, topic_ids: list[int], **extra: object) -> dict:  # type: ignore[type-arg]
    body = {"product_id": tenant.product_id, "title": "出大号", "topic_ids": topic_ids, **extra}
    response = await client.post("/api/v1/demand/proposals", json=body, headers=tenant.headers())
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def _move(client: httpx.AsyncClient, tenant: TenantFixture, proposal_id: int, to: str,
                reason: str | None = None) -> httpx.Response:
    body = {"to": to} | ({"reason": reason} if reason else {})
    return await client.post(f"/api/v1/demand/proposals/{proposal_id}/transitions", json=body,
                             headers=tenant.headers())


async def test_the_legal_path_to_shipped_and_every_illegal_jump(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    topics = await _topics(database, tenant)
    created = await _create(client, tenant, [topics["出个大号的吧"]])
    assert created["status"] == "new"
    assert created["allowed_transitions"] == ["under_review", "declined"]
    assert len(created["quote_ids"]) == 3  # the topic's quotes are kept as evidence
    pid = created["id"]
    all_statuses = ["new", *LEGAL_PATH, "declined"]
    current = "new"
    for target in LEGAL_PATH:
        for illegal in all_statuses:
            if illegal in (target, "declined", current):
                continue
            refused = await _move(client, tenant, pid, illegal)
            assert refused.status_code == 409, (current, illegal, refused.text)
            assert refused.json()["error"]["code"] == "invalid_proposal_transition"
        moved = await _move(client, tenant, pid, target)
        assert moved.status_code == 200, moved.text
        assert moved.json()["status"] == target
        current = target
    shipped = moved.json()
    assert shipped["shipped_at"] is not None
    assert shipped["allowed_transitions"] == []
    for target in all_statuses:
        refused = await _move(client, tenant, pid, target, reason="太晚了")
        assert refused.status_code == 409
    # After shipping, the topic shows the demand before and after the ship date.
    detail = (await client.get(f"/api/v1/demand/topics/{topics['出个大号的吧']}", headers=tenant.headers())).json()
    assert detail["proposal_ids"] == [pid]
    (effect,) = detail["ship_effects"]
    assert effect["comments_before"] == 3
    assert effect["comments_after"] == 0


@pytest.mark.parametrize("steps", [[], ["under_review"], ["under_review", "planned"],
                                   ["under_review", "planned", "in_production"]])
async def test_declining_needs_a_reason_from_every_open_status(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture, steps: list[str]
) -> None:
    topics = await _topics(database, tenant)
    pid = (await _create(client, tenant, [topics["出个大号的吧"]]))["id"]
    for step in steps:
        assert (await _move(client, tenant, pid, step)).status_code == 200
    without = await _move(client, tenant, pid, "declined")
    assert without.status_code == 422
    assert without.json()["error"]["code"] == "decline_reason_required"
    declined = await _move(client, tenant, pid, "declined", reason="成本太高")
    assert declined.status_code == 200
    assert declined.json()["decline_reason"] == "成本太高"
    assert (await _move(client, tenant, pid, "under_review")).status_code == 409


async def test_bad_proposals_are_refused_with_the_field_named(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    topics = await _topics(database, tenant)
    other_topics = await make_topics(database, other_tenant.tenant_id, other_tenant.session_id,
                                     other_tenant.product_id)
    cases: list[tuple[dict[str, object], int, str]] = [
        ({"topic_ids": []}, 422, "required"),
        ({"topic_ids": [next(iter(other_topics.values()))]}, 422, "topic_not_found"),
        ({"topic_ids": [topics["出个大号的吧"]], "quote_ids": [999_999]}, 422, "quote_not_in_topics"),
        ({"topic_ids": [topics["出个大号的吧"]], "owner_user_id": 999_999}, 422, "owner_not_member"),
        ({"topic_ids": [topics["出个大号的吧"]], "product_id": other_tenant.product_id}, 404, "product_not_found"),
    ]
    for change, status, code in cases:
        body = {"product_id": tenant.product_id, "title": "x", **change}
        response = await client.post("/api/v1/demand/proposals", json=body, headers=tenant.headers())
        assert response.status_code == status, (change, response.text)
        assert response.json()["error"]["code"] == code
    listed = await client.get("/api/v1/demand/proposals", headers=tenant.headers())
    assert listed.json()["pagination"]["total_count"] == 0


async def test_the_manufacturers_members_are_notified_in_the_console(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    topics = await _topics(database, tenant)
    csrf = await console_login(client, tenant.owner_email)
    response = await client.post("/demand/proposals/new", data={
        "csrf_token": csrf, "topic_ids": str(topics["出个大号的吧"]), "product_id": str(tenant.product_id),
        "title": "推出大号款", "notes": "观众多次要求"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    pid = int(response.headers["location"].rsplit("/", 1)[1])
    moved = await client.post(f"/demand/proposals/{pid}/transition", data={"csrf_token": csrf, "to": "under_review"})
    assert moved.status_code == 303

    async with database.transaction(write=False) as session:
        rows = (await session.execute(select(Notification).where(Notification.tenant_id == tenant.tenant_id))).scalars()
        by_kind: dict[str, int] = {}
        for row in rows:
            by_kind[row.kind] = by_kind.get(row.kind, 0) + 1
    # Brand organization members (operator, analyst, host); not the owner who acted, not the dealer.
    assert by_kind == {"proposal_created": 3, "proposal_status": 3}

    client.cookies.clear()
    await console_login(client, tenant.member_emails[Role.ANALYST])
    bell = await client.get("/notifications/bell")
    assert 'id="bell-count">2<' in bell.text
    page = await client.get("/notifications")
    assert "推出大号款" in page.text
    assert "审核中" in page.text
    dealer_bell = None
    client.cookies.clear()
    await console_login(client, tenant.member_emails[Role.DEALER_STAFF])
    dealer_bell = await client.get("/notifications/bell")
    assert "bell-count" not in dealer_bell.text


async def test_readers_cannot_write_proposals_or_answer(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    topics = await _topics(database, tenant)
    csrf = await console_login(client, tenant.member_emails[Role.ANALYST])
    headers = {"X-CSRF-Token": csrf}
    body = {"product_id": tenant.product_id, "title": "x", "topic_ids": [topics["出个大号的吧"]]}
    assert (await client.post("/api/v1/demand/proposals", json=body, headers=headers)).status_code == 403
    answer = await client.post(f"/api/v1/demand/topics/{topics['尺码怎么选']}/answered",
                               json={"session_id": tenant.session_id}, headers=headers)
    assert answer.status_code == 403
    assert (await client.post("/api/v1/demand/topics/rebuild", headers=headers)).status_code == 403
