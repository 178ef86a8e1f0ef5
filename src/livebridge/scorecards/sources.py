"""What scorecards take from other domains that are still being built: integrity and demand topics.

These two functions are the seams. Each answers for a set of sessions and leaves out every session
it has nothing for; a figure that depends on a missing session is then "not available" (暂无) on
the scorecard, never a made-up number.

- Integrity (``livebridge.integrity``) fills ``session_integrity``: per session the accounts and
  orders its detectors flagged, the verified peak and average viewers and the authenticity index
  (``None`` when the session has too little data for a confident index).
- C2M (``livebridge.c2m``) fills ``session_demand_topics``: per session the ids of the demand topics
  its comments were clustered into.

Until those domains are merged, both return nothing for every session.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Subject


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
    """Integrity findings per session; the integrity domain is not merged yet, so none."""
    return {}


async def session_demand_topics(
    session: AsyncSession, subject: Subject, session_ids: Collection[int]
) -> Mapping[int, frozenset[int]]:
    """Demand topic ids per session; the C2M domain is not merged yet, so none."""
    return {}
