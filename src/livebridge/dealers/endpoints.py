"""HTTP API of the dealers domain: set-up, territories (区域保护) and agreement versions."""

from __future__ import annotations

from fastapi import APIRouter, status

from livebridge.dealers import service
from livebridge.dealers.schemas import (
    AgreementCreate,
    AgreementRead,
    DealerRead,
    DealerSetup,
    TerritoryClaim,
    TerritoryRead,
    TerritoryRelease,
)
from livebridge.web.deps import ApiSubject, DbSession

router = APIRouter(tags=["dealers"])


@router.get("/dealers", response_model=list[DealerRead])
async def list_dealers(session: DbSession, subject: ApiSubject) -> list[DealerRead]:
    return await service.list_dealers(session, subject)


@router.get("/dealers/{organization_id}", response_model=DealerRead)
async def read_dealer(organization_id: int, session: DbSession, subject: ApiSubject) -> DealerRead:
    return await service.access_dealer(session, subject, organization_id)


@router.put("/dealers/{organization_id}", response_model=DealerRead)
async def set_up_dealer(
    organization_id: int, payload: DealerSetup, session: DbSession, subject: ApiSubject
) -> DealerRead:
    return await service.do_set_up_dealer(session, subject, organization_id, payload)


@router.post(
    "/dealers/{organization_id}/territories",
    response_model=TerritoryRead,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "the region is already served for this capability; the holder is named"}},
)
async def claim_territory(
    organization_id: int, payload: TerritoryClaim, session: DbSession, subject: ApiSubject
) -> TerritoryRead:
    return service.territory_read(await service.do_claim_territory(session, subject, organization_id, payload))


@router.post("/territories/{territory_id}/release", response_model=TerritoryRead)
async def release_territory(
    territory_id: int, payload: TerritoryRelease, session: DbSession, subject: ApiSubject
) -> TerritoryRead:
    territory = await service.do_release_territory(session, subject, territory_id, payload.released_at)
    return service.territory_read(territory)


@router.get("/dealers/{organization_id}/agreements", response_model=list[AgreementRead])
async def list_agreements(organization_id: int, session: DbSession, subject: ApiSubject) -> list[AgreementRead]:
    return await service.list_agreement_versions(session, subject, organization_id)


@router.post("/dealers/{organization_id}/agreements", response_model=AgreementRead, status_code=status.HTTP_201_CREATED)
async def add_agreement_version(
    organization_id: int, payload: AgreementCreate, session: DbSession, subject: ApiSubject
) -> AgreementRead:
    agreement = await service.do_add_agreement_version(session, subject, organization_id, payload)
    return AgreementRead.model_validate(agreement)
