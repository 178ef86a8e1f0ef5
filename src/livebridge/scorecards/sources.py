"""What scorecards take from other domains: integrity findings and demand topics, per session.

Each answers for a set of sessions and leaves out every session it has nothing for (never
assessed, no topic); a figure that depends on a missing session is then "not available" (暂无)
on the scorecard, never a made-up number.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Subject
from livebridge.demand import service as demand_service
from livebridge.integrity import service as integrity_service


@dataclass(frozen=True)
class SessionIntegrity:
    flagged_viewers: frozenset[str]  # viewer keys judged bots or water army in this session
    flagged_orders: frozenset[str]  # order ids judged brushed in this session
    verified_peak_viewers: int
    verified_average_viewers: float
    authenticity_index: int | None  # 0–100; None: not enough data for a confident index


async def session_integrity(
    session: AsyncSession, subject: Subject, session_ids: Collection[int]
) -> Mapping[int, SessionIntegrity]:
    """Integrity findings per assessed session: what the detectors flagged and the verified viewers."""
    assessed = await integrity_service.session_authenticity(session, subject, list(session_ids))
    return {
        session_id: SessionIntegrity(
            flagged_viewers=frozenset(found.flagged_viewers),
            flagged_orders=frozenset(found.flagged_orders),
            verified_peak_viewers=int(found.figures.peak_online.verified),
            verified_average_viewers=found.figures.average_online.verified,
            authenticity_index=found.authenticity_index,
        )
        for session_id, found in assessed.items()
    }


async def session_demand_topics(
    session: AsyncSession, subject: Subject, session_ids: Collection[int]
) -> Mapping[int, frozenset[int]]:
    """Demand topic ids per session that contributed comments to them."""
    return await demand_service.topics_of_sessions(session, subject, list(session_ids))
