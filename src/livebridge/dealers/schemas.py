"""Payloads of the dealers API: dealer set-up, territory claims and agreement versions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from livebridge.kit.i18n import N_
from livebridge.models import Capability, RegionLevel, TicketKind

DealerCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_-]{2,32}$")]
RegionCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{6}$")]
Hours = Annotated[int, Field(ge=1, le=24 * 90)]


class Contact(BaseModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
    role: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] = ""
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = ""


class CapabilityOffer(BaseModel):
    capability: Capability
    daily_capacity: Annotated[int, Field(ge=0, le=10_000)]


class DealerSetup(BaseModel):
    dealer_code: DealerCode
    contacts: list[Contact] = Field(default_factory=list, max_length=20)
    capabilities: list[CapabilityOffer] = Field(default_factory=list, max_length=len(Capability))

    @model_validator(mode="after")
    def _one_offer_per_capability(self) -> DealerSetup:
        if len({offer.capability for offer in self.capabilities}) != len(self.capabilities):
            raise ValueError(N_("a capability is listed twice"))
        return self


class TerritoryClaim(BaseModel):
    region_code: RegionCode
    capability: Capability
    claimed_at: AwareDatetime | None = None


class TerritoryRelease(BaseModel):
    released_at: AwareDatetime | None = None


class TerritoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organization_id: int
    region_code: str
    region_level: RegionLevel
    region_name: str = ""
    capability: Capability
    claimed_at: datetime
    released_at: datetime | None
    is_simulated: bool


class Deadline(BaseModel):
    response_hours: Hours
    resolution_hours: Hours

    @model_validator(mode="after")
    def _resolution_after_response(self) -> Deadline:
        if self.resolution_hours < self.response_hours:
            raise ValueError(N_("the resolution deadline cannot come before the response deadline"))
        return self


class AgreementCreate(BaseModel):
    effective_from: AwareDatetime
    service_scope: list[Capability] = Field(min_length=1)
    deadlines: dict[TicketKind, Deadline]
    commission_bps: Annotated[int, Field(ge=0, le=10_000)]
    ticket_fee_fen: Annotated[int, Field(ge=0, le=100_000_000)]
    penalty_fen: Annotated[int, Field(ge=0, le=100_000_000)]
    clawback_on_refund: bool = True
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class AgreementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organization_id: int
    version: int
    effective_from: datetime
    effective_until: datetime | None = None
    service_scope: list[Capability]
    deadlines: dict[TicketKind, Deadline]
    commission_bps: int
    ticket_fee_fen: int
    penalty_fen: int
    clawback_on_refund: bool
    note: str | None
    created_at: datetime
    is_simulated: bool


class DealerRead(BaseModel):
    organization_id: int
    name: str
    region_code: str | None
    dealer_code: str | None
    contacts: list[Contact]
    capabilities: list[CapabilityOffer]
    territories: list[TerritoryRead]
    agreement: AgreementRead | None
    is_simulated: bool
