"""Integrity results per session: the assessment, what it flagged, alerts and each tenant's threshold."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from livebridge.kit.time import utcnow
from livebridge.models.base import Base, IdMixin, SimulatedMixin, TenantMixin, enum_column


class FlagKind(enum.StrEnum):
    VIEWER = "viewer"
    COMMENT = "comment"
    ORDER = "order"


class IntegrityAssessment(IdMixin, SimulatedMixin, TenantMixin, Base):
    """The latest assessment of one session (replaced on every refresh while it is live)."""

    __tablename__ = "integrity_assessments"
    __table_args__ = (UniqueConstraint("session_id"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"))
    assessed_at: Mapped[datetime] = mapped_column(default=utcnow)
    events_seen: Mapped[int] = mapped_column(Integer)
    authenticity_index: Mapped[int | None] = mapped_column(Integer)
    families: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    detectors: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)


class IntegrityFlag(IdMixin, TenantMixin, Base):
    """A viewer, comment (event id) or order the assessment flagged, and the first detector that did."""

    __tablename__ = "integrity_flags"
    __table_args__ = (Index("ix_integrity_flags_session_kind", "session_id", "kind"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"))
    kind: Mapped[FlagKind] = mapped_column(enum_column(FlagKind, length=16))
    key: Mapped[str] = mapped_column(String(128))
    detector: Mapped[str] = mapped_column(String(32))


class IntegrityAlert(IdMixin, SimulatedMixin, TenantMixin, Base):
    """Raised when a session's index falls below the tenant's threshold; resolved when it recovers."""

    __tablename__ = "integrity_alerts"

    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    authenticity_index: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[int] = mapped_column(Integer)
    resolved_at: Mapped[datetime | None]


class IntegritySettings(Base):
    """Per tenant: alert when a session's authenticity index drops below ``alert_threshold``."""

    __tablename__ = "integrity_settings"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    alert_threshold: Mapped[int] = mapped_column(Integer)
