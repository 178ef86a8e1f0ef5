"""HTTP API of live statistics."""

from __future__ import annotations

from fastapi import APIRouter

from livebridge.stats import service
from livebridge.stats.schemas import SessionStats
from livebridge.web.deps import ApiSubject, DbSession

router = APIRouter(tags=["live statistics"])


@router.get("/sessions/{session_id}/stats", response_model=SessionStats)
async def read_session_stats(session_id: int, session: DbSession, subject: ApiSubject) -> SessionStats:
    """Totals, the 进房→支付 funnel, per-minute series and per-product figures of one session."""
    return await service.session_stats(session, subject, session_id)
