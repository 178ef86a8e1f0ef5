"""Dealers (经销商) of a brand: what they can do and how much per day, their territories and agreements.

A dealer is an ``Organization`` of kind dealer; these tables add what the service network needs.
Territories are GB/T 2260 codes (province, city or district); the most specific claim wins.
Agreements are versioned and never edited: a change is a new version effective from a date.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from livebridge.models.base import Base, CreatedAtMixin, IdMixin, SimulatedMixin, TenantMixin, enum_column


class Capability(enum.StrEnum):
    DELIVERY = "delivery"
    INSTALLATION = "installation"
    REPAIR = "repair"
    RETURNS_INSPECTION = "returns_inspection"


class RegionLevel(enum.StrEnum):
    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"


class DealerProfile(CreatedAtMixin, SimulatedMixin, TenantMixin, Base):
    """The service side of a dealer organization: its code on orders and its contacts."""

    __tablename__ = "dealer_profiles"
    __table_args__ = (UniqueConstraint("tenant_id", "dealer_code"),)

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    # The code a live order may carry to name its dealer (经销商编码), e.g. from a dealer's own link.
    dealer_code: Mapped[str] = mapped_column(String(32))
    # [{"name", "role", "phone"}]: business contacts of the dealer, not buyers.
    contacts: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)


class DealerCapability(TenantMixin, Base):
    """A dealer offers this service, up to ``daily_capacity`` new tickets a day (Asia/Shanghai days)."""

    __tablename__ = "dealer_capabilities"
    __table_args__ = (CheckConstraint("daily_capacity >= 0", name="capacity_not_negative"),)

    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    capability: Mapped[Capability] = mapped_column(enum_column(Capability), primary_key=True)
    daily_capacity: Mapped[int] = mapped_column(Integer)


class Territory(IdMixin, CreatedAtMixin, SimulatedMixin, TenantMixin, Base):
    """A dealer's claim on a region for one capability (区域保护), from ``claimed_at`` until released.

    The partial unique index is the database's half of regional protection: one open claim per
    region code and capability in a tenant. Released claims stay as history.
    """

    __tablename__ = "territories"
    __table_args__ = (
        Index(
            "uq_territories_open_claim",
            "tenant_id",
            "region_code",
            "capability",
            unique=True,
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
        Index("ix_territories_dealer", "organization_id"),
    )

    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    region_code: Mapped[str] = mapped_column(String(6))
    region_level: Mapped[RegionLevel] = mapped_column(enum_column(RegionLevel))
    capability: Mapped[Capability] = mapped_column(enum_column(Capability))
    claimed_at: Mapped[datetime]
    released_at: Mapped[datetime | None]


class Agreement(IdMixin, CreatedAtMixin, SimulatedMixin, TenantMixin, Base):
    """One version of the brand–dealer agreement, in force from ``effective_from`` until the next version.

    Money: commission in basis points (1/10 000) of the paid amount of live orders delivered into
    the dealer's territory; fees and penalties in fen.
    """

    __tablename__ = "dealer_agreements"
    __table_args__ = (
        UniqueConstraint("tenant_id", "organization_id", "version"),
        CheckConstraint("commission_bps >= 0 AND commission_bps <= 10000", name="commission_bps_range"),
        CheckConstraint("ticket_fee_fen >= 0", name="ticket_fee_not_negative"),
        CheckConstraint("penalty_fen >= 0", name="penalty_not_negative"),
    )

    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[datetime]
    # Capabilities the dealer serves under this version.
    service_scope: Mapped[list[str]] = mapped_column(JSON)
    # {ticket kind: {"response_hours": int, "resolution_hours": int}}
    deadlines: Mapped[dict[str, Any]] = mapped_column(JSON)
    commission_bps: Mapped[int] = mapped_column(Integer)
    ticket_fee_fen: Mapped[int] = mapped_column(BigInteger)
    penalty_fen: Mapped[int] = mapped_column(BigInteger)
    # Refunded live orders take their commission back (a negative line in settlement).
    clawback_on_refund: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
