"""Payloads of the settlement API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from livebridge.models import LineKind, RefType, StatementStatus


class SettleRequest(BaseModel):
    period_start: date
    period_end: date  # exclusive: the day after the last
    dealer_id: int | None = None


class StatementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dealer_id: int
    period_start: date
    period_end: date
    status: StatementStatus
    commission_fen: int
    clawback_fen: int
    ticket_fee_fen: int
    penalty_fen: int
    adjustment_fen: int
    net_fen: int
    line_count: int
    fingerprint: str
    computed_at: datetime
    approved_at: datetime | None
    is_simulated: bool


class LineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int
    kind: LineKind
    adjusted_kind: str | None
    ref_type: RefType
    ref_id: int
    ref_label: str
    base_fen: int
    rate_bps: int | None
    amount_fen: int
    agreement_id: int | None
    adjusts_statement_id: int | None


class StatementDetail(StatementRead):
    lines: list[LineRead]


class SettleReport(BaseModel):
    statements: list[StatementRead]
    locked_dealer_ids: list[int]
