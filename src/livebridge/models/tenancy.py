"""Tenants, their organizations, users, memberships, API keys and console sessions."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from livebridge.models.base import Base, CreatedAtMixin, IdMixin, SimulatedMixin, TenantMixin, enum_column


class OrganizationKind(enum.StrEnum):
    BRAND = "brand"
    MERCHANT = "merchant"
    DEALER = "dealer"


class Role(enum.StrEnum):
    OWNER = "owner"
    OPERATOR = "operator"
    HOST = "host"
    DEALER_STAFF = "dealer_staff"
    ANALYST = "analyst"


class ApiKeyRole(enum.StrEnum):
    """What a machine client may do: push events, manage objects, or only read."""

    INGEST = "ingest"
    OPERATOR = "operator"
    ANALYST = "analyst"


class Tenant(IdMixin, CreatedAtMixin, SimulatedMixin, Base):
    """A customer account of the platform: a brand (with its merchants and dealers) or a merchant."""

    __tablename__ = "tenants"

    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Organization(IdMixin, CreatedAtMixin, SimulatedMixin, TenantMixin, Base):
    __tablename__ = "organizations"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    kind: Mapped[OrganizationKind] = mapped_column(enum_column(OrganizationKind))
    name: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    region_code: Mapped[str | None] = mapped_column(String(12))

    parent: Mapped[Organization | None] = relationship(remote_side="Organization.id", lazy="raise")


class User(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    last_login_at: Mapped[datetime | None]


class Membership(IdMixin, CreatedAtMixin, TenantMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(enum_column(Role))

    user: Mapped[User] = relationship(lazy="raise")
    organization: Mapped[Organization] = relationship(lazy="raise")


class ApiKey(IdMixin, CreatedAtMixin, TenantMixin, Base):
    """Only the SHA-256 of the key is kept; the visible prefix lets people tell keys apart."""

    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(24), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[ApiKeyRole] = mapped_column(enum_column(ApiKeyRole))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class AuthSession(IdMixin, CreatedAtMixin, Base):
    """A console login. The cookie holds a random token; the table holds its hash."""

    __tablename__ = "auth_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    user_agent: Mapped[str | None] = mapped_column(String(300))
