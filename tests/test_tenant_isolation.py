"""A user of tenant A can never see or change anything of tenant B: every such request gets 404."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from livebridge.db import Database
from livebridge.demand import proposals
from livebridge.demand.schemas import ProposalCreate
from livebridge.models import ApiKey, Membership, ServiceTicket, Territory
from livebridge.settlement import service as settlement_service
from tests.demand.factories import make_topics
from tests.factories import TenantFixture, console_login
from tests.network import agreement, open_ticket, set_up_dealer

NOW = datetime.now(UTC)

# A valid body for each route that takes one, so that the request reaches the tenant check.
BODIES: dict[tuple[str, str], object] = {
    ("PATCH", "/api/v1/organizations/{organization_id}"): {"contact_name": "x"},
    ("POST", "/api/v1/products/{product_id}/skus"): {"code": "ISO-1", "spec": "x", "price_fen": 100},
    ("PATCH", "/api/v1/products/{product_id}"): {"category": "x"},
    ("PATCH", "/api/v1/skus/{sku_id}"): {"price_fen": 1},
    ("PATCH", "/api/v1/hosts/{host_id}"): {"bio": "x"},
    ("PATCH", "/api/v1/sessions/{session_id}"): {"title": "x"},
    ("POST", "/api/v1/sessions/{session_id}/start"): {},
    ("POST", "/api/v1/sessions/{session_id}/end"): {},
    ("POST", "/api/v1/sessions/{session_id}/shelf"): {"product_id": 0},
    ("POST", "/api/v1/sessions/{session_id}/segments"): {
        "product_id": 0, "started_at": NOW.isoformat(), "ended_at": (NOW + timedelta(minutes=5)).isoformat()},
    ("PUT", "/api/v1/dealers/{organization_id}"): {"dealer_code": "ISO-1"},
    ("POST", "/api/v1/dealers/{organization_id}/territories"): {"region_code": "330106", "capability": "repair"},
    ("POST", "/api/v1/dealers/{organization_id}/agreements"): agreement().model_dump(mode="json"),
    ("POST", "/api/v1/territories/{territory_id}/release"): {},
    ("POST", "/api/v1/orders/{order_id}/address"): {"district_code": "330106"},
    ("POST", "/api/v1/tickets/{ticket_id}/schedule"): {
        "start": (NOW + timedelta(hours=1)).isoformat(), "end": (NOW + timedelta(hours=2)).isoformat()},
    ("POST", "/api/v1/tickets/{ticket_id}/resolve"): {"notes": "x"},
    **{("POST", f"/api/v1/tickets/{{ticket_id}}/{move}"): {}
       for move in ("accept", "start", "close", "cancel", "escalate", "reassign")},
    ("POST", "/api/v1/demand/topics/{topic_id}/split"): {"event_row_ids": [1]},
    ("POST", "/api/v1/demand/topics/{topic_id}/answered"): {"session_id": 1},
    ("PATCH", "/api/v1/demand/proposals/{proposal_id}"): {"notes": "x"},
    ("POST", "/api/v1/demand/proposals/{proposal_id}/transitions"): {"to": "under_review"},
    ("POST", "/api/v1/demand/proposals/{proposal_id}/evidence"): {"source": "pain_point", "label": "x", "count": 1},
}


async def _ids_of(database: Database, victim: TenantFixture) -> dict[str, int]:
    await set_up_dealer(database, victim, organization_id=victim.dealer_id, code="ISO-V", regions=["330106"])
    ticket_id = await open_ticket(
        database, victim.subject, "ISO-1", f"AF5-{victim.slug}", "浙江省杭州市西湖区文三路1号", now=NOW)
    async with database.transaction() as session:
        settled = await settlement_service.do_settle_period(
            session, victim.subject, date(2026, 10, 1), date(2026, 11, 1), dealer_ids=[victim.dealer_id])
    topics = await make_topics(database, victim.tenant_id, victim.session_id, victim.product_id)
    async with database.transaction() as session:
        proposal = await proposals.do_create_proposal(session, victim.subject, ProposalCreate(
            product_id=victim.product_id, title="victim", topic_ids=list(topics.values())[:1]))
    async with database.transaction(write=False) as session:
        membership_id = (await session.execute(
            select(Membership.id).where(Membership.tenant_id == victim.tenant_id).limit(1))).scalar_one()
        api_key_id = (await session.execute(
            select(ApiKey.id).where(ApiKey.tenant_id == victim.tenant_id).limit(1))).scalar_one()
        ticket = (await session.execute(select(ServiceTicket).where(ServiceTicket.id == ticket_id))).scalar_one()
        assert ticket.order_id is not None
        territory_id = (await session.execute(
            select(Territory.id).where(Territory.tenant_id == victim.tenant_id).limit(1))).scalar_one()
    return {
        "organization_id": victim.dealer_id, "membership_id": membership_id, "api_key_id": api_key_id,
        "product_id": victim.product_id, "sku_id": victim.sku_id, "host_id": victim.host_id,
        "session_id": victim.session_id, "shelf_item_id": 1, "segment_id": 1,
        "territory_id": territory_id, "ticket_id": ticket_id, "order_id": ticket.order_id,
        "after_sale_id": ticket.after_sale_id, "statement_id": settled.statements[0].id,
        "topic_id": next(iter(topics.values())), "proposal_id": proposal.id,
    }


def _api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every documented API operation whose path carries an id (read from the OpenAPI document)."""
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/v1/") and "{" in path
        for method in sorted(operations)
    ]


