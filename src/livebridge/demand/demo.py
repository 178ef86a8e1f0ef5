"""The demo tenant's demand board: topics from its simulated sessions and proposals in several states.

Everything here is simulated and marked so. The demo's comments are understood with the trained
comment models when they have no insight yet (the insight worker does this for live traffic), then
grouped by the same ``rebuild_topics`` as production.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Subject
from livebridge.demand import proposals, service
from livebridge.demand.repository import InsightRepository
from livebridge.demand.schemas import ProposalCreate, ProposalTransitionCreate
from livebridge.kit.pagination import PageParams
from livebridge.kit.time import utcnow
from livebridge.live import service as live_service
from livebridge.models import CommentInsight, DemandTopic, LiveSession, ProposalStatus, TopicKind
from livebridge.text import CommentAnalyzer, TextModelError

logger = logging.getLogger(__name__)

# (status the demo proposal reaches, a decline reason when declined)
DEMO_PATHS: list[tuple[ProposalStatus, str | None]] = [
    (ProposalStatus.SHIPPED, None),
    (ProposalStatus.IN_PRODUCTION, None),
    (ProposalStatus.UNDER_REVIEW, None),
    (ProposalStatus.NEW, None),
    (ProposalStatus.DECLINED, "成本过高，本季度不做；下季度新品规划时再评估"),
]
ORDER = [ProposalStatus.UNDER_REVIEW, ProposalStatus.PLANNED, ProposalStatus.IN_PRODUCTION, ProposalStatus.SHIPPED]


def _product_at(live_session: LiveSession, moment: datetime, link_number: int | None) -> tuple[int | None, str | None]:
    """The product being explained at that moment, else the one the comment's link number names."""
    for segment in live_session.segments:
        if segment.started_at <= moment and (segment.ended_at is None or moment < segment.ended_at):
            return segment.product_id, "explaining"
    by_link = {item.link_number: item.product_id for item in live_session.shelf}
    if link_number in by_link:
        return by_link[link_number], "link_number"
    return None, None


async def understand_demo_comments(session: AsyncSession, owner: Subject, analyzer: CommentAnalyzer) -> int:
    """Write insights for the demo's comment events that have none; returns how many."""
    insights = InsightRepository(session)
    events = await insights.comments_without_insight(owner)
    if not events:
        return 0
    analyses = analyzer.analyze_batch([text for *_, text, _ in events])
    sessions: dict[int, LiveSession] = {}
    rows: list[CommentInsight] = []
    for (event_id, session_id, moment, viewer, _, simulated), analysis in zip(events, analyses, strict=True):
        if session_id not in sessions:
            sessions[session_id] = await live_service.access_session(session, owner, session_id)
        product_id, how = _product_at(sessions[session_id], moment, analysis.link_number)
        rows.append(
            CommentInsight(
                event_row_id=event_id,
                tenant_id=owner.require_tenant(),
                session_id=session_id,
                occurred_at=moment,
                viewer_key=viewer,
                normalized=analysis.normalized,
                intent=analysis.intent,
                intent_confidence=analysis.intent_confidence,
                aspects=list(analysis.aspects),
                sentiment=analysis.sentiment,
                aspect_sentiments=dict(analysis.aspect_sentiments),
                product_id=product_id,
                product_link=how,
                is_simulated=simulated,
            )
        )
    await insights.add_insights(rows)
    return len(rows)


def _proposal_topics(topics: Sequence[DemandTopic]) -> list[DemandTopic]:
    """The best demand or complaint topic of each of the first products, one proposal per product."""
    chosen: list[DemandTopic] = []
    products: set[int] = set()
    for topic in topics:
        if topic.product_id is None or topic.product_id in products or topic.kind == TopicKind.QUESTION:
            continue
        chosen.append(topic)
        products.add(topic.product_id)
        if len(chosen) == len(DEMO_PATHS):
            break
    return chosen


async def load_demo_demand(session: AsyncSession, owner: Subject) -> None:
    """Understand and group the demo's comments; write proposals that reached different statuses.

    Without trained comment models (a fresh checkout before ``livebridge nlp train``) the demo loads
    without demand topics and says how to add them.
    """
    try:
        analyzer = CommentAnalyzer.load()
    except TextModelError as exc:
        logger.warning(
            "demo demand board left empty: %s. Run `livebridge nlp train`, then load the demo into a new database.",
            exc,
        )
        return
    await understand_demo_comments(session, owner, analyzer)
    await service.rebuild_topics(session, owner)
    ranked = await service.list_topics(session, owner, PageParams(page=1, page_size=200))
    shipped_on = utcnow() - timedelta(days=4)
    for topic, (target, reason) in zip(_proposal_topics(ranked.items), DEMO_PATHS, strict=False):
        proposal = await proposals.do_create_proposal(
            session,
            owner,
            ProposalCreate(
                product_id=topic.product_id or 0,
                title=f"改进：{topic.label}",
                notes=f"来自直播间 {topic.viewer_count} 位观众的 {topic.comment_count} 条评论（模拟数据）。",
                topic_ids=[topic.id],
            ),
            is_simulated=True,
        )
        if target == ProposalStatus.DECLINED:
            steps = [ProposalStatus.UNDER_REVIEW, ProposalStatus.DECLINED]
        else:
            steps = ORDER[: ORDER.index(target) + 1] if target in ORDER else []
        for step in steps:
            at = shipped_on if step == ProposalStatus.SHIPPED else None
            await proposals.do_transition_proposal(
                session, owner, proposal.id, ProposalTransitionCreate(to=step, reason=reason, at=at)
            )
