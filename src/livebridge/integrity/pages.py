"""Console pages of integrity: a session's assessment, its live panel, and the risk overview."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from livebridge.authz import Permission
from livebridge.integrity import service
from livebridge.integrity.schemas import IntegritySettingsRead, IntegritySettingsUpdate
from livebridge.live import service as live_service
from livebridge.models import FlagKind
from livebridge.web.deps import AppDatabase, ConsoleUser, DbSession
from livebridge.web.forms import submit_form
from livebridge.web.templating import render

router = APIRouter()
FLAG_SAMPLE = 50


@router.get("/sessions/{session_id}/integrity", response_class=HTMLResponse)
async def integrity_page(
    request: Request, session_id: int, database: AppDatabase, session: DbSession, identity: ConsoleUser
) -> Response:
    subject = identity.subject
    live_session = await live_service.access_session(session, subject, session_id)
    report = await service.integrity_report(database, session, subject, session_id)
    async with database.transaction(write=False) as fresh:  # sees an assessment the report just stored
        flags = {kind: await service.flagged_keys(fresh, subject, session_id, kind, FLAG_SAMPLE) for kind in FlagKind}
    return render(
        request,
        "integrity/session.html",
        {"active": "integrity", "s": live_session, "report": report, "flags": flags},
    )


@router.get("/sessions/{session_id}/integrity/panel", response_class=HTMLResponse)
async def integrity_panel(
    request: Request, session_id: int, database: AppDatabase, session: DbSession, identity: ConsoleUser
) -> Response:
    """The reported-vs-verified panel alone; a live page polls it every 10 s (which re-assesses)."""
    report = await service.integrity_report(database, session, identity.subject, session_id)
    return render(request, "integrity/_figures.html", {"report": report})


async def _overview(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    subject = identity.subject
    settings = await service.access_settings(session, subject)
    return render(
        request,
        "integrity/overview.html",
        {
            "active": "integrity",
            "alerts": await service.open_alerts(session, subject),
            "sessions": await service.sessions_by_risk(session, subject),
            "hosts": await service.hosts_by_risk(session, subject),
            "settings": settings,
            "can_manage": subject.can(Permission.MANAGE_LIVE),
            "form": form or {"alert_threshold": str(settings.alert_threshold)},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/integrity", response_class=HTMLResponse)
async def overview_page(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    return await _overview(request, session, identity)


@router.post("/integrity/settings", response_class=HTMLResponse)
async def save_settings(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    async def save(payload: IntegritySettingsUpdate) -> IntegritySettingsRead:
        return await service.do_update_settings(session, identity.subject, payload)

    async def show_again(form: dict[str, str], errors: dict[str, str]) -> Response:
        return await _overview(request, session, identity, form=form, errors=errors, status_code=422)

    return await submit_form(request, IntegritySettingsUpdate, save, redirect_to="/integrity", show_again=show_again)
