"""All ORM models, one module per aggregate. Importing this package registers every table."""

from livebridge.models.base import Base
from livebridge.models.catalog import Product, ProductStatus, Sku
from livebridge.models.events import LiveEventRow
from livebridge.models.insight import CommentInsight, InsightCursor
from livebridge.models.integrity import FlagKind, IntegrityAlert, IntegrityAssessment, IntegrityFlag, IntegritySettings
from livebridge.models.live import (
    ExplanationSegment,
    Host,
    HostRole,
    LiveSession,
    Platform,
    SessionHost,
    SessionStatus,
    ShelfItem,
)
from livebridge.models.rollups import SessionSecond, SessionSku
from livebridge.models.tenancy import (
    ApiKey,
    ApiKeyRole,
    AuthSession,
    Membership,
    Organization,
    OrganizationKind,
    Role,
    Tenant,
    User,
)

__all__ = [
    "ApiKey",
    "ApiKeyRole",
    "AuthSession",
    "Base",
    "CommentInsight",
    "ExplanationSegment",
    "FlagKind",
    "Host",
    "HostRole",
    "InsightCursor",
    "IntegrityAlert",
    "IntegrityAssessment",
    "IntegrityFlag",
    "IntegritySettings",
    "LiveEventRow",
    "LiveSession",
    "Membership",
    "Organization",
    "OrganizationKind",
    "Platform",
    "Product",
    "ProductStatus",
    "Role",
    "SessionHost",
    "SessionSecond",
    "SessionSku",
    "SessionStatus",
    "ShelfItem",
    "Sku",
    "Tenant",
    "User",
]
