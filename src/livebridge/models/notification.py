"""Console notifications: written in the same transaction as the change they announce (outbox-style).

The text is rendered when shown, in the reader's language, from ``kind`` and ``params``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from livebridge.models.base import Base, CreatedAtMixin, IdMixin, SimulatedMixin, TenantMixin


class Notification(IdMixin, CreatedAtMixin, SimulatedMixin, TenantMixin, Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "tenant_id", "read_at"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(48))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(300))
    read_at: Mapped[datetime | None]
