"""HTTP API of integrity: a session's assessment and verified figures, risk lists, alerts, settings."""

from __future__ import annotations

from fastapi import APIRouter

from livebridge.integrity import service
from livebridge.integrity.schemas import (
    AlertRead,
    IntegrityReport,
    IntegritySettingsRead,
    IntegritySettingsUpdate,
    RiskHost,
    RiskSession,
    VerifiedFigures,
)
from livebridge.web.deps import ApiSubject, AppDatabase, DbSession

router = APIRouter(tags=["integrity"])


@router.get("/sessions/{session_id}/integrity", response_model=IntegrityReport)
async def read_integrity(
    session_id: int, database: AppDatabase, session: DbSession, subject: ApiSubject
) -> IntegrityReport:
    """Authenticity index, reasons with evidence, per-detector status and reported vs verified figures.

    A live session is re-assessed when its assessment is older than 10 seconds.
    """
    return await service.integrity_report(database, session, subject, session_id)


@router.post("/sessions/{session_id}/integrity/assess", response_model=IntegrityReport)
async def assess_integrity(session_id: int, session: DbSession, subject: ApiSubject) -> IntegrityReport:
    """Run every detector on the session's events now."""
    return await service.assess_session(session, subject, session_id)


@router.get("/sessions/{session_id}/integrity/figures", response_model=VerifiedFigures)
async def read_verified_figures(
    session_id: int, database: AppDatabase, session: DbSession, subject: ApiSubject
) -> VerifiedFigures:
    """Reported and verified peak/average viewers, comments, orders and GMV (fen) side by side."""
    return await service.verified_figures(database, session, subject, session_id)


@router.get("/integrity/sessions", response_model=list[RiskSession])
async def list_risky_sessions(session: DbSession, subject: ApiSubject) -> list[RiskSession]:
    """Assessed sessions, least authentic first."""
    return await service.sessions_by_risk(session, subject)


@router.get("/integrity/hosts", response_model=list[RiskHost])
async def list_risky_hosts(session: DbSession, subject: ApiSubject) -> list[RiskHost]:
    """Hosts by the average authenticity index of their assessed sessions, lowest first."""
    return await service.hosts_by_risk(session, subject)


@router.get("/integrity/alerts", response_model=list[AlertRead])
async def list_alerts(session: DbSession, subject: ApiSubject) -> list[AlertRead]:
    """Open alerts: sessions whose index is below the tenant's threshold."""
    return await service.open_alerts(session, subject)


@router.get("/integrity/settings", response_model=IntegritySettingsRead)
async def read_settings(session: DbSession, subject: ApiSubject) -> IntegritySettingsRead:
    return await service.access_settings(session, subject)


@router.put("/integrity/settings", response_model=IntegritySettingsRead)
async def update_settings(
    payload: IntegritySettingsUpdate, session: DbSession, subject: ApiSubject
) -> IntegritySettingsRead:
    """Set the alert threshold (0–100; default 60)."""
    return await service.do_update_settings(session, subject, payload)
