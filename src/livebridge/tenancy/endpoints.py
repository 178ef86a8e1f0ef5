"""HTTP API of the tenancy domain: who am I, organizations, members, API keys, platform admin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel

from livebridge.authz import Permission
from livebridge.kit.pagination import Page, PageParams
from livebridge.models import OrganizationKind
from livebridge.tenancy import service
from livebridge.tenancy.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    MemberCreate,
    MemberRead,
    OrganizationCreate,
    OrganizationRead,
    OrganizationUpdate,
    TenantCreate,
    TenantRead,
    UserCreate,
)
from livebridge.web.deps import ApiSubject, DbSession

router = APIRouter()
Paging = Annotated[PageParams, Depends()]


class MeRead(BaseModel):
    display_name: str
    tenant_id: int | None
    user_id: int | None
    api_key_id: int | None
    roles: list[str]
    permissions: list[Permission]
    is_platform_admin: bool


@router.get("/me", response_model=MeRead, tags=["tenancy"])
async def read_me(subject: ApiSubject) -> MeRead:
    return MeRead(
        display_name=subject.display_name,
        tenant_id=subject.tenant_id,
        user_id=subject.user_id,
        api_key_id=subject.api_key_id,
        roles=sorted(subject.roles),
        permissions=sorted(subject.permissions),
        is_platform_admin=subject.is_platform_admin,
    )


@router.get("/organizations", response_model=Page[OrganizationRead], tags=["tenancy"])
async def list_organizations(
    session: DbSession, subject: ApiSubject, paging: Paging, kind: Annotated[OrganizationKind | None, Query()] = None
) -> Page[OrganizationRead]:
    page = await service.list_organizations(session, subject, paging, kind)
    return Page.build([OrganizationRead.model_validate(o) for o in page.items], page.pagination.total_count, paging)


@router.post("/organizations", response_model=OrganizationRead, status_code=status.HTTP_201_CREATED, tags=["tenancy"])
async def create_organization(payload: OrganizationCreate, session: DbSession, subject: ApiSubject) -> OrganizationRead:
    return OrganizationRead.model_validate(await service.do_create_organization(session, subject, payload))


@router.get("/organizations/{organization_id}", response_model=OrganizationRead, tags=["tenancy"])
async def read_organization(organization_id: int, session: DbSession, subject: ApiSubject) -> OrganizationRead:
    return OrganizationRead.model_validate(await service.access_organization(session, subject, organization_id))


@router.patch("/organizations/{organization_id}", response_model=OrganizationRead, tags=["tenancy"])
async def update_organization(
    organization_id: int, payload: OrganizationUpdate, session: DbSession, subject: ApiSubject
) -> OrganizationRead:
    organization = await service.do_update_organization(session, subject, organization_id, payload)
    return OrganizationRead.model_validate(organization)


@router.get("/members", response_model=Page[MemberRead], tags=["tenancy"])
async def list_members(session: DbSession, subject: ApiSubject, paging: Paging) -> Page[MemberRead]:
    return await service.list_members(session, subject, paging)


@router.post("/members", status_code=status.HTTP_201_CREATED, response_model=MemberRead, tags=["tenancy"])
async def add_member(payload: MemberCreate, session: DbSession, subject: ApiSubject) -> MemberRead:
    membership = await service.do_add_member(session, subject, payload)
    return await service.access_member(session, subject, membership.id)


@router.delete("/members/{membership_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["tenancy"])
async def remove_member(membership_id: int, session: DbSession, subject: ApiSubject) -> None:
    await service.do_remove_member(session, subject, membership_id)


@router.get("/api-keys", response_model=Page[ApiKeyRead], tags=["tenancy"])
async def list_api_keys(session: DbSession, subject: ApiSubject, paging: Paging) -> Page[ApiKeyRead]:
    page = await service.list_api_keys(session, subject, paging)
    return Page.build([ApiKeyRead.model_validate(k) for k in page.items], page.pagination.total_count, paging)


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED, tags=["tenancy"])
async def create_api_key(payload: ApiKeyCreate, session: DbSession, subject: ApiSubject) -> ApiKeyCreated:
    return await service.do_create_api_key(session, subject, payload)


@router.delete("/api-keys/{api_key_id}", response_model=ApiKeyRead, tags=["tenancy"])
async def revoke_api_key(api_key_id: int, session: DbSession, subject: ApiSubject) -> ApiKeyRead:
    return ApiKeyRead.model_validate(await service.do_revoke_api_key(session, subject, api_key_id))


@router.get("/admin/tenants", response_model=list[TenantRead], tags=["platform admin"])
async def list_tenants(session: DbSession, subject: ApiSubject) -> list[TenantRead]:
    return [TenantRead.model_validate(t) for t in await service.list_all_tenants(session, subject)]


@router.post("/admin/tenants", response_model=TenantRead, status_code=status.HTTP_201_CREATED, tags=["platform admin"])
async def create_tenant(payload: TenantCreate, session: DbSession, subject: ApiSubject) -> TenantRead:
    return TenantRead.model_validate(await service.do_create_tenant(session, subject, payload))


@router.post("/admin/users", status_code=status.HTTP_201_CREATED, tags=["platform admin"])
async def create_user(payload: UserCreate, session: DbSession, subject: ApiSubject) -> dict[str, int]:
    membership = await service.do_create_user(session, subject, payload)
    return {"membership_id": membership.id, "user_id": membership.user_id, "tenant_id": membership.tenant_id}
