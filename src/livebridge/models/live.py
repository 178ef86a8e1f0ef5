"""Hosts (主播), live sessions (场次), the products on their shelf and explanation segments (讲解)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from livebridge.models.base import Base, CreatedAtMixin, IdMixin, SimulatedMixin, TenantMixin, enum_column
from livebridge.models.catalog import Product


class Platform(enum.StrEnum):
    DOUYIN = "douyin"
    KUAISHOU = "kuaishou"
    WECHAT_CHANNELS = "wechat_channels"
    TAOBAO = "taobao"
    BILIBILI = "bilibili"
    OTHER = "other"


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


class HostRole(enum.StrEnum):
    MAIN = "main"
    CO_HOST = "co_host"


class Host(IdMixin, CreatedAtMixin, SimulatedMixin, TenantMixin, Base):
    __tablename__ = "hosts"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    platform: Mapped[Platform] = mapped_column(enum_column(Platform))
    platform_handle: Mapped[str | None] = mapped_column(String(100))
    bio: Mapped[str | None] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    follower_count: Mapped[int | None] = mapped_column(BigInteger)


class LiveSession(IdMixin, CreatedAtMixin, SimulatedMixin, TenantMixin, Base):
    __tablename__ = "live_sessions"

    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    platform: Mapped[Platform] = mapped_column(enum_column(Platform))
    platform_room_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[SessionStatus] = mapped_column(enum_column(SessionStatus), default=SessionStatus.SCHEDULED)
    scheduled_start_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    hosts: Mapped[list[SessionHost]] = relationship(lazy="raise", cascade="all, delete-orphan")
    shelf: Mapped[list[ShelfItem]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ShelfItem.link_number"
    )
    segments: Mapped[list[ExplanationSegment]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ExplanationSegment.started_at"
    )


class SessionHost(TenantMixin, Base):
    __tablename__ = "live_session_hosts"

    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[HostRole] = mapped_column(enum_column(HostRole), default=HostRole.MAIN)

    host: Mapped[Host] = relationship(lazy="raise")


class ShelfItem(IdMixin, TenantMixin, Base):
    """A product on a session's shelf (小黄车) under its link number (几号链接)."""

    __tablename__ = "live_session_products"
    __table_args__ = (
        UniqueConstraint("session_id", "product_id"),
        UniqueConstraint("session_id", "link_number"),
        CheckConstraint("link_number >= 1", name="link_number_positive"),
    )

    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    link_number: Mapped[int] = mapped_column(Integer)
    live_price_fen: Mapped[int | None] = mapped_column(BigInteger)

    product: Mapped[Product] = relationship(lazy="raise")


class ExplanationSegment(IdMixin, TenantMixin, Base):
    """The host explained (讲解) this product from ``started_at`` to ``ended_at``."""

    __tablename__ = "explanation_segments"
    __table_args__ = (CheckConstraint("ended_at IS NULL OR ended_at > started_at", name="ends_after_start"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    product: Mapped[Product] = relationship(lazy="raise")
