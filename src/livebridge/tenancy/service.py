"""Tenancy: creating tenants, their organizations, members and API keys."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.auth import service as auth_service
from livebridge.auth.secrets import hash_password, mint_api_key
from livebridge.authz import Permission, Subject, check_platform_admin
from livebridge.exceptions import Conflict, InvalidInput, NotFound
from livebridge.kit.pagination import Page, PageParams
from livebridge.kit.time import utcnow
from livebridge.models import ApiKey, Membership, Organization, OrganizationKind, Role, Tenant, User
from livebridge.tenancy.repository import (
    ApiKeyRepository,
    MembershipRepository,
    OrganizationRepository,
    TenantRepository,
    UserRepository,
)
from livebridge.tenancy.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    MemberCreate,
    MemberRead,
    OrganizationCreate,
    OrganizationUpdate,
    TenantCreate,
    UserCreate,
)


async def do_create_tenant(
    session: AsyncSession, actor: Subject, payload: TenantCreate, *, is_simulated: bool = False
) -> Tenant:
    check_platform_admin(actor)
    if payload.kind == OrganizationKind.DEALER:
        raise InvalidInput("a tenant is a brand or a merchant", code="invalid_tenant_kind", field="kind")
    tenants = TenantRepository(session)
    if await tenants.get_by_slug(payload.slug) is not None:
        raise Conflict(f"a tenant with slug '{payload.slug}' exists already", code="slug_taken", field="slug")
    tenant = await tenants.add(Tenant(slug=payload.slug, name=payload.name, is_simulated=is_simulated))
    root = await OrganizationRepository(session).add(
        Organization(tenant_id=tenant.id, kind=payload.kind, name=payload.name, is_simulated=is_simulated)
    )
    user = await _get_or_create_user(
        session, email=payload.owner_email, display_name=payload.owner_name, password=payload.owner_password
    )
    await MembershipRepository(session).add(
        Membership(tenant_id=tenant.id, user_id=user.id, organization_id=root.id, role=Role.OWNER)
    )
    return tenant


async def access_tenant_by_slug(session: AsyncSession, slug: str) -> Tenant:
    """For command-line work, which names tenants by their slug."""
    tenant = await TenantRepository(session).get_by_slug(slug)
    if tenant is None:
        raise NotFound(f"no tenant with slug {slug!r}", code="tenant_not_found")
    return tenant


async def command_line_reader(session: AsyncSession, slug: str) -> Subject:
    """Who a read-only command (figures, reports) acts as: a reader of the tenant named by its slug."""
    tenant = await access_tenant_by_slug(session, slug)
    return Subject(display_name="command line", tenant_id=tenant.id, permissions=frozenset({Permission.READ}))


async def list_all_tenants(session: AsyncSession, actor: Subject) -> list[Tenant]:
    check_platform_admin(actor)
    return await TenantRepository(session).list_all()


async def _get_or_create_user(session: AsyncSession, *, email: str, display_name: str, password: str | None) -> User:
    users = UserRepository(session)
    user = await users.get_by_email(email)
    if user is not None:
        return user
    if password is None:
        raise InvalidInput("a new user needs a password", code="password_required", field="password")
    return await users.add(User(email=email, display_name=display_name, password_hash=hash_password(password)))


async def do_create_user(session: AsyncSession, actor: Subject, payload: UserCreate) -> Membership:
    """Platform admin: add a (new or existing) user to any tenant."""
    check_platform_admin(actor)
    tenant = await TenantRepository(session).get(payload.tenant_id)
    if tenant is None:
        raise NotFound("no such tenant", code="tenant_not_found", field="tenant_id")
    scope = Subject(display_name=actor.display_name, tenant_id=tenant.id, permissions=frozenset(Permission))
    member = MemberCreate(
        email=payload.email,
        display_name=payload.display_name,
        password=payload.password,
        role=payload.role,
        organization_id=payload.organization_id,
    )
    return await _add_membership(session, scope, member)


async def do_grant_platform_admin(session: AsyncSession, actor: Subject, user_id: int) -> None:
    check_platform_admin(actor)
    user = await UserRepository(session).get(user_id)
    if user is None:
        raise NotFound("no such user", code="user_not_found")
    user.is_platform_admin = True
    await session.flush()


# Organizations ---------------------------------------------------------------------------------


async def list_organizations(
    session: AsyncSession, subject: Subject, params: PageParams, kind: OrganizationKind | None = None
) -> Page[Organization]:
    subject.check(Permission.READ)
    items, total = await OrganizationRepository(session).page(subject, params, kind)
    return Page.build(items, total, params)


async def access_organization(session: AsyncSession, subject: Subject, organization_id: int) -> Organization:
    subject.check(Permission.READ)
    organization = await OrganizationRepository(session).get(subject, organization_id)
    if organization is None:
        raise NotFound("no such organization", code="organization_not_found")
    return organization


async def do_create_organization(
    session: AsyncSession, subject: Subject, payload: OrganizationCreate, *, is_simulated: bool = False
) -> Organization:
    subject.check(Permission.MANAGE_MEMBERS)
    repository = OrganizationRepository(session)
    tenant_id = subject.require_tenant()
    if payload.kind == OrganizationKind.BRAND:
        raise InvalidInput(
            "a tenant has one brand; add merchants or dealers under it", code="invalid_organization_kind", field="kind"
        )
    if payload.parent_id is None:
        parent = await repository.get_root(tenant_id)
    else:
        parent = await repository.get(subject, payload.parent_id)
        if parent is None:
            raise InvalidInput("no such parent organization", code="parent_not_found", field="parent_id")
    if await repository.get_by_name(subject, payload.name) is not None:
        raise Conflict(f"an organization named '{payload.name}' exists already", code="name_taken", field="name")
    return await repository.add(
        Organization(
            tenant_id=tenant_id,
            parent_id=parent.id if parent else None,
            kind=payload.kind,
            name=payload.name,
            contact_name=payload.contact_name,
            contact_phone=payload.contact_phone,
            region_code=payload.region_code,
            is_simulated=is_simulated,
        )
    )


async def do_update_organization(
    session: AsyncSession, subject: Subject, organization_id: int, payload: OrganizationUpdate
) -> Organization:
    subject.check(Permission.MANAGE_MEMBERS)
    repository = OrganizationRepository(session)
    organization = await access_organization(session, subject, organization_id)
    changes = payload.model_dump(exclude_unset=True)
    new_name = changes.get("name")
    if new_name and new_name != organization.name and await repository.get_by_name(subject, new_name):
        raise Conflict(f"an organization named '{new_name}' exists already", code="name_taken", field="name")
    for key, value in changes.items():
        setattr(organization, key, value)
    await session.flush()
    return organization


# Members ---------------------------------------------------------------------------------------


async def list_members(session: AsyncSession, subject: Subject, params: PageParams) -> Page[MemberRead]:
    subject.check(Permission.READ)
    rows, total = await MembershipRepository(session).page_with_people(subject, params)
    return Page.build([_member_read(*row) for row in rows], total, params)


def _member_read(membership: Membership, user: User, organization: Organization) -> MemberRead:
    return MemberRead(
        id=membership.id,
        user_id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=membership.role,
        organization_id=organization.id,
        organization_name=organization.name,
        created_at=membership.created_at,
    )


async def access_member(session: AsyncSession, subject: Subject, membership_id: int) -> MemberRead:
    subject.check(Permission.READ)
    row = await MembershipRepository(session).get_with_people(subject, membership_id)
    if row is None:
        raise NotFound("no such member", code="member_not_found")
    return _member_read(*row)


async def do_add_member(session: AsyncSession, subject: Subject, payload: MemberCreate) -> Membership:
    subject.check(Permission.MANAGE_MEMBERS)
    return await _add_membership(session, subject, payload)


async def _add_membership(session: AsyncSession, subject: Subject, payload: MemberCreate) -> Membership:
    organizations = OrganizationRepository(session)
    tenant_id = subject.require_tenant()
    if payload.organization_id is None:
        organization = await organizations.get_root(tenant_id)
    else:
        organization = await organizations.get(subject, payload.organization_id)
    if organization is None:
        raise InvalidInput("no such organization", code="organization_not_found", field="organization_id")
    if payload.role == Role.DEALER_STAFF and organization.kind != OrganizationKind.DEALER:
        raise InvalidInput(
            "dealer staff belong to a dealer organization", code="dealer_role_needs_dealer", field="organization_id"
        )
    user = await _get_or_create_user(
        session, email=payload.email, display_name=payload.display_name, password=payload.password
    )
    memberships = MembershipRepository(session)
    if await memberships.find(user.id, organization.id) is not None:
        raise Conflict(
            f"{payload.email} is already a member of {organization.name}", code="already_member", field="email"
        )
    return await memberships.add(
        Membership(tenant_id=tenant_id, user_id=user.id, organization_id=organization.id, role=payload.role)
    )


async def do_remove_member(session: AsyncSession, subject: Subject, membership_id: int) -> None:
    subject.check(Permission.MANAGE_MEMBERS)
    memberships = MembershipRepository(session)
    membership = await memberships.get(subject, membership_id)
    if membership is None:
        raise NotFound("no such member", code="member_not_found")
    if membership.role == Role.OWNER and await memberships.count_owners(membership.tenant_id) <= 1:
        raise Conflict("the last owner cannot be removed", code="last_owner")
    await memberships.delete(membership)


# API keys --------------------------------------------------------------------------------------


async def list_api_keys(session: AsyncSession, subject: Subject, params: PageParams) -> Page[ApiKey]:
    subject.check(Permission.MANAGE_API_KEYS)
    items, total = await ApiKeyRepository(session).page(subject, params)
    return Page.build(items, total, params)


async def do_create_api_key(session: AsyncSession, subject: Subject, payload: ApiKeyCreate) -> ApiKeyCreated:
    subject.check(Permission.MANAGE_API_KEYS)
    minted = mint_api_key()
    api_key = await ApiKeyRepository(session).add(
        ApiKey(
            tenant_id=subject.require_tenant(),
            name=payload.name,
            prefix=minted.prefix,
            key_hash=minted.key_hash,
            role=payload.role,
            created_by_user_id=subject.user_id,
        )
    )
    return ApiKeyCreated(
        id=api_key.id,
        name=api_key.name,
        prefix=api_key.prefix,
        role=api_key.role,
        created_at=api_key.created_at,
        last_used_at=None,
        revoked_at=None,
        key=minted.plaintext,
    )


async def do_revoke_api_key(session: AsyncSession, subject: Subject, api_key_id: int) -> ApiKey:
    subject.check(Permission.MANAGE_API_KEYS)
    repository = ApiKeyRepository(session)
    api_key = await repository.get(subject, api_key_id)
    if api_key is None:
        raise NotFound("no such API key", code="api_key_not_found")
    if api_key.revoked_at is None:
        await repository.revoke(api_key, utcnow())
        auth_service.forget_api_key(api_key.id)
    return api_key
