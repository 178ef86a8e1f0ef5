"""Dealers: set-up (code, contacts, capabilities and daily capacity), territories and agreement versions.

Regional protection (区域保护): one open claim per region code and capability in a tenant. The
service refuses a second claim naming the holder (409); the partial unique index on
``territories`` refuses it too when two requests race. Claims on a district, its city and its
province may coexist: the most specific one is responsible, the others are its fallbacks.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.audit import service as audit_service
from livebridge.authz import Permission, Subject
from livebridge.dealers.regions import region_chain, region_level, region_name
from livebridge.dealers.repository import AgreementRepository, DealerRepository, TerritoryRepository
from livebridge.dealers.schemas import (
    AgreementCreate,
    AgreementRead,
    CapabilityOffer,
    Contact,
    DealerRead,
    DealerSetup,
    TerritoryClaim,
    TerritoryRead,
)
from livebridge.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from livebridge.kit.time import utcnow
from livebridge.models import (
    CAPABILITY_FOR_KIND,
    Agreement,
    Capability,
    DealerCapability,
    DealerProfile,
    Organization,
    RegionLevel,
    Territory,
)


def _check_reader(subject: Subject) -> None:
    """Brand users read every dealer; dealer staff read their own (the repositories limit them)."""
    if not (subject.can(Permission.READ) or subject.can(Permission.SERVE_TICKETS)):
        raise PermissionDenied("this needs the 'read' permission")


async def access_dealer_organization(session: AsyncSession, subject: Subject, organization_id: int) -> Organization:
    _check_reader(subject)
    dealer = await DealerRepository(session).get(subject, organization_id)
    if dealer is None:
        raise NotFound("no such dealer", code="dealer_not_found")
    return dealer


async def list_dealers(session: AsyncSession, subject: Subject) -> list[DealerRead]:
    _check_reader(subject)
    dealers = await DealerRepository(session).list_all(subject)
    return await _dealer_reads(session, subject, dealers)


async def access_dealer(session: AsyncSession, subject: Subject, organization_id: int) -> DealerRead:
    dealer = await access_dealer_organization(session, subject, organization_id)
    return (await _dealer_reads(session, subject, [dealer]))[0]


async def _dealer_reads(session: AsyncSession, subject: Subject, dealers: list[Organization]) -> list[DealerRead]:
    repository = DealerRepository(session)
    ids = [d.id for d in dealers]
    profiles = await repository.profiles(subject, ids)
    offers: dict[int, list[CapabilityOffer]] = {}
    for row in await repository.capabilities(subject, ids):
        offers.setdefault(row.organization_id, []).append(
            CapabilityOffer(capability=row.capability, daily_capacity=row.daily_capacity)
        )
    territories: dict[int, list[TerritoryRead]] = {}
    for territory in await TerritoryRepository(session).of_dealers(subject, ids):
        territories.setdefault(territory.organization_id, []).append(territory_read(territory))
    now = utcnow()
    agreements = AgreementRepository(session)
    reads = []
    for dealer in dealers:
        profile = profiles.get(dealer.id)
        agreement = await agreements.in_force(subject, dealer.id, now)
        reads.append(
            DealerRead(
                organization_id=dealer.id,
                name=dealer.name,
                region_code=dealer.region_code,
                dealer_code=profile.dealer_code if profile else None,
                contacts=[Contact.model_validate(c) for c in profile.contacts] if profile else [],
                capabilities=offers.get(dealer.id, []),
                territories=territories.get(dealer.id, []),
                agreement=AgreementRead.model_validate(agreement) if agreement else None,
                is_simulated=dealer.is_simulated,
            )
        )
    return reads


def territory_read(territory: Territory) -> TerritoryRead:
    read = TerritoryRead.model_validate(territory)
    read.region_name = region_name(territory.region_code)
    return read


async def do_set_up_dealer(
    session: AsyncSession, subject: Subject, organization_id: int, payload: DealerSetup, *, is_simulated: bool = False
) -> DealerRead:
    """Create or replace a dealer's code, contacts and capabilities (with daily capacity)."""
    subject.check(Permission.MANAGE_DEALERS)
    dealer = await access_dealer_organization(session, subject, organization_id)
    repository = DealerRepository(session)
    holder = await repository.profile_by_code(subject, payload.dealer_code)
    if holder is not None and holder.organization_id != dealer.id:
        raise Conflict(
            f"dealer code {payload.dealer_code} belongs to another dealer",
            code="dealer_code_taken",
            field="dealer_code",
        )
    tenant_id = subject.require_tenant()
    profile = (await repository.profiles(subject, [dealer.id])).get(dealer.id)
    contacts = [contact.model_dump() for contact in payload.contacts]
    if profile is None:
        await repository.add(
            DealerProfile(
                tenant_id=tenant_id,
                organization_id=dealer.id,
                dealer_code=payload.dealer_code,
                contacts=contacts,
                is_simulated=is_simulated,
            )
        )
    else:
        profile.dealer_code = payload.dealer_code
        profile.contacts = contacts
    await repository.replace_capabilities(
        tenant_id,
        dealer.id,
        [
            DealerCapability(
                tenant_id=tenant_id,
                organization_id=dealer.id,
                capability=offer.capability,
                daily_capacity=offer.daily_capacity,
            )
            for offer in payload.capabilities
        ],
    )
    return await access_dealer(session, subject, dealer.id)


