"""Look-ups for authentication. These run before any tenant is known, hence unscoped by design."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.models import ApiKey, AuthSession, Membership, Tenant, User


class AuthRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_user_by_email(self, email: str) -> User | None:
        result = await self.session.execute(select(User).where(User.email == email.strip().lower()))
        return result.scalar_one_or_none()

    async def get_user(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def list_memberships(self, user_id: int) -> list[Membership]:
        result = await self.session.execute(
            select(Membership).where(Membership.user_id == user_id).order_by(Membership.id)
        )
        return list(result.scalars())

    async def get_live_auth_session(self, token_hash: str, now: datetime) -> AuthSession | None:
        result = await self.session.execute(
            select(AuthSession).where(AuthSession.token_hash == token_hash, AuthSession.expires_at > now)
        )
        return result.scalar_one_or_none()

    async def add_auth_session(self, auth_session: AuthSession) -> None:
        self.session.add(auth_session)
        await self.session.flush()

    async def delete_auth_session(self, token_hash: str) -> None:
        await self.session.execute(delete(AuthSession).where(AuthSession.token_hash == token_hash))

    async def delete_expired_auth_sessions(self, now: datetime) -> None:
        await self.session.execute(delete(AuthSession).where(AuthSession.expires_at <= now))

    async def get_active_api_key(self, key_hash: str) -> ApiKey | None:
        result = await self.session.execute(
            select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
        )
        return result.scalar_one_or_none()

    async def touch_api_key(self, api_key_id: int, now: datetime, *, unless_since: datetime | None = None) -> None:
        statement = update(ApiKey).where(ApiKey.id == api_key_id).values(last_used_at=now)
        if unless_since is not None:
            statement = statement.where((ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < unless_since))
        await self.session.execute(statement)

    async def record_login(self, user_id: int, now: datetime) -> None:
        await self.session.execute(update(User).where(User.id == user_id).values(last_login_at=now))

    async def list_tenants(self, tenant_ids: tuple[int, ...]) -> list[Tenant]:
        result = await self.session.execute(select(Tenant).where(Tenant.id.in_(tenant_ids)).order_by(Tenant.id))
        return list(result.scalars())
