"""The audit chain: a tamper-evident, hash-chained, append-only log per tenant.

Each entry carries the hash of the one before it, so changing, removing or reordering any entry
breaks the chain from that entry on. ``audit_chain_heads`` holds each tenant's last sequence number
and hash: writers lock that row, so two transactions can never fork the chain, and a removed tail
is still noticed. Checkpoints record the head hash every N entries or on demand, to be kept outside
the database by whoever wants to check the log later.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from livebridge.kit.ids import BigIntPK
from livebridge.models.base import Base


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (UniqueConstraint("tenant_id", "seq"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(200))
    # Canonical JSON text (sorted keys, no spaces): the exact bytes that were hashed.
    payload: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime]
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    is_simulated: Mapped[bool] = mapped_column(default=False)


class AuditChainHead(Base):
    """The last entry of a tenant's chain; the row writers lock before appending."""

    __tablename__ = "audit_chain_heads"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class AuditCheckpoint(Base):
    __tablename__ = "audit_checkpoints"
    __table_args__ = (UniqueConstraint("tenant_id", "seq"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(16))  # "periodic" or "on_demand"
    created_at: Mapped[datetime]