# Territories -----------------------------------------------------------------------------------


async def do_claim_territory(
    session: AsyncSession,
    subject: Subject,
    organization_id: int,
    payload: TerritoryClaim,
    *,
    is_simulated: bool = False,
) -> Territory:
    subject.check(Permission.MANAGE_DEALERS)
    dealer = await access_dealer_organization(session, subject, organization_id)
    level = region_level(payload.region_code)
    if level is None:
        raise InvalidInput(
            f"{payload.region_code} is not a GB/T 2260 province, city or district code",
            code="unknown_region",
            field="region_code",
        )
    if await DealerRepository(session).capacity(subject, dealer.id, payload.capability) is None:
        raise InvalidInput(
            f"{dealer.name} does not offer {payload.capability}; add the capability first",
            code="capability_not_offered",
            field="capability",
        )
    territories = TerritoryRepository(session)
    holder = await territories.open_claim(subject, payload.region_code, payload.capability)
    if holder is not None:
        holder_name = (await DealerRepository(session).get(subject, holder.organization_id)) if holder else None
        name = holder_name.name if holder_name else f"dealer {holder.organization_id}"
        raise Conflict(
            f"{region_name(payload.region_code)} ({payload.region_code}) is already served for "
            f"{payload.capability} by {name}",
            code="territory_taken",
            field="region_code",
            details={"dealer_id": holder.organization_id, "dealer_name": name, "territory_id": holder.id},
        )
    return await territories.add(
        Territory(
            tenant_id=subject.require_tenant(),
            organization_id=dealer.id,
            region_code=payload.region_code,
            region_level=level,
            capability=payload.capability,
            claimed_at=payload.claimed_at or utcnow(),
            is_simulated=is_simulated,
        )
    )


async def do_release_territory(
    session: AsyncSession, subject: Subject, territory_id: int, released_at: datetime | None = None
) -> Territory:
    subject.check(Permission.MANAGE_DEALERS)
    territory = await TerritoryRepository(session).get(subject, territory_id)
    if territory is None:
        raise NotFound("no such territory", code="territory_not_found")
    if territory.released_at is not None:
        raise Conflict("this territory was released already", code="territory_released")
    moment = released_at or utcnow()
    if moment <= territory.claimed_at:
        raise InvalidInput("the release must come after the claim", code="release_before_claim", field="released_at")
    territory.released_at = moment
    await session.flush()
    return territory


@dataclass(frozen=True)
class Responsible:
    """A dealer whose territory covers an address for a capability."""

    organization_id: int
    dealer_name: str
    region_code: str
    level: RegionLevel


async def responsible_dealers(
    session: AsyncSession, subject: Subject, district_code: str, capability: Capability, at: datetime
) -> list[Responsible]:
    """Dealers with a claim on the district, its city or its province at ``at``, most specific first.

    Routing needs the whole tenant's map, also when a dealer's own action triggers it, so this
    reads claims across dealers; the callers checked the subject's permission for their action.
    """
    chain = region_chain(district_code)
    if not chain:
        return []
    claims = {t.region_code: t for t in await TerritoryRepository(session).claims_at(subject, chain, capability, at)}
    names = await dealer_names(session, subject, [t.organization_id for t in claims.values()])
    found = [claims[code] for code in chain if code in claims]
    return [
        Responsible(t.organization_id, names.get(t.organization_id, ""), t.region_code, t.region_level) for t in found
    ]


