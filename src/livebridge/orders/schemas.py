"""Payloads of the orders API: orders, after-sale requests, import reports and address fixes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from livebridge.models import (
    AfterSaleStatus,
    AfterSaleType,
    DealerAttribution,
    ImportKind,
    OrderStatus,
    Platform,
    RoutingState,
    TrafficSource,
)


class OrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    platform: Platform
    order_no: str
    parent_order_no: str | None
    shop: str
    sku_code: str
    product_id: int | None
    quantity: int
    paid_fen: int
    buyer_hash: str
    receiver_phone_masked: str | None
    province_text: str | None
    city_text: str | None
    district_text: str | None
    street_text: str | None
    province_code: str | None
    city_code: str | None
    district_code: str | None
    routing_state: RoutingState
    status: OrderStatus
    status_raw: str
    created_at_platform: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    finished_at: datetime | None
    platform_room_id: str | None
    session_id: int | None
    host_name: str | None
    host_id: int | None
    traffic_source: TrafficSource
    dealer_code: str | None
    dealer_id: int | None
    dealer_attribution: DealerAttribution | None
    flags: list[str]
    is_simulated: bool


class AfterSaleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    request_no: str
    order_no: str
    order_id: int | None
    type: AfterSaleType
    reason_code: str | None
    reason_text: str | None
    description: str | None
    amount_fen: int
    status: AfterSaleStatus
    status_raw: str
    applied_at: datetime
    updated_at_platform: datetime | None
    closed_at: datetime | None
    flags: list[str]
    is_simulated: bool


class RowErrorRead(BaseModel):
    row: int
    code: str
    field: str | None
    message: str


class ImportReport(BaseModel):
    """What an import did. ``errors`` lists refused rows with their row numbers (the first 1 000)."""

    kind: ImportKind
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    flagged: int = 0
    error_count: int = 0
    errors: list[RowErrorRead] = []
    # Ids of the rows this import created or changed (after-sale imports open tickets for them).
    changed_ids: list[int] = []

    def add(self, other: ImportReport) -> None:
        self.rows += other.rows
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.flagged += other.flagged
        self.error_count += other.error_count
        self.errors.extend(other.errors[: max(0, 1000 - len(self.errors))])
        self.changed_ids.extend(other.changed_ids)


class AddressFix(BaseModel):
    """A person resolves an order of the needs-routing queue by giving its district code."""

    district_code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{6}$")]


class PainPointRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    reason: str
    count: int
    previous_count: int
    is_spike: bool
    top_product_id: int | None
    top_product: str | None
    top_product_share: float
    sessions: int
    top_host_id: int | None
    top_host: str | None
    top_host_sessions: int
    aspect: str | None
    examples: list[str]


class RateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key_id: int
    name: str
    orders: int
    returns: int
    rate: float


class PainPointReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    start: datetime
    end: datetime
    aspects_from_models: bool
    points: list[PainPointRead]
    products: list[RateRead]
    sessions: list[RateRead]
    hosts: list[RateRead]


class PainPointHandoff(BaseModel):
    """Hand a pain point of a period to the C2M proposal flow: a new proposal, or evidence on an open one."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    start_date: date | None = None
    end_date: date | None = Field(default=None, description="exclusive")
    product_id: int | None = Field(default=None, description="by default the product the pain point is mostly about")
    proposal_id: int | None = Field(default=None, description="an open proposal of that product; none: a new one")
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class PainPointHandoffRead(BaseModel):
    proposal_id: int
    created: bool
    requests: int
