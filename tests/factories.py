"""Typed factories that build real rows through the services (no mocks of our own database)."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from livebridge.authz import Permission, Subject, command_line_subject
from livebridge.catalog import service as catalog_service
from livebridge.catalog.schemas import ProductCreate, SkuCreate
from livebridge.db import Database
from livebridge.live import service as live_service
from livebridge.live.schemas import HostCreate, SessionCreate, ShelfItemCreate
from livebridge.models import ApiKeyRole, OrganizationKind, Platform, Role
from livebridge.tenancy import service as tenancy_service
from livebridge.tenancy.schemas import ApiKeyCreate, MemberCreate, OrganizationCreate, TenantCreate

PASSWORD = "correct horse battery"
# CI's second run scales out: LIVEBRIDGE_REDIS_URL is set and a `livebridge worker` process consumes the
# queue (tests/conftest.py). Tests that drive the queue by hand, as one process, run only in the first.
SCALE_OUT_RUN = bool(os.environ.get("LIVEBRIDGE_REDIS_URL"))
embedded_queue_only = pytest.mark.skipif(
    SCALE_OUT_RUN, reason="drives the task queue by hand; in the scale-out run a worker process consumes it"
)


@dataclass
class TenantFixture:
    tenant_id: int
    slug: str
    owner_email: str
    api_key: str
    product_id: int
    sku_id: int
    host_id: int
    session_id: int
    dealer_id: int
    member_emails: dict[Role, str] = field(default_factory=dict)

    @property
    def subject(self) -> Subject:
        return Subject(display_name="test", tenant_id=self.tenant_id, permissions=frozenset(Permission))

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.api_key}"}


async def make_tenant(database: Database) -> TenantFixture:
    """A tenant with an owner, one member per role, an operator API key and one of each object."""
    slug = f"t-{uuid.uuid4().hex[:10]}"
    owner_email = f"owner@{slug}.test"
    async with database.transaction() as session:
        tenant = await tenancy_service.do_create_tenant(session, command_line_subject(), TenantCreate(
            slug=slug, name=f"品牌 {slug}", owner_email=owner_email, owner_name="负责人", owner_password=PASSWORD))
        subject = Subject(display_name="factory", tenant_id=tenant.id, permissions=frozenset(Permission))
        dealer = await tenancy_service.do_create_organization(session, subject, OrganizationCreate(
            name=f"经销商 {slug}", kind=OrganizationKind.DEALER, region_code="330106"))
        members: dict[Role, str] = {Role.OWNER: owner_email}
        for role in (Role.OPERATOR, Role.ANALYST, Role.HOST, Role.DEALER_STAFF):
            email = f"{role.value}@{slug}.test"
            await tenancy_service.do_add_member(session, subject, MemberCreate(
                email=email, display_name=role.value, password=PASSWORD, role=role,
                organization_id=dealer.id if role == Role.DEALER_STAFF else None))
            members[role] = email
        key = await tenancy_service.do_create_api_key(
            session, subject, ApiKeyCreate(name="operator key", role=ApiKeyRole.OPERATOR))
        product = await catalog_service.do_create_product(session, subject, ProductCreate(
            name="空气炸锅 AF5", category="厨房小电", aliases=["炸锅"],
            skus=[SkuCreate(code=f"AF5-{slug}", spec="5L", price_fen=29900)]))
        sku_id = product.skus[0].id
        host = await live_service.do_create_host(session, subject, HostCreate(name="小暖", platform=Platform.DOUYIN))
        live_session = await live_service.do_create_session(session, subject, SessionCreate(
            title="测试专场", platform=Platform.DOUYIN, scheduled_start_at=datetime.now(UTC) + timedelta(days=1),
            host_ids=[host.id]))
        await live_service.do_add_to_shelf(session, subject, live_session.id, ShelfItemCreate(product_id=product.id))
    return TenantFixture(
        tenant_id=tenant.id, slug=slug, owner_email=owner_email, api_key=key.key, product_id=product.id,
        sku_id=sku_id, host_id=host.id, session_id=live_session.id, dealer_id=dealer.id,
        member_emails=members,
    )


async def console_login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    """Log in through the console form; returns the session's CSRF token for later writes."""
    await client.get("/login")
    response = await client.post("/login", data={
        "email": email, "password": password, "csrf_token": client.cookies.get("lb_csrf", ""), "next": "/"})
    assert response.status_code == 303, response.text
    page = await client.get("/", follow_redirects=True)  # dealer staff land in their portal
    marker = 'data-csrf="'
    start = page.text.index(marker) + len(marker)
    return page.text[start:page.text.index('"', start)]
