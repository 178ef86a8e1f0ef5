"""Dealer settlement statements (结算单): one per dealer and period, every line traceable to its source.

A statement is a draft until approved; an approved statement is locked, and later changes to
what it settled appear as adjustment lines in a later period's statement (``adjusts_statement_id``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from livebridge.kit.ids import BigIntPK
from livebridge.models.base import Base, IdMixin, SimulatedMixin, TenantMixin, enum_column


class StatementStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"


class LineKind(enum.StrEnum):
    COMMISSION = "commission"  # + bps of a completed live order delivered into the territory
    CLAWBACK = "clawback"  # − the commission of a settled order that was refunded
    TICKET_FEE = "ticket_fee"  # + per closed service ticket
    PENALTY = "penalty"  # − per missed deadline
    ADJUSTMENT = "adjustment"  # ± a change to what an approved statement settled


class RefType(enum.StrEnum):
    ORDER = "order"
    TICKET = "ticket"
    BREACH = "breach"


class SettlementStatement(IdMixin, SimulatedMixin, TenantMixin, Base):
    __tablename__ = "settlement_statements"
    __table_args__ = (UniqueConstraint("tenant_id", "dealer_id", "period_start"),)

    dealer_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    period_start: Mapped[date] = mapped_column(Date)  # first day, Asia/Shanghai
    period_end: Mapped[date] = mapped_column(Date)  # the day after the last
    status: Mapped[StatementStatus] = mapped_column(enum_column(StatementStatus))
    commission_fen: Mapped[int] = mapped_column(BigInteger)
    clawback_fen: Mapped[int] = mapped_column(BigInteger)
    ticket_fee_fen: Mapped[int] = mapped_column(BigInteger)
    penalty_fen: Mapped[int] = mapped_column(BigInteger)
    adjustment_fen: Mapped[int] = mapped_column(BigInteger)
    net_fen: Mapped[int] = mapped_column(BigInteger)
    line_count: Mapped[int] = mapped_column(Integer)
    # SHA-256 over the lines in order: the same data gives the same statement, byte for byte.
    fingerprint: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime]
    approved_at: Mapped[datetime | None]
    approved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SettlementLine(IdMixin, Base):
    """One line of a statement.

    No foreign keys: a statement writes up to a million lines at once, and PostgreSQL checks each
    foreign key with a trigger per row (COPY of a million lines: 18–22 s with the four keys this
    table had, 8–11 s with the statement's alone, 4–4.5 s with none; docs/benchmarks.md). The
    statement vouches for its lines instead: ``StatementRepository.replace_lines`` writes its tenant
    and id into every line, and settlement checks the agreements and adjusted statements the lines
    name in one query before the write (``StatementRepository.missing_references``). Nothing
    deletes statements, agreements, dealers or tenants; whatever comes to do so must delete or
    clear the lines that refer to them itself.
    """

    __tablename__ = "settlement_lines"
    __table_args__ = (Index("ix_settlement_lines_statement", "statement_id", "position"),)

    # Tenant-owned like every row (``authz.scoped`` filters on it), but not indexed: lines are read
    # by statement, and the index costs the bulk write.
    tenant_id: Mapped[int] = mapped_column(BigIntPK)
    statement_id: Mapped[int] = mapped_column(BigIntPK)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[LineKind] = mapped_column(enum_column(LineKind))
    # What the adjustment corrects (the original line's kind), for adjustment lines.
    adjusted_kind: Mapped[str | None] = mapped_column(String(32))
    ref_type: Mapped[RefType] = mapped_column(enum_column(RefType))
    ref_id: Mapped[int] = mapped_column(BigInteger)
    ref_label: Mapped[str] = mapped_column(String(100))  # the order number, ticket number… for people
    base_fen: Mapped[int] = mapped_column(BigInteger)
    rate_bps: Mapped[int | None] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    agreement_id: Mapped[int | None] = mapped_column(BigIntPK)
    adjusts_statement_id: Mapped[int | None] = mapped_column(BigIntPK)
