"""Live-commerce orders and after-sale requests, as imported from platform exports (抖店 style).

One ``Order`` row is one SKU order (子订单), where platforms put the live-room attribution. Buyers
are kept only as a salted hash and masked phone; the receiver address is kept as text without
phone numbers, plus the GB/T 2260 codes the address parser found (the routing key).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from livebridge.kit.time import utcnow
from livebridge.models.base import Base, CreatedAtMixin, IdMixin, SimulatedMixin, TenantMixin, enum_column
from livebridge.models.live import Platform


class OrderStatus(enum.StrEnum):
    """Normalised order states (domain-schemas §6.1); the platform's own status is kept raw too."""

    CREATED = "created"
    PAID = "paid"
    PROCESSING = "processing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class TrafficSource(enum.StrEnum):
    LIVE = "live"
    SHORT_VIDEO = "short_video"
    SHOWCASE = "showcase"
    MALL = "mall"
    SEARCH = "search"
    ADS = "ads"
    OTHER = "other"


class RoutingState(enum.StrEnum):
    """Whether the receiver address gave a district code to route by."""

    ROUTED = "routed"
    NEEDS_ROUTING = "needs_routing"


class DealerAttribution(enum.StrEnum):
    """Why an order counts for a dealer: its code on the order, its territory (区域保护: the
    territory's dealer keeps the margin), or, outside every territory, the dealer co-hosting the session."""

    DEALER_CODE = "dealer_code"
    TERRITORY = "territory"
    CO_HOST = "co_host"


class AfterSaleType(enum.StrEnum):
    REFUND_ONLY = "refund_only"  # 仅退款
    RETURN_REFUND = "return_refund"  # 退货退款
    EXCHANGE = "exchange"  # 换货
    REISSUE = "reissue"  # 补寄
    REPAIR = "repair"  # 维修
    INSTALLATION = "installation"  # 安装


class AfterSaleStatus(enum.StrEnum):
    """Normalised after-sale states (a condensed domain-schemas §6.2)."""

    REQUESTED = "requested"
    AWAITING_RETURN = "awaiting_return"
    RETURN_IN_TRANSIT = "return_in_transit"
    IN_SERVICE = "in_service"
    REFUNDING = "refunding"
    SUCCEEDED = "succeeded"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    FAILED = "failed"


class Order(IdMixin, SimulatedMixin, TenantMixin, Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("paid_fen >= 0", name="paid_not_negative"),
        Index("ix_orders_tenant_dealer", "tenant_id", "dealer_id"),
        Index("ix_orders_tenant_district", "tenant_id", "district_code"),
        Index("ix_orders_tenant_session", "tenant_id", "session_id"),
    )

    platform: Mapped[Platform] = mapped_column(enum_column(Platform))
    order_no: Mapped[str] = mapped_column(String(64))  # the platform's SKU-order id (子订单号), a string
    parent_order_no: Mapped[str | None] = mapped_column(String(64))  # 主订单号
    shop: Mapped[str] = mapped_column(String(200))
    sku_code: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    quantity: Mapped[int] = mapped_column(Integer)
    paid_fen: Mapped[int] = mapped_column(BigInteger)
    buyer_hash: Mapped[str] = mapped_column(String(64))
    receiver_phone_masked: Mapped[str | None] = mapped_column(String(20))
    province_text: Mapped[str | None] = mapped_column(String(50))
    city_text: Mapped[str | None] = mapped_column(String(50))
    district_text: Mapped[str | None] = mapped_column(String(50))
    street_text: Mapped[str | None] = mapped_column(String(300))
    province_code: Mapped[str | None] = mapped_column(String(6))
    city_code: Mapped[str | None] = mapped_column(String(6))
    district_code: Mapped[str | None] = mapped_column(String(6))
    routing_state: Mapped[RoutingState] = mapped_column(enum_column(RoutingState))
    status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus))
    status_raw: Mapped[str] = mapped_column(String(64))
    created_at_platform: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    platform_room_id: Mapped[str | None] = mapped_column(String(64))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("live_sessions.id", ondelete="SET NULL"))
    host_name: Mapped[str | None] = mapped_column(String(100))
    host_id: Mapped[int | None] = mapped_column(ForeignKey("hosts.id", ondelete="SET NULL"))
    traffic_source: Mapped[TrafficSource] = mapped_column(enum_column(TrafficSource))
    dealer_code: Mapped[str | None] = mapped_column(String(32))
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    dealer_attribution: Mapped[DealerAttribution | None] = mapped_column(enum_column(DealerAttribution))
    # What the import could not resolve: unknown_sku, unknown_session, unknown_host, unknown_dealer_code,
    # address_unresolved. The row is kept either way.
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # SHA-256 of the normalised row: re-importing the same row changes nothing.
    content_hash: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AfterSaleRequest(IdMixin, SimulatedMixin, TenantMixin, Base):
    __tablename__ = "after_sale_requests"
    __table_args__ = (
        UniqueConstraint("tenant_id", "request_no"),
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
        Index("ix_after_sale_requests_tenant_order", "tenant_id", "order_id"),
    )

    request_no: Mapped[str] = mapped_column(String(64))  # 售后单号
    order_no: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    type: Mapped[AfterSaleType] = mapped_column(enum_column(AfterSaleType))
    reason_code: Mapped[str | None] = mapped_column(String(32))
    reason_text: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)  # phone numbers masked on import
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[AfterSaleStatus] = mapped_column(enum_column(AfterSaleStatus))
    status_raw: Mapped[str] = mapped_column(String(64))
    applied_at: Mapped[datetime]
    updated_at_platform: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)  # unknown_order
    content_hash: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImportKind(enum.StrEnum):
    ORDERS = "orders"
    AFTER_SALES = "after_sales"


class ImportRun(IdMixin, CreatedAtMixin, TenantMixin, Base):
    """One import of a file: what it brought and which rows it refused (with their row numbers)."""

    __tablename__ = "order_import_runs"

    kind: Mapped[ImportKind] = mapped_column(enum_column(ImportKind))
    filename: Mapped[str] = mapped_column(String(300))
    rows: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[int] = mapped_column(Integer)
    # [{"row": n, "code": ..., "field": ..., "message": ...}], at most the first 1 000.
    errors: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    error_count: Mapped[int] = mapped_column(Integer)
