"""HTTP API of the demand collector: ranked topics with evidence, merges and splits, C2M proposals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from livebridge.demand import proposals, service
from livebridge.demand.schemas import (
    AnswerCreate,
    AnswerRead,
    EvidenceInput,
    ProposalCreate,
    ProposalRead,
    ProposalTransitionCreate,
    ProposalUpdate,
    QuoteRead,
    RebuildRead,
    TopicDetail,
    TopicMerge,
    TopicRead,
    TopicSplit,
)
from livebridge.kit.pagination import Page, PageParams
from livebridge.models import ProposalStatus, TopicKind
from livebridge.web.deps import ApiSubject, DbSession

router = APIRouter(prefix="/demand", tags=["demand"])
Paging = Annotated[PageParams, Depends()]


@router.get("/topics", response_model=Page[TopicRead])
async def list_topics(
    session: DbSession,
    subject: ApiSubject,
    paging: Paging,
    product_id: Annotated[int | None, Query()] = None,
    kind: Annotated[TopicKind | None, Query()] = None,
) -> Page[TopicRead]:
    """Active demand topics, best ranked first (distinct viewers, buyers, negativity, recency)."""
    page = await service.list_topics(session, subject, paging, product_id=product_id, kind=kind)
    return Page.build([TopicRead.model_validate(t) for t in page.items], page.pagination.total_count, paging)


@router.post("/topics/rebuild", response_model=RebuildRead)
async def rebuild_topics(session: DbSession, subject: ApiSubject) -> RebuildRead:
    """Place new demand, question and complaint comments into topics and refresh the figures."""
    return await service.rebuild_topics(session, subject)


@router.post("/topics/merge", response_model=TopicRead)
async def merge_topics(payload: TopicMerge, session: DbSession, subject: ApiSubject) -> TopicRead:
    topic = await service.do_merge_topics(session, subject, payload.into_topic_id, payload.topic_ids)
    return TopicRead.model_validate(topic)


@router.get("/topics/{topic_id}", response_model=TopicDetail)
async def read_topic(topic_id: int, session: DbSession, subject: ApiSubject) -> TopicDetail:
    """A topic with up to five quotes, its trend over sessions and, once shipped, the demand before and after."""
    return await service.topic_detail(session, subject, topic_id)


@router.get("/topics/{topic_id}/comments", response_model=Page[QuoteRead])
async def topic_comments(topic_id: int, session: DbSession, subject: ApiSubject, paging: Paging) -> Page[QuoteRead]:
    """Every comment of the topic, newest first."""
    return await service.topic_members(session, subject, topic_id, paging)


@router.post("/topics/{topic_id}/split", response_model=TopicRead, status_code=status.HTTP_201_CREATED)
async def split_topic(topic_id: int, payload: TopicSplit, session: DbSession, subject: ApiSubject) -> TopicRead:
    """Move the given comments into a new topic; returns the new topic."""
    return TopicRead.model_validate(await service.do_split_topic(session, subject, topic_id, payload.event_row_ids))


@router.post("/topics/{topic_id}/answered", response_model=AnswerRead)
async def mark_answered(topic_id: int, payload: AnswerCreate, session: DbSession, subject: ApiSubject) -> AnswerRead:
    """Mark the open questions of this topic in one session answered."""
    answered = await service.do_mark_answered(session, subject, payload.session_id, topic_id)
    return AnswerRead(topic_id=topic_id, session_id=payload.session_id, answered=answered)


@router.get("/proposals", response_model=Page[ProposalRead])
async def list_proposals(
    session: DbSession,
    subject: ApiSubject,
    paging: Paging,
    proposal_status: Annotated[ProposalStatus | None, Query(alias="status")] = None,
    product_id: Annotated[int | None, Query()] = None,
) -> Page[ProposalRead]:
    page = await proposals.list_proposals(session, subject, paging, status=proposal_status, product_id=product_id)
    items = [await proposals.proposal_read(session, subject, p) for p in page.items]
    return Page.build(items, page.pagination.total_count, paging)


@router.post("/proposals", response_model=ProposalRead, status_code=status.HTTP_201_CREATED)
async def create_proposal(payload: ProposalCreate, session: DbSession, subject: ApiSubject) -> ProposalRead:
    """Turn topics into an improvement proposal; without quote_ids the best quotes of each topic are kept."""
    proposal = await proposals.do_create_proposal(session, subject, payload)
    return await proposals.proposal_read(session, subject, proposal)


@router.get("/proposals/{proposal_id}", response_model=ProposalRead)
async def read_proposal(proposal_id: int, session: DbSession, subject: ApiSubject) -> ProposalRead:
    proposal = await proposals.access_proposal(session, subject, proposal_id)
    return await proposals.proposal_read(session, subject, proposal)


@router.patch("/proposals/{proposal_id}", response_model=ProposalRead)
async def update_proposal(
    proposal_id: int, payload: ProposalUpdate, session: DbSession, subject: ApiSubject
) -> ProposalRead:
    proposal = await proposals.do_update_proposal(session, subject, proposal_id, payload)
    return await proposals.proposal_read(session, subject, proposal)


@router.post("/proposals/{proposal_id}/transitions", response_model=ProposalRead)
async def transition_proposal(
    proposal_id: int, payload: ProposalTransitionCreate, session: DbSession, subject: ApiSubject
) -> ProposalRead:
    """new → under_review → planned → in_production → shipped, or declined (reason required); else 409."""
    proposal = await proposals.do_transition_proposal(session, subject, proposal_id, payload)
    return await proposals.proposal_read(session, subject, proposal)


@router.post("/proposals/{proposal_id}/evidence", response_model=ProposalRead)
async def add_proposal_evidence(
    proposal_id: int, payload: EvidenceInput, session: DbSession, subject: ApiSubject
) -> ProposalRead:
    """Add evidence from outside the topics (e.g. an after-sale pain point) to an open proposal."""
    proposal = await proposals.do_add_evidence(session, subject, proposal_id, [payload])
    return await proposals.proposal_read(session, subject, proposal)