async def dealer_names(session: AsyncSession, subject: Subject, organization_ids: list[int]) -> dict[int, str]:
    unrestricted = Subject(
        display_name=subject.display_name, tenant_id=subject.require_tenant(), permissions=frozenset({Permission.READ})
    )
    dealers = await DealerRepository(session).all(
        DealerRepository(session).readable(unrestricted).where(Organization.id.in_(organization_ids))
    )
    return {d.id: d.name for d in dealers}


async def daily_capacity(session: AsyncSession, subject: Subject, organization_id: int, capability: Capability) -> int:
    return await DealerRepository(session).capacity(subject, organization_id, capability) or 0


async def dealer_ids_by_code(session: AsyncSession, subject: Subject, codes: list[str]) -> dict[str, int]:
    return await DealerRepository(session).profiles_by_code(subject, codes) if codes else {}


async def open_district_claims(session: AsyncSession, subject: Subject, capability: Capability) -> list[Territory]:
    """Every open claim for a capability (the demo spreads simulated orders over them)."""
    return await TerritoryRepository(session).open_claims(subject, capability)


# Agreements ------------------------------------------------------------------------------------


async def do_add_agreement_version(
    session: AsyncSession,
    subject: Subject,
    organization_id: int,
    payload: AgreementCreate,
    *,
    is_simulated: bool = False,
) -> Agreement:
    """A change of terms is a new version from ``effective_from``; earlier versions stay as they were."""
    subject.check(Permission.MANAGE_DEALERS)
    dealer = await access_dealer_organization(session, subject, organization_id)
    repository = AgreementRepository(session)
    latest = await repository.latest(subject, dealer.id)
    if latest is not None and payload.effective_from <= latest.effective_from:
        raise Conflict(
            f"a new version must take effect after version {latest.version} ({latest.effective_from.isoformat()})",
            code="agreement_not_after_latest",
            field="effective_from",
        )
    missing = {Capability(c) for c in payload.service_scope} - {CAPABILITY_FOR_KIND[kind] for kind in payload.deadlines}
    if missing:
        raise InvalidInput(
            "deadlines are missing for " + ", ".join(sorted(missing)), code="deadlines_missing", field="deadlines"
        )
    agreement = await repository.add(
        Agreement(
            tenant_id=subject.require_tenant(),
            organization_id=dealer.id,
            version=await repository.next_version(subject, dealer.id),
            effective_from=payload.effective_from,
            service_scope=sorted({c.value for c in payload.service_scope}),
            deadlines={kind.value: d.model_dump() for kind, d in payload.deadlines.items()},
            commission_bps=payload.commission_bps,
            ticket_fee_fen=payload.ticket_fee_fen,
            penalty_fen=payload.penalty_fen,
            clawback_on_refund=payload.clawback_on_refund,
            note=payload.note,
            created_by_user_id=subject.user_id,
            is_simulated=is_simulated,
        )
    )
    # The terms go into the tenant's tamper-evident chain in the same transaction (docs/audit.md).
    await audit_service.append_audit(
        session,
        agreement.tenant_id,
        "agreement_version",
        f"agreement:{dealer.id}:v{agreement.version}",
        {
            "dealer_id": dealer.id,
            "version": agreement.version,
            "effective_from": agreement.effective_from.isoformat(),
            "service_scope": agreement.service_scope,
            "deadlines": agreement.deadlines,
            "commission_bps": agreement.commission_bps,
            "ticket_fee_fen": agreement.ticket_fee_fen,
            "penalty_fen": agreement.penalty_fen,
            "clawback_on_refund": agreement.clawback_on_refund,
        },
        is_simulated=is_simulated,
    )
    return agreement


async def list_agreement_versions(session: AsyncSession, subject: Subject, organization_id: int) -> list[AgreementRead]:
    """Every version, oldest first, each with the moment the next one replaced it."""
    dealer = await access_dealer_organization(session, subject, organization_id)
    versions = [AgreementRead.model_validate(a) for a in await AgreementRepository(session).history(subject, dealer.id)]
    for current, following in itertools.pairwise(versions):
        current.effective_until = following.effective_from
    return versions


async def agreement_in_force(
    session: AsyncSession, subject: Subject, organization_id: int, at: datetime
) -> Agreement | None:
    return await AgreementRepository(session).in_force(subject, organization_id, at)


async def access_agreement(session: AsyncSession, subject: Subject, agreement_id: int) -> Agreement | None:
    """One agreement version by id (the one a ticket's deadlines and penalty came from)."""
    return await AgreementRepository(session).get(subject, agreement_id)
