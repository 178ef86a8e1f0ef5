"""Payloads of the demand API and console forms."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from livebridge.models import ProposalStatus, TopicKind, TopicStatus

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Notes = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Ids = Annotated[list[int], Field(min_length=1, max_length=200)]


class TopicRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    product_id: int | None
    kind: TopicKind
    status: TopicStatus
    merged_into_id: int | None
    label: str
    key_phrases: list[str]
    comment_count: int
    viewer_count: int
    buyer_count: int
    negative_count: int
    session_count: int
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    score: float
    is_simulated: bool


class QuoteRead(BaseModel):
    event_row_id: int
    text: str
    occurred_at: datetime
    session_id: int
    session_title: str
    hosts: list[str]
    sentiment: str
    is_buyer: bool
    is_simulated: bool


class TrendPoint(BaseModel):
    session_id: int
    session_title: str
    started_at: datetime
    comments: int
    viewers: int


class ShipEffect(BaseModel):
    """A shipped proposal's topic: demand per session before and after the ship date."""

    proposal_id: int
    shipped_at: datetime
    sessions_before: int
    comments_before: int
    sessions_after: int
    comments_after: int
    per_session_before: float | None
    per_session_after: float | None


class TopicDetail(BaseModel):
    topic: TopicRead
    quotes: list[QuoteRead]
    trend: list[TrendPoint]
    proposal_ids: list[int]
    ship_effects: list[ShipEffect]


class TopicMerge(BaseModel):
    into_topic_id: int
    topic_ids: Ids


class TopicSplit(BaseModel):
    event_row_ids: Ids


class RebuildRead(BaseModel):
    comments_considered: int
    comments_excluded: int
    comments_placed: int
    topics_created: int
    topics_active: int


class AnswerCreate(BaseModel):
    session_id: int


class AnswerRead(BaseModel):
    topic_id: int
    session_id: int
    answered: int


class EvidenceItem(BaseModel):
    """One record behind a piece of evidence: its words and where it came from (order, session, host...)."""

    text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    references: dict[
        Annotated[str, StringConstraints(max_length=40)], Annotated[str, StringConstraints(max_length=200)]
    ] = Field(default_factory=dict, max_length=10)


class EvidenceInput(BaseModel):
    """Evidence from outside the comment topics, e.g. an after-sale pain point (source ``pain_point``)."""

    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    label: Title
    count: int = Field(ge=0)
    summary: Notes = ""
    items: list[EvidenceItem] = Field(default_factory=list, max_length=50)


class EvidenceRead(EvidenceInput):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime


class ProposalCreate(BaseModel):
    """A proposal needs topics, or other evidence, or both."""

    product_id: int
    title: Title
    notes: Notes = ""
    topic_ids: list[int] = Field(default_factory=list, max_length=200)
    quote_ids: list[int] = Field(default_factory=list, max_length=50)
    evidence: list[EvidenceInput] = Field(default_factory=list, max_length=20)
    owner_user_id: int | None = None


class ProposalUpdate(BaseModel):
    title: Title | None = None
    notes: Notes | None = None
    owner_user_id: int | None = None


class ProposalTransitionCreate(BaseModel):
    to: ProposalStatus
    reason: Reason | None = None
    at: AwareDatetime | None = None


class ProposalRead(BaseModel):
    id: int
    product_id: int
    title: str
    notes: str
    status: ProposalStatus
    owner_user_id: int | None
    decline_reason: str | None
    shipped_at: datetime | None
    created_at: datetime
    updated_at: datetime
    topic_ids: list[int]
    quote_ids: list[int]
    evidence: list[EvidenceRead]
    allowed_transitions: list[ProposalStatus]
    is_simulated: bool
