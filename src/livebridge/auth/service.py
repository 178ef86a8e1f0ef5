"""Console logins and API-key authentication, turning credentials into a ``Subject``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.auth.repository import AuthRepository
from livebridge.auth.secrets import DUMMY_PASSWORD_HASH, hash_api_key, verify_password
from livebridge.authz import API_KEY_PERMISSIONS, Subject, permissions_for_roles
from livebridge.exceptions import NotAuthenticated
from livebridge.kit.ids import new_token, sha256_hex
from livebridge.kit.time import utcnow
from livebridge.models import AuthSession, Membership, User

API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)
# How long a key found valid is trusted without asking the database again (per process): a client
# pushing several batches a second is not looked up for each. Revoking a key forgets it at once in
# the revoking process; other processes stop accepting it within this time.
RECENT_API_KEY_SECONDS = 5.0


class RecentApiKeys:
    """Subjects of API keys found valid in the last ``seconds``, by key hash; at most ``capacity``."""

    def __init__(self, seconds: float, capacity: int = 1024) -> None:
        self.seconds = seconds
        self.capacity = capacity
        self._subjects: dict[str, tuple[float, Subject]] = {}

    def get(self, key_hash: str) -> Subject | None:
        found = self._subjects.get(key_hash)
        if found is None or time.monotonic() - found[0] > self.seconds:
            return None
        return found[1]

    def remember(self, key_hash: str, subject: Subject) -> None:
        if len(self._subjects) >= self.capacity:
            self._subjects.clear()
        self._subjects[key_hash] = (time.monotonic(), subject)

    def forget(self, api_key_id: int) -> None:
        for key_hash in [h for h, (_, s) in self._subjects.items() if s.api_key_id == api_key_id]:
            del self._subjects[key_hash]


recent_api_keys = RecentApiKeys(RECENT_API_KEY_SECONDS)


def recent_api_key_subject(plaintext: str) -> Subject | None:
    """The subject of a key found valid moments ago, without the database; None: look it up."""
    return recent_api_keys.get(hash_api_key(plaintext))


def forget_api_key(api_key_id: int) -> None:
    """A revoked key: stop trusting it in this process at once."""
    recent_api_keys.forget(api_key_id)


@dataclass(frozen=True)
class Login:
    token: str
    auth_session: AuthSession
    user: User


def _subject_for_user(user: User, memberships: list[Membership], tenant_id: int | None) -> Subject:
    in_tenant = [m for m in memberships if m.tenant_id == tenant_id]
    roles = frozenset(m.role for m in in_tenant)
    return Subject(
        display_name=user.display_name,
        tenant_id=tenant_id,
        permissions=permissions_for_roles(roles),
        user_id=user.id,
        roles=roles,
        organization_ids=frozenset(m.organization_id for m in in_tenant),
        is_platform_admin=user.is_platform_admin,
    )


async def do_login(
    session: AsyncSession, *, email: str, password: str, user_agent: str | None, max_age: timedelta
) -> Login:
    repository = AuthRepository(session)
    user = await repository.get_user_by_email(email)
    if user is None or not user.is_active:
        verify_password(DUMMY_PASSWORD_HASH, password)
        raise NotAuthenticated("wrong e-mail or password", code="invalid_credentials")
    if not verify_password(user.password_hash, password):
        raise NotAuthenticated("wrong e-mail or password", code="invalid_credentials")
    memberships = await repository.list_memberships(user.id)
    now = utcnow()
    token = new_token()
    auth_session = AuthSession(
        token_hash=sha256_hex(token),
        user_id=user.id,
        tenant_id=memberships[0].tenant_id if memberships else None,
        csrf_token=new_token(24),
        expires_at=now + max_age,
        user_agent=(user_agent or "")[:300] or None,
    )
    await repository.add_auth_session(auth_session)
    await repository.record_login(user.id, now)
    await repository.delete_expired_auth_sessions(now)
    return Login(token=token, auth_session=auth_session, user=user)


async def do_logout(session: AsyncSession, token: str) -> None:
    await AuthRepository(session).delete_auth_session(sha256_hex(token))


@dataclass(frozen=True)
class TenantBrief:
    """What the console shows of a tenant; plain data, so it outlives a rolled-back transaction."""

    id: int
    slug: str
    name: str
    is_simulated: bool


@dataclass(frozen=True)
class ConsoleIdentity:
    subject: Subject
    auth_session: AuthSession
    csrf_token: str
    tenants: tuple[TenantBrief, ...]

    @property
    def tenant_ids(self) -> tuple[int, ...]:
        return tuple(tenant.id for tenant in self.tenants)

    @property
    def current_tenant(self) -> TenantBrief | None:
        return next((t for t in self.tenants if t.id == self.subject.tenant_id), None)


async def access_console_identity(session: AsyncSession, token: str) -> ConsoleIdentity | None:
    """The identity behind a session cookie, or None when it is unknown or expired."""
    repository = AuthRepository(session)
    auth_session = await repository.get_live_auth_session(sha256_hex(token), utcnow())
    if auth_session is None:
        return None
    user = await repository.get_user(auth_session.user_id)
    if user is None or not user.is_active:
        return None
    memberships = await repository.list_memberships(user.id)
    tenant_ids = tuple(dict.fromkeys(m.tenant_id for m in memberships))
    return ConsoleIdentity(
        subject=_subject_for_user(user, memberships, auth_session.tenant_id),
        auth_session=auth_session,
        csrf_token=auth_session.csrf_token,
        tenants=tuple(
            TenantBrief(id=t.id, slug=t.slug, name=t.name, is_simulated=t.is_simulated)
            for t in await repository.list_tenants(tenant_ids)
        ),
    )


async def do_switch_tenant(session: AsyncSession, identity: ConsoleIdentity, tenant_id: int) -> None:
    if tenant_id not in identity.tenant_ids:
        raise NotAuthenticated("you are not a member of that tenant", code="not_a_member")
    identity.auth_session.tenant_id = tenant_id
    await session.flush()


async def record_api_key_use(session: AsyncSession, subject: Subject) -> None:
    """Note that the subject's API key was used (at most once per interval), in a write transaction.
    Nothing is written when the key's use, as read when it was checked, is recent."""
    if subject.api_key_id is None:
        return
    now = utcnow()
    last_used = subject.api_key_last_used_at
    if last_used is None or now - last_used > API_KEY_TOUCH_INTERVAL:
        await AuthRepository(session).touch_api_key(subject.api_key_id, now, unless_since=now - API_KEY_TOUCH_INTERVAL)


async def access_api_key_subject(session: AsyncSession, plaintext: str, *, may_write: bool) -> Subject:
    repository = AuthRepository(session)
    key_hash = hash_api_key(plaintext)
    api_key = await repository.get_active_api_key(key_hash)
    if api_key is None:
        raise NotAuthenticated("invalid or revoked API key", code="invalid_api_key")
    now = utcnow()
    # Only write transactions record use: a read-only request must not take SQLite's write lock.
    if may_write and (api_key.last_used_at is None or now - api_key.last_used_at > API_KEY_TOUCH_INTERVAL):
        await repository.touch_api_key(api_key.id, now)
    subject = Subject(
        display_name=f"API key {api_key.prefix}…",
        tenant_id=api_key.tenant_id,
        permissions=API_KEY_PERMISSIONS[api_key.role],
        api_key_id=api_key.id,
        api_key_last_used_at=api_key.last_used_at,
    )
    recent_api_keys.remember(key_hash, subject)
    return subject
