"""Products and their SKUs. Aliases are the words viewers use for a product in comments."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from livebridge.kit.time import utcnow
from livebridge.models.base import Base, CreatedAtMixin, IdMixin, SimulatedMixin, TenantMixin, enum_column


class ProductStatus(enum.StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


class Product(IdMixin, CreatedAtMixin, SimulatedMixin, TenantMixin, Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[ProductStatus] = mapped_column(enum_column(ProductStatus), default=ProductStatus.ACTIVE)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    skus: Mapped[list[Sku]] = relationship(
        back_populates="product", lazy="raise", order_by="Sku.id", cascade="all, delete-orphan"
    )


class Sku(IdMixin, CreatedAtMixin, TenantMixin, Base):
    __tablename__ = "skus"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    spec: Mapped[str] = mapped_column(String(200))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    is_active: Mapped[bool] = mapped_column(default=True)

    product: Mapped[Product] = relationship(back_populates="skus", lazy="raise")
