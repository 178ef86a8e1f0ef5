"""Payloads of the live API and console forms."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from livebridge.kit.i18n import N_
from livebridge.models import HostRole, Platform, SessionStatus

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Handle = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]


class HostCreate(BaseModel):
    name: Name
    platform: Platform
    platform_handle: Handle | None = None
    bio: Annotated[str, StringConstraints(max_length=2000)] | None = None
    categories: list[Tag] = Field(default_factory=list, max_length=20)
    follower_count: Annotated[int, Field(ge=0)] | None = None
    organization_id: int | None = None


class HostUpdate(BaseModel):
    name: Name | None = None
    platform: Platform | None = None
    platform_handle: Handle | None = None
    bio: Annotated[str, StringConstraints(max_length=2000)] | None = None
    categories: list[Tag] | None = Field(default=None, max_length=20)
    follower_count: Annotated[int, Field(ge=0)] | None = None


class HostRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    platform: Platform
    platform_handle: str | None
    bio: str | None
    categories: list[str]
    follower_count: int | None
    organization_id: int | None
    is_simulated: bool


class SessionCreate(BaseModel):
    title: Title
    platform: Platform
    platform_room_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    scheduled_start_at: AwareDatetime
    organization_id: int | None = None
    host_ids: list[int] = Field(default_factory=list, max_length=10, description="The first is the main host")


class SessionUpdate(BaseModel):
    title: Title | None = None
    platform_room_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    scheduled_start_at: AwareDatetime | None = None


class SessionTransition(BaseModel):
    at: AwareDatetime | None = Field(default=None, description="When it happened; now when omitted")


class SessionHostRead(BaseModel):
    host_id: int
    name: str
    role: HostRole


class ShelfItemCreate(BaseModel):
    product_id: int
    link_number: Annotated[int, Field(ge=1, le=999)] | None = Field(
        default=None, description="几号链接; the next free number when omitted"
    )
    live_price_fen: Annotated[int, Field(ge=0)] | None = None


class ShelfItemRead(BaseModel):
    id: int
    product_id: int
    product_name: str
    link_number: int
    live_price_fen: int | None


class SegmentCreate(BaseModel):
    product_id: int
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None

    @field_validator("ended_at")
    @classmethod
    def check_order(cls, ended_at: datetime | None, info: ValidationInfo) -> datetime | None:
        started_at = info.data.get("started_at")
        if ended_at is not None and started_at is not None and ended_at <= started_at:
            raise ValueError(N_("The end must come after the start."))
        return ended_at


class SegmentRead(BaseModel):
    id: int
    product_id: int
    product_name: str
    started_at: datetime
    ended_at: datetime | None


class SessionRead(BaseModel):
    id: int
    title: str
    platform: Platform
    platform_room_id: str | None
    status: SessionStatus
    organization_id: int | None
    scheduled_start_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    is_simulated: bool
    hosts: list[SessionHostRead]
    shelf: list[ShelfItemRead]
    segments: list[SegmentRead]
