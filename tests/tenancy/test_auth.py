"""Console login with CSRF, logout, expired sessions, API keys and role checks."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from livebridge.db import Database
from livebridge.kit.time import utcnow
from livebridge.models import AuthSession, Role
from tests.factories import PASSWORD, TenantFixture, console_login


async def test_login_sets_a_session_and_logout_ends_it(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    csrf = await console_login(client, tenant.owner_email)
    assert (await client.get("/products")).status_code == 200
    response = await client.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert (await client.get("/products")).headers["location"].startswith("/login")


async def test_wrong_password_shows_a_message_in_chinese(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    await client.get("/login")
    response = await client.post("/login", data={
        "email": tenant.owner_email, "password": "wrong password", "csrf_token": client.cookies["lb_csrf"]})
    assert response.status_code == 401
    assert "邮箱或密码错误" in response.text
    assert "lb_session" not in response.cookies


async def test_login_without_the_csrf_cookie_token_is_refused(client: httpx.AsyncClient,
                                                             tenant: TenantFixture) -> None:
    await client.get("/login")
    response = await client.post("/login", data={"email": tenant.owner_email, "password": PASSWORD,
                                                 "csrf_token": "forged"})
    assert response.status_code == 403


async def test_console_write_without_csrf_token_is_refused(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    await console_login(client, tenant.owner_email)
    response = await client.post("/hosts", data={"name": "无令牌", "platform": "douyin"})
    assert response.status_code == 403
    hosts = await client.get("/api/v1/hosts", headers=tenant.headers())
    assert "无令牌" not in hosts.text


async def test_expired_session_redirects_to_login(client: httpx.AsyncClient, database: Database,
                                                  tenant: TenantFixture) -> None:
    await console_login(client, tenant.owner_email)
    async with database.transaction() as session:
        await session.execute(update(AuthSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    response = await client.get("/sessions")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/sessions"


async def test_api_key_auth(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    assert (await client.get("/api/v1/products", headers=tenant.headers())).status_code == 200
    for headers in ({}, tenant.headers("lbk_not-a-real-key"), {"Authorization": "Basic abc"}):
        response = await client.get("/api/v1/products", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] in {"not_authenticated", "invalid_api_key"}


async def test_api_key_is_shown_once_stored_hashed_and_revocable(client: httpx.AsyncClient,
                                                                 tenant: TenantFixture) -> None:
    created = await client.post("/api/v1/api-keys", json={"name": "推流", "role": "ingest"}, headers=tenant.headers())
    # An operator key may not manage keys: only owners may.
    assert created.status_code == 403
    csrf = await console_login(client, tenant.owner_email)
    created = await client.post("/api/v1/api-keys", json={"name": "推流", "role": "analyst"},
                                headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201
    body = created.json()
    key = body["key"]
    assert key.startswith(body["prefix"])
    listed = (await client.get("/api/v1/api-keys")).json()["items"]
    assert all("key" not in item for item in listed)
    assert key not in str(listed)
    assert (await client.get("/api/v1/products", headers=tenant.headers(key))).status_code == 200
    revoked = await client.delete(f"/api/v1/api-keys/{body['id']}", headers={"X-CSRF-Token": csrf})
    assert revoked.json()["revoked_at"] is not None
    assert (await client.get("/api/v1/products", headers=tenant.headers(key))).status_code == 401


@pytest.mark.parametrize(
    ("role", "can_read", "can_write"),
    [(Role.OPERATOR, True, True), (Role.ANALYST, True, False), (Role.HOST, True, False),
     (Role.DEALER_STAFF, False, False)],
)
async def test_roles(client: httpx.AsyncClient, tenant: TenantFixture, role: Role, can_read: bool,
                     can_write: bool) -> None:
    csrf = await console_login(client, tenant.member_emails[role])
    read = await client.get("/api/v1/products")
    assert read.status_code == (200 if can_read else 403)
    write = await client.post("/api/v1/products", json={"name": f"新品 {role}", "category": "厨房小电"},
                              headers={"X-CSRF-Token": csrf})
    assert write.status_code == (201 if can_write else 403), write.text
    assert (await client.post("/api/v1/members", headers={"X-CSRF-Token": csrf}, json={
        "email": "x@example.com", "display_name": "x", "password": PASSWORD, "role": "analyst"})).status_code == 403


async def test_ingest_key_cannot_read_the_catalog(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    csrf = await console_login(client, tenant.owner_email)
    key = (await client.post("/api/v1/api-keys", json={"name": "ingest", "role": "ingest"},
                             headers={"X-CSRF-Token": csrf})).json()["key"]
    client.cookies.clear()
    response = await client.get("/api/v1/products", headers=tenant.headers(key))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


async def test_platform_admin_only(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    csrf = await console_login(client, tenant.owner_email)
    response = await client.post("/api/v1/admin/tenants", headers={"X-CSRF-Token": csrf}, json={
        "slug": "nope", "name": "x", "owner_email": "a@b.cn", "owner_name": "a", "owner_password": PASSWORD})
    assert response.status_code == 403
    assert (await client.get("/admin/tenants")).status_code == 403


async def test_last_owner_cannot_be_removed(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    csrf = await console_login(client, tenant.owner_email)
    members = (await client.get("/api/v1/members")).json()["items"]
    owner = next(m for m in members if m["role"] == "owner")
    response = await client.delete(f"/api/v1/members/{owner['id']}", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "last_owner"
