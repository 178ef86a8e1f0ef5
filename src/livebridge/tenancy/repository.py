"""All SQL of the tenancy domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select, update

from livebridge.authz import Subject, scoped
from livebridge.kit.pagination import PageParams
from livebridge.kit.repository import Repository
from livebridge.models import ApiKey, Membership, Organization, OrganizationKind, Role, Tenant, User


class TenantRepository(Repository[Tenant]):
    """Tenants are the platform admin's objects: they are not inside any tenant."""

    async def get_by_slug(self, slug: str) -> Tenant | None:
        return await self.first(select(Tenant).where(Tenant.slug == slug))

    async def get(self, tenant_id: int) -> Tenant | None:
        return await self.session.get(Tenant, tenant_id)

    async def list_all(self) -> list[Tenant]:
        return await self.all(select(Tenant).order_by(Tenant.id))

    async def add(self, tenant: Tenant) -> Tenant:
        self.session.add(tenant)
        await self.session.flush()
        return tenant


class OrganizationRepository(Repository[Organization]):
    def readable(self, subject: Subject) -> Select[Organization]:
        return scoped(select(Organization), Organization, subject)

    async def get(self, subject: Subject, organization_id: int) -> Organization | None:
        return await self.first(self.readable(subject).where(Organization.id == organization_id))

    async def get_by_name(self, subject: Subject, name: str) -> Organization | None:
        return await self.first(self.readable(subject).where(Organization.name == name))

    async def get_root(self, tenant_id: int) -> Organization | None:
        statement = (
            select(Organization)
            .where(Organization.tenant_id == tenant_id, Organization.parent_id.is_(None))
            .order_by(Organization.id)
        )
        return await self.first(statement)

    async def page(
        self, subject: Subject, params: PageParams, kind: OrganizationKind | None = None
    ) -> tuple[list[Organization], int]:
        statement = self.readable(subject).order_by(Organization.id)
        if kind is not None:
            statement = statement.where(Organization.kind == kind)
        return await self.paginate(statement, params)

    async def add(self, organization: Organization) -> Organization:
        self.session.add(organization)
        await self.session.flush()
        return organization


class UserRepository(Repository[User]):
    """Users are global (one login, several tenants); tenants see them only through memberships."""

    async def get_by_email(self, email: str) -> User | None:
        return await self.first(select(User).where(User.email == email))

    async def get(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def add(self, user: User) -> User:
        self.session.add(user)
        await self.session.flush()
        return user


class MembershipRepository(Repository[Membership]):
    def readable(self, subject: Subject) -> Select[Membership]:
        return scoped(select(Membership), Membership, subject)

    def _with_people(self, subject: Subject) -> Select[Membership, User, Organization]:
        return (
            scoped(select(Membership, User, Organization), Membership, subject)
            .join(User, User.id == Membership.user_id)
            .join(Organization, Organization.id == Membership.organization_id)
        )

    async def get_with_people(
        self, subject: Subject, membership_id: int
    ) -> tuple[Membership, User, Organization] | None:
        row = (await self.session.execute(self._with_people(subject).where(Membership.id == membership_id))).first()
        return (row[0], row[1], row[2]) if row else None

    async def page_with_people(
        self, subject: Subject, params: PageParams
    ) -> tuple[list[tuple[Membership, User, Organization]], int]:
        total = (
            await self.session.execute(scoped(select(func.count(Membership.id)), Membership, subject))
        ).scalar_one()
        statement = self._with_people(subject).order_by(Membership.id).limit(params.page_size).offset(params.offset)
        result = await self.session.execute(statement)
        return [(row[0], row[1], row[2]) for row in result.all()], total

    async def get(self, subject: Subject, membership_id: int) -> Membership | None:
        return await self.first(self.readable(subject).where(Membership.id == membership_id))

    async def find(self, user_id: int, organization_id: int) -> Membership | None:
        statement = select(Membership).where(
            Membership.user_id == user_id, Membership.organization_id == organization_id
        )
        return await self.first(statement)

    async def count_owners(self, tenant_id: int) -> int:
        statement = select(func.count()).where(Membership.tenant_id == tenant_id, Membership.role == Role.OWNER)
        return (await self.session.execute(statement)).scalar_one()

    async def add(self, membership: Membership) -> Membership:
        self.session.add(membership)
        await self.session.flush()
        return membership

    async def delete(self, membership: Membership) -> None:
        await self.session.delete(membership)
        await self.session.flush()


class ApiKeyRepository(Repository[ApiKey]):
    def readable(self, subject: Subject) -> Select[ApiKey]:
        return scoped(select(ApiKey), ApiKey, subject)

    async def page(self, subject: Subject, params: PageParams) -> tuple[list[ApiKey], int]:
        return await self.paginate(self.readable(subject).order_by(ApiKey.id.desc()), params)

    async def get(self, subject: Subject, api_key_id: int) -> ApiKey | None:
        return await self.first(self.readable(subject).where(ApiKey.id == api_key_id))

    async def add(self, api_key: ApiKey) -> ApiKey:
        self.session.add(api_key)
        await self.session.flush()
        return api_key

    async def revoke(self, api_key: ApiKey, now: datetime) -> None:
        await self.session.execute(update(ApiKey).where(ApiKey.id == api_key.id).values(revoked_at=now))
        await self.session.refresh(api_key)
