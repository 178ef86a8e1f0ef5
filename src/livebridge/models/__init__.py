"""All ORM models, one module per aggregate. Importing this package registers every table."""

from livebridge.models.audit import AuditChainHead, AuditCheckpoint, AuditEntry
from livebridge.models.base import Base
from livebridge.models.catalog import Product, ProductStatus, Sku
from livebridge.models.demand import (
    DemandTopic,
    DemandTopicEdit,
    DemandTopicMember,
    Proposal,
    ProposalQuote,
    ProposalStatus,
    ProposalTopic,
    ProposalTransition,
    TopicEditKind,
    TopicKind,
    TopicStatus,
)
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
from livebridge.models.notification import Notification
from livebridge.models.rollups import SessionSecond, SessionSku
from livebridge.models.scorecards import ScorecardWeights
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
    "AuditChainHead",
    "AuditCheckpoint",
    "AuditEntry",
    "AuthSession",
    "Base",
    "CommentInsight",
    "DemandTopic",
    "DemandTopicEdit",
    "DemandTopicMember",
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
    "Notification",
    "Organization",
    "OrganizationKind",
    "Platform",
    "Product",
    "ProductStatus",
    "Proposal",
    "ProposalQuote",
    "ProposalStatus",
    "ProposalTopic",
    "ProposalTransition",
    "Role",
    "ScorecardWeights",
    "SessionHost",
    "SessionSecond",
    "SessionSku",
    "SessionStatus",
    "ShelfItem",
    "Sku",
    "Tenant",
    "TopicEditKind",
    "TopicKind",
    "TopicStatus",
    "User",
]
