"""HTTP API of the replay report (复盘)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from livebridge.replay import service
from livebridge.replay.export import replay_download
from livebridge.replay.schemas import ReplayReport
from livebridge.web.deps import ApiSubject, AppSettings, DbSession

router = APIRouter(tags=["replay reports"])


@router.get("/sessions/{session_id}/replay", response_model=ReplayReport)
async def read_replay(session_id: int, session: DbSession, subject: ApiSubject) -> ReplayReport:
    """The replay report of an ended session: timeline, drop-offs, funnel against earlier sessions, products, advice.

    409 ``session_not_ended`` while the session has not ended.
    """
    return await service.replay_report(session, subject, session_id)


@router.get("/sessions/{session_id}/replay.xlsx", response_class=Response)
async def export_replay(session_id: int, session: DbSession, subject: ApiSubject, settings: AppSettings) -> Response:
    """The replay report as an Excel workbook."""
    return replay_download(await service.replay_report(session, subject, session_id), settings.display_timezone)
