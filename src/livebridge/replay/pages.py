"""Console pages of the replay report: the report (printable) and its Excel download."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from livebridge.replay import service
from livebridge.replay.analysis import ASPECT_NAMES
from livebridge.replay.export import replay_download
from livebridge.web.deps import AppSettings, ConsoleUser, DbSession
from livebridge.web.templating import render

router = APIRouter()


@router.get("/sessions/{session_id}/replay", response_class=HTMLResponse)
async def replay_page(request: Request, session_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    report = await service.replay_report(session, identity.subject, session_id)
    chart = {
        "minutes": [m.model_dump(mode="json") for m in report.minutes],
        "segments": [
            {
                "product": s.product_name,
                "from": s.started_at.isoformat(),
                "to": (s.ended_at or report.ended_at).isoformat(),
            }
            for s in report.segments
        ],
        "drop_offs": [d.minute.isoformat() for d in report.drop_offs],
    }
    return render(
        request, "replay/report.html", {"active": "sessions", "r": report, "chart": chart, "aspect_names": ASPECT_NAMES}
    )


@router.get("/sessions/{session_id}/replay.xlsx")
async def download_replay(
    session_id: int, session: DbSession, identity: ConsoleUser, settings: AppSettings
) -> Response:
    report = await service.replay_report(session, identity.subject, session_id)
    return replay_download(report, settings.display_timezone)
