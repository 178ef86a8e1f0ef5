"""All SQL of the dealers domain: profiles, capabilities, territory claims and agreement versions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, delete, func, or_, select

from livebridge.authz import Subject, organization_restriction, scoped
from livebridge.kit.repository import Repository
from livebridge.models import (
    Agreement,
    Capability,
    DealerCapability,
    DealerProfile,
    Organization,
    OrganizationKind,
    Territory,
)


class DealerRepository(Repository[Organization]):
    def readable(self, subject: Subject) -> Select[Organization]:
        statement = scoped(select(Organization), Organization, subject).where(
            Organization.kind == OrganizationKind.DEALER
        )
        restriction = organization_restriction(subject)
        return statement if restriction is None else statement.where(Organization.id.in_(restriction))

    async def list_all(self, subject: Subject) -> list[Organization]:
        return await self.all(self.readable(subject).order_by(Organization.id))

    async def get(self, subject: Subject, organization_id: int) -> Organization | None:
        return await self.first(self.readable(subject).where(Organization.id == organization_id))

    async def profiles(self, subject: Subject, organization_ids: list[int]) -> dict[int, DealerProfile]:
        statement = scoped(select(DealerProfile), DealerProfile, subject).where(
            DealerProfile.organization_id.in_(organization_ids)
        )
        return {p.organization_id: p for p in (await self.session.execute(statement)).scalars()}

    async def profile_by_code(self, subject: Subject, dealer_code: str) -> DealerProfile | None:
        statement = scoped(select(DealerProfile), DealerProfile, subject).where(
            DealerProfile.dealer_code == dealer_code
        )
        return (await self.session.execute(statement)).scalars().first()

    async def profiles_by_code(self, subject: Subject, codes: list[str]) -> dict[str, int]:
        statement = scoped(
            select(DealerProfile.dealer_code, DealerProfile.organization_id), DealerProfile, subject
        ).where(DealerProfile.dealer_code.in_(codes))
        return {str(code): int(org_id) for code, org_id in (await self.session.execute(statement)).all()}

    async def capabilities(self, subject: Subject, organization_ids: list[int]) -> list[DealerCapability]:
        statement = (
            scoped(select(DealerCapability), DealerCapability, subject)
            .where(DealerCapability.organization_id.in_(organization_ids))
            .order_by(DealerCapability.organization_id, DealerCapability.capability)
        )
        return list((await self.session.execute(statement)).scalars())

    async def capacity(self, subject: Subject, organization_id: int, capability: Capability) -> int | None:
        statement = scoped(select(DealerCapability.daily_capacity), DealerCapability, subject).where(
            DealerCapability.organization_id == organization_id, DealerCapability.capability == capability
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def replace_capabilities(self, tenant_id: int, organization_id: int, rows: list[DealerCapability]) -> None:
        await self.session.execute(
            delete(DealerCapability).where(
                DealerCapability.tenant_id == tenant_id, DealerCapability.organization_id == organization_id
            )
        )
        self.session.add_all(rows)
        await self.session.flush()

    async def add(self, row: object) -> None:
        self.session.add(row)
        await self.session.flush()


class TerritoryRepository(Repository[Territory]):
    def readable(self, subject: Subject) -> Select[Territory]:
        statement = scoped(select(Territory), Territory, subject)
        restriction = organization_restriction(subject)
        return statement if restriction is None else statement.where(Territory.organization_id.in_(restriction))

    async def get(self, subject: Subject, territory_id: int) -> Territory | None:
        return await self.first(self.readable(subject).where(Territory.id == territory_id))

    async def of_dealers(self, subject: Subject, organization_ids: list[int]) -> list[Territory]:
        statement = (
            self.readable(subject)
            .where(Territory.organization_id.in_(organization_ids))
            .order_by(Territory.released_at.is_not(None), Territory.region_code, Territory.capability)
        )
        return await self.all(statement)

    async def open_claim(self, subject: Subject, region_code: str, capability: Capability) -> Territory | None:
        """The open claim on exactly this region and capability, whoever holds it (regional protection)."""
        statement = scoped(select(Territory), Territory, subject).where(
            Territory.region_code == region_code,
            Territory.capability == capability,
            Territory.released_at.is_(None),
        )
        return await self.first(statement)

    async def claims_at(
        self, subject: Subject, region_codes: list[str], capability: Capability, at: datetime
    ) -> list[Territory]:
        """Claims on any of these codes for this capability that were in force at ``at``."""
        statement = scoped(select(Territory), Territory, subject).where(
            Territory.region_code.in_(region_codes),
            Territory.capability == capability,
            Territory.claimed_at <= at,
            or_(Territory.released_at.is_(None), Territory.released_at > at),
        )
        return await self.all(statement)

    async def open_claims(self, subject: Subject, capability: Capability) -> list[Territory]:
        statement = scoped(select(Territory), Territory, subject).where(
            Territory.capability == capability, Territory.released_at.is_(None)
        )
        return await self.all(statement)

    async def add(self, territory: Territory) -> Territory:
        self.session.add(territory)
        await self.session.flush()
        return territory


class AgreementRepository(Repository[Agreement]):
    def readable(self, subject: Subject) -> Select[Agreement]:
        statement = scoped(select(Agreement), Agreement, subject)
        restriction = organization_restriction(subject)
        return statement if restriction is None else statement.where(Agreement.organization_id.in_(restriction))

    async def get(self, subject: Subject, agreement_id: int) -> Agreement | None:
        return await self.first(self.readable(subject).where(Agreement.id == agreement_id))

    async def history(self, subject: Subject, organization_id: int) -> list[Agreement]:
        statement = (
            self.readable(subject).where(Agreement.organization_id == organization_id).order_by(Agreement.version)
        )
        return await self.all(statement)

    async def latest(self, subject: Subject, organization_id: int) -> Agreement | None:
        statement = (
            self.readable(subject)
            .where(Agreement.organization_id == organization_id)
            .order_by(Agreement.version.desc())
        )
        return await self.first(statement)

    async def in_force(self, subject: Subject, organization_id: int, at: datetime) -> Agreement | None:
        """The newest version that had taken effect at ``at``."""
        statement = (
            scoped(select(Agreement), Agreement, subject)
            .where(Agreement.organization_id == organization_id, Agreement.effective_from <= at)
            .order_by(Agreement.effective_from.desc(), Agreement.version.desc())
        )
        return await self.first(statement)

    async def next_version(self, subject: Subject, organization_id: int) -> int:
        statement = scoped(select(func.max(Agreement.version)), Agreement, subject).where(
            Agreement.organization_id == organization_id
        )
        return int((await self.session.execute(statement)).scalar_one() or 0) + 1

    async def add(self, agreement: Agreement) -> Agreement:
        self.session.add(agreement)
        await self.session.flush()
        return agreement
