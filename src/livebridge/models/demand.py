"""Demand topics (grouped demand, question and complaint comments) and C2M improvement proposals.

A topic belongs to one product (or to none) and one kind of comment. Its members are comment
insights; a comment is in at most one topic, and stays there across rebuilds, so topic ids are
stable and user merges and splits survive. Figures are refreshed by every rebuild and edit.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from livebridge.kit.ids import BigIntPK
from livebridge.kit.time import utcnow
from livebridge.models.base import Base, CreatedAtMixin, IdMixin, SimulatedMixin, TenantMixin, enum_column


class TopicKind(enum.StrEnum):
    """The comment intents that make demand topics."""

    DEMAND = "demand"
    QUESTION = "question"
    COMPLAINT = "complaint"


class TopicStatus(enum.StrEnum):
    ACTIVE = "active"
    MERGED = "merged"


class ProposalStatus(enum.StrEnum):
    NEW = "new"
    UNDER_REVIEW = "under_review"
    PLANNED = "planned"
    IN_PRODUCTION = "in_production"
    SHIPPED = "shipped"
    DECLINED = "declined"


class TopicEditKind(enum.StrEnum):
    MERGE = "merge"
    SPLIT = "split"


class DemandTopic(IdMixin, CreatedAtMixin, SimulatedMixin, TenantMixin, Base):
    __tablename__ = "demand_topics"
    __table_args__ = (Index("ix_demand_topics_tenant_rank", "tenant_id", "status", "score"),)

    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    kind: Mapped[TopicKind] = mapped_column(enum_column(TopicKind))
    status: Mapped[TopicStatus] = mapped_column(enum_column(TopicStatus), default=TopicStatus.ACTIVE)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("demand_topics.id", ondelete="SET NULL"))
    label: Mapped[str] = mapped_column(String(100))
    key_phrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    viewer_count: Mapped[int] = mapped_column(Integer, default=0)
    buyer_count: Mapped[int] = mapped_column(Integer, default=0)
    negative_count: Mapped[int] = mapped_column(Integer, default=0)
    session_count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    # Ranking score at ``scored_at`` (it decays with age, so it is refreshed by every rebuild).
    score: Mapped[float] = mapped_column(default=0.0)
    scored_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DemandTopicMember(TenantMixin, Base):
    """One comment (its insight row) in one topic."""

    __tablename__ = "demand_topic_members"

    event_row_id: Mapped[int] = mapped_column(
        BigIntPK,
        ForeignKey("comment_insights.event_row_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    topic_id: Mapped[int] = mapped_column(ForeignKey("demand_topics.id", ondelete="CASCADE"), index=True)
    # Near-duplicate group inside the topic (the smallest event_row_id of the group).
    duplicate_of: Mapped[int | None] = mapped_column(BigIntPK)


class DemandTopicEdit(IdMixin, CreatedAtMixin, TenantMixin, Base):
    """A user's merge or split, kept as the record of who changed the grouping and when."""

    __tablename__ = "demand_topic_edits"

    kind: Mapped[TopicEditKind] = mapped_column(enum_column(TopicEditKind))
    topic_id: Mapped[int] = mapped_column(ForeignKey("demand_topics.id", ondelete="CASCADE"), index=True)
    other_topic_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    event_row_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Proposal(IdMixin, CreatedAtMixin, SimulatedMixin, TenantMixin, Base):
    """An improvement proposal for a product, backed by demand topics (C2M)."""

    __tablename__ = "demand_proposals"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProposalStatus] = mapped_column(enum_column(ProposalStatus), default=ProposalStatus.NEW)
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    shipped_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ProposalTopic(TenantMixin, Base):
    __tablename__ = "demand_proposal_topics"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("demand_proposals.id", ondelete="CASCADE"), primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("demand_topics.id", ondelete="CASCADE"), primary_key=True)


class ProposalQuote(TenantMixin, Base):
    """A comment kept as evidence on a proposal."""

    __tablename__ = "demand_proposal_quotes"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("demand_proposals.id", ondelete="CASCADE"), primary_key=True)
    event_row_id: Mapped[int] = mapped_column(
        BigIntPK,
        ForeignKey("comment_insights.event_row_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )


class ProposalTransition(IdMixin, CreatedAtMixin, TenantMixin, Base):
    """One status change of a proposal: the history shown on its page."""

    __tablename__ = "demand_proposal_transitions"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("demand_proposals.id", ondelete="CASCADE"), index=True)
    # Plain strings: two enum columns of one type would share one CHECK constraint name.
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ProposalEvidence(IdMixin, CreatedAtMixin, TenantMixin, Base):
    """Evidence from outside the comment topics, e.g. a pain point of the after-sale requests.

    Kept as a snapshot (label, count, summary figures and the requests behind it with their order,
    session and host references) so the proposal still shows what was handed over when it was.
    """

    __tablename__ = "demand_proposal_evidence"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("demand_proposals.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str] = mapped_column(Text, default="")
    items: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
