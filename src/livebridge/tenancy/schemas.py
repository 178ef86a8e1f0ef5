"""Payloads of the tenancy API and console forms."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from livebridge.auth.secrets import MIN_PASSWORD_LENGTH
from livebridge.kit.i18n import N_
from livebridge.models import ApiKeyRole, OrganizationKind, Role

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _check_email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise ValueError(N_("not a valid e-mail address"))
    return value


Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_check_email)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Password = Annotated[str, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=200)]
Slug = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
RegionCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{6}$")]


class TenantCreate(BaseModel):
    slug: Slug
    name: Name
    kind: OrganizationKind = OrganizationKind.BRAND
    owner_email: Email
    owner_name: Name
    owner_password: Password


class TenantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str
    is_simulated: bool
    created_at: datetime


class OrganizationCreate(BaseModel):
    name: Name
    kind: OrganizationKind
    parent_id: int | None = None
    contact_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    contact_phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    region_code: RegionCode | None = None


class OrganizationUpdate(BaseModel):
    name: Name | None = None
    contact_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    contact_phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    region_code: RegionCode | None = None


class OrganizationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: OrganizationKind
    parent_id: int | None
    contact_name: str | None
    contact_phone: str | None
    region_code: str | None
    is_simulated: bool


class MemberCreate(BaseModel):
    email: Email
    display_name: Name
    password: Password | None = Field(default=None, description="Needed when the user does not exist yet")
    role: Role
    organization_id: int | None = Field(default=None, description="Defaults to the tenant's root organization")


class MemberRead(BaseModel):
    id: int
    user_id: int
    email: str
    display_name: str
    role: Role
    organization_id: int
    organization_name: str
    created_at: datetime


class ApiKeyCreate(BaseModel):
    name: Name
    role: ApiKeyRole = ApiKeyRole.INGEST


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    role: ApiKeyRole
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The key itself; shown this once and never again")


class UserCreate(BaseModel):
    """A platform admin adds a user to a tenant with a role."""

    tenant_id: int
    email: Email
    display_name: Name
    password: Password
    role: Role
    organization_id: int | None = None
