"""The demo tenant's demand board: topics from its simulated sessions and proposals in several states.

Everything here is simulated and marked so. The demo's comments are understood first (by
``livebridge.insight.demo``), then grouped by the same ``rebuild_topics`` as production.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Subject
from livebridge.demand import proposals, service
from livebridge.demand.schemas import ProposalCreate, ProposalTransitionCreate
from livebridge.kit.pagination import PageParams
from livebridge.kit.time import utcnow
from livebridge.models import DemandTopic, ProposalStatus, TopicKind

# (status the demo proposal reaches, a decline reason when declined)
DEMO_PATHS: list[tuple[ProposalStatus, str | None]] = [
    (ProposalStatus.SHIPPED, None),
    (ProposalStatus.IN_PRODUCTION, None),
    (ProposalStatus.UNDER_REVIEW, None),
    (ProposalStatus.NEW, None),
    (ProposalStatus.DECLINED, "成本过高，本季度不做；下季度新品规划时再评估"),
]
ORDER = [ProposalStatus.UNDER_REVIEW, ProposalStatus.PLANNED, ProposalStatus.IN_PRODUCTION, ProposalStatus.SHIPPED]


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
    """Group the demo's understood comments; write proposals that reached different statuses.

    Without trained comment models the comments wait un-understood, so there are no topics and no
    proposals (``livebridge.insight.demo`` logs how to train the models).
    """
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