async def test_every_route_with_an_id_answers_404_for_another_tenants_ids(
    app: FastAPI, client: httpx.AsyncClient, database: Database, tenant: TenantFixture,
    other_tenant: TenantFixture,
) -> None:
    csrf = await console_login(client, tenant.owner_email)
    ids = await _ids_of(database, other_tenant)
    routes = _api_routes(app)
    assert len(routes) >= 20
    for method, path in routes:
        params = re.findall(r"{(\w+)}", path)
        assert all(p in ids for p in params), f"no victim id for {path}: extend this test"
        url = path.format(**{p: ids[p] for p in params})
        body = BODIES.get((method, path))
        if isinstance(body, dict) and "product_id" in body:
            body = {**body, "product_id": other_tenant.product_id}
        response = await client.request(method, url, json=body, headers={"X-CSRF-Token": csrf})
        assert response.status_code == 404, f"{method} {url} → {response.status_code} {response.text}"
        assert response.json()["error"]["code"].endswith("not_found")


async def test_lists_never_show_another_tenants_rows(client: httpx.AsyncClient, tenant: TenantFixture,
                                                     other_tenant: TenantFixture) -> None:
    for path, attribute in (("/api/v1/products", "product_id"), ("/api/v1/hosts", "host_id"),
                            ("/api/v1/sessions", "session_id"), ("/api/v1/organizations", "dealer_id")):
        response = await client.get(path, params={"page_size": 200}, headers=tenant.headers())
        assert response.status_code == 200, response.text
        ids = {item["id"] for item in response.json()["items"]}
        assert getattr(tenant, attribute) in ids
        assert getattr(other_tenant, attribute) not in ids


@pytest.mark.parametrize(
    "path", ["/products/{product_id}", "/sessions/{session_id}", "/sessions/{session_id}/questions"]
)
async def test_console_pages_answer_404_for_another_tenants_ids(
    client: httpx.AsyncClient, tenant: TenantFixture, other_tenant: TenantFixture, path: str
) -> None:
    await console_login(client, tenant.owner_email)
    url = path.format(product_id=other_tenant.product_id, session_id=other_tenant.session_id)
    response = await client.get(url)
    assert response.status_code == 404
    assert "空气炸锅" not in response.text
