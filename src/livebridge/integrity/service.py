"""Integrity of a live session: assess it (all detectors on its events), keep the result with what
it flagged, raise or resolve the tenant's alert, and give the reported and verified figures.

``assess_session`` is the refresh. The task queue runs ``refresh_live_sessions`` every ten
seconds (``integrity.tasks``); besides, the console and the API re-assess a live session whose
assessment is older than ``REFRESH_EVERY`` when someone looks, and ``livebridge integrity assess
--watch`` does so on a timer.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, Final

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Permission, Subject
from livebridge.config import get_settings
from livebridge.db import Database
from livebridge.integrity.authenticity import Assessment, assess
from livebridge.integrity.columns import ColumnsBuilder, SessionEvents, micros, to_datetime
from livebridge.integrity.live_columns import live_columns, read_columns
from livebridge.integrity.repository import IntegrityRepository
from livebridge.integrity.results import Family, Reason, Status, reason_text
from livebridge.integrity.schemas import (
    DEFAULT_ALERT_THRESHOLD,
    AlertRead,
    DetectorRead,
    FamilyRead,
    FigurePair,
    IntegrityReport,
    IntegritySettingsRead,
    IntegritySettingsUpdate,
    ReasonRead,
    RiskHost,
    RiskSession,
    SessionAuthenticity,
    VerifiedFigures,
)
from livebridge.integrity.viewers import PresenceHistory
from livebridge.kit.time import to_display, utcnow
from livebridge.live import service as live_service
from livebridge.models import (
    FlagKind,
    IntegrityAlert,
    IntegrityAssessment,
    IntegritySettings,
    LiveSession,
    SessionStatus,
)

logger = logging.getLogger(__name__)
REFRESH_EVERY: Final = timedelta(seconds=10)
ENDED_PER_REFRESH: Final = 2  # ended sessions given their final assessment per refresh run
HISTORY_SESSIONS: Final = 20  # earlier sessions searched for accounts that keep entering together


def _clock(value: int) -> str:
    return to_display(to_datetime(value), get_settings().display_timezone).strftime("%H:%M:%S")


async def load_events(session: AsyncSession, subject: Subject, session_id: int, *, live: bool = False) -> SessionEvents:
    """The session's events as columns. A live session's columns are kept in this process between
    refreshes, so each refresh reads only the events stored since (``live_columns``)."""
    repository = IntegrityRepository(session)
    database = str((await session.connection()).engine.url)
    if live:
        return await live_columns.load(repository, subject, database, session_id)
    live_columns.forget((database, subject.tenant_id or 0, session_id))
    return (await read_columns(repository, subject, session_id, ColumnsBuilder())).events()


async def _history(session: AsyncSession, subject: Subject, live_session: LiveSession) -> list[PresenceHistory]:
    before = live_session.started_at or live_session.scheduled_start_at
    rows = await IntegrityRepository(session).earlier_presence(subject, live_session.id, before, HISTORY_SESSIONS)
    grouped: dict[int, tuple[list[str], list[int]]] = {}
    for session_id, started_at, viewer, entered in rows:
        keys, offsets = grouped.setdefault(session_id, ([], []))
        keys.append(viewer)
        offsets.append(micros(entered) - micros(started_at))
    return [
        PresenceHistory(
            session_id=session_id,
            viewer_keys=np.array(keys, dtype=object),
            entered_after=np.array(offsets, dtype=np.int64),
        )
        for session_id, (keys, offsets) in grouped.items()
    ]


def _reason_json(reason: Reason) -> dict[str, Any]:
    return {
        "code": reason.code,
        "params": reason.params,
        "weight": reason.weight,
        "accounts": reason.accounts,
        "start": reason.start,
        "end": reason.end,
    }


def _flags(tenant_id: int, session_id: int, events: SessionEvents, result: Assessment) -> list[dict[str, Any]]:
    """One row per flagged viewer, comment (its event id) and order, with the first detector that flagged it."""
    rows: dict[tuple[FlagKind, str], str] = {}
    for detector in result.detectors:
        if detector.status != Status.OK:
            continue
        for kind, keys in (
            (FlagKind.VIEWER, events.viewer_keys[detector.flagged_viewers]),
            (FlagKind.COMMENT, events.row_id[detector.flagged_comments]),
            (FlagKind.ORDER, events.order_ids[detector.flagged_orders]),
        ):
            for key in keys.tolist():
                rows.setdefault((kind, str(key)), detector.detector)
    return [
        {"tenant_id": tenant_id, "session_id": session_id, "kind": kind, "key": key[:128], "detector": detector}
        for (kind, key), detector in rows.items()
    ]


async def _threshold(session: AsyncSession, subject: Subject) -> int:
    stored = await IntegrityRepository(session).settings(subject)
    return stored.alert_threshold if stored else DEFAULT_ALERT_THRESHOLD


async def assess_session(
    session: AsyncSession,
    subject: Subject,
    session_id: int,
    *,
    fingerprints: Mapping[str, Sequence[str]] | None = None,
) -> IntegrityReport:
    """Run every detector on the session's events now, store the result, raise or resolve the alert.

    ``fingerprints`` (order id → address/device hashes) is the seam for the after-sales order
    records; without them the shared-fingerprint detector answers "not enough data".
    """
    subject.check(Permission.READ)
    live_session = await live_service.access_session(session, subject, session_id)
    events = await load_events(session, subject, session_id, live=live_session.status == SessionStatus.LIVE)
    result = assess(events, _clock, history=await _history(session, subject, live_session), fingerprints=fingerprints)
    repository = IntegrityRepository(session)
    stored = await repository.claim(subject, live_session.tenant_id, session_id, live_session.is_simulated)
    stored.assessed_at = utcnow()
    stored.events_seen = result.events
    stored.authenticity_index = result.index
    stored.families = [
        {
            "family": f.family.value,
            "status": f.status.value,
            "probability": f.probability,
            "flagged_share": f.flagged_share,
            "units": f.units,
            "flagged": f.flagged,
        }
        for f in result.families
    ]
    stored.detectors = [
        {
            "detector": d.detector,
            "family": d.family.value,
            "status": d.status.value,
            "note": d.note,
            "flagged": int(d.flagged_viewers.size + d.flagged_comments.size + d.flagged_orders.size),
            "reasons": [_reason_json(r) for r in d.reasons],
        }
        for d in result.detectors
    ]
    stored.figures = dataclasses.asdict(result.figures)
    await repository.save(stored, _flags(live_session.tenant_id, session_id, events, result))
    await _update_alert(session, subject, live_session, result.index)
    return await _report(session, subject, live_session, stored)


async def _update_alert(session: AsyncSession, subject: Subject, live_session: LiveSession, index: int | None) -> None:
    """An open alert while the index is below the threshold; resolved once it is back above."""
    repository = IntegrityRepository(session)
    threshold = await _threshold(session, subject)
    current = await repository.open_alert(subject, live_session.id)
    if index is not None and index < threshold:
        if current is None:
            await repository.add_alert(
                IntegrityAlert(
                    tenant_id=live_session.tenant_id,
                    session_id=live_session.id,
                    authenticity_index=index,
                    threshold=threshold,
                    is_simulated=live_session.is_simulated,
                )
            )
        else:
            current.authenticity_index = min(current.authenticity_index, index)
    elif current is not None:
        current.resolved_at = utcnow()
    await session.flush()


def _reason_read(detector: str, raw: Mapping[str, Any]) -> ReasonRead:
    reason = Reason(code=raw["code"], params=raw["params"], weight=raw["weight"], accounts=raw["accounts"])
    return ReasonRead(
        detector=detector,
        code=reason.code,
        message=reason_text(reason, "zh_CN"),
        message_en=reason_text(reason, "en"),
        share=round(reason.weight, 4),
        accounts=reason.accounts,
        start=to_datetime(raw["start"]) if raw.get("start") is not None else None,
        end=to_datetime(raw["end"]) if raw.get("end") is not None else None,
    )


def _figures(stored: IntegrityAssessment) -> VerifiedFigures:
    f = stored.figures
    return VerifiedFigures(
        session_id=stored.session_id,
        assessed_at=stored.assessed_at,
        authenticity_index=stored.authenticity_index,
        online_source=f["online_source"],
        peak_online=FigurePair(reported=f["peak_online"], verified=f["verified_peak_online"]),
        average_online=FigurePair(reported=f["average_online"], verified=f["verified_average_online"]),
        viewers=FigurePair(reported=f["viewers"], verified=f["verified_viewers"]),
        comments=FigurePair(reported=f["comments"], verified=f["verified_comments"]),
        orders=FigurePair(reported=f["orders"], verified=f["verified_orders"]),
        gmv_gross_fen=f["gmv_gross_fen"],
        gmv_net_refunds_fen=f["gmv_net_refunds_fen"],
        gmv_net_flagged_fen=f["gmv_net_flagged_fen"],
        is_simulated=stored.is_simulated,
    )


async def _report(
    session: AsyncSession, subject: Subject, live_session: LiveSession, stored: IntegrityAssessment
) -> IntegrityReport:
    detectors = [
        DetectorRead(
            detector=d["detector"],
            family=Family(d["family"]),
            status=Status(d["status"]),
            note=d["note"],
            flagged=d["flagged"],
            reasons=[_reason_read(d["detector"], r) for r in d["reasons"]],
        )
        for d in stored.detectors
    ]
    reasons = sorted((r for d in detectors for r in d.reasons), key=lambda r: -r.share)
    alert = await IntegrityRepository(session).open_alert(subject, live_session.id)
    return IntegrityReport(
        session_id=live_session.id,
        title=live_session.title,
        status=live_session.status,
        is_simulated=live_session.is_simulated,
        assessed_at=stored.assessed_at,
        events_seen=stored.events_seen,
        authenticity_index=stored.authenticity_index,
        threshold=await _threshold(session, subject),
        top_reasons=reasons[:5],
        families=[FamilyRead.model_validate(f) for f in stored.families],
        detectors=detectors,
        figures=_figures(stored),
        online_series=[(to_datetime(m), r, v) for m, r, v in stored.figures.get("online_series", [])],
        alert=_alert_read(alert, live_session.title) if alert else None,
    )


def _alert_read(alert: IntegrityAlert, title: str | None = None) -> AlertRead:
    return AlertRead(
        id=alert.id,
        session_id=alert.session_id,
        session_title=title,
        raised_at=alert.raised_at,
        authenticity_index=alert.authenticity_index,
        threshold=alert.threshold,
        resolved_at=alert.resolved_at,
    )


def _stale(stored: IntegrityAssessment | None, live_session: LiveSession) -> bool:
    if stored is None:
        return True
    if live_session.status == SessionStatus.LIVE:
        return utcnow() - stored.assessed_at >= REFRESH_EVERY
    # A session that ended after its last assessment gets one final assessment.
    return live_session.ended_at is not None and stored.assessed_at < live_session.ended_at


async def refresh_live_sessions(database: Database) -> int:
    """Assess every live session of every tenant, and sessions that ended since their last
    assessment (at most ``ENDED_PER_REFRESH`` per run), each in its own transaction; returns how many.

    A live session without new events since its last assessment is skipped; one whose assessment
    fails is logged and skipped: the others still get theirs.
    """
    async with database.transaction(write=False) as session:
        due = await IntegrityRepository(session).dangerously_sessions_to_assess(ENDED_PER_REFRESH)
    done = 0
    for tenant_id, session_id, is_live in due:
        subject = Subject(
            display_name="integrity refresh", tenant_id=tenant_id, permissions=frozenset({Permission.READ})
        )
        try:
            async with database.transaction() as session:
                repository = IntegrityRepository(session)
                stored = await repository.get(subject, session_id)
                if (
                    is_live
                    and stored is not None
                    and stored.events_seen == await repository.event_count(subject, session_id)
                ):
                    continue  # nothing new since the last assessment
                await assess_session(session, subject, session_id)
            done += 1
        except Exception:
            logger.exception("integrity refresh of session %d failed", session_id)
    return done


async def integrity_report(
    database: Database, session: AsyncSession, subject: Subject, session_id: int
) -> IntegrityReport:
    """The session's assessment, re-assessed first when missing or (while live) older than 10 s.

    ``session`` only reads (the request's transaction of a GET); a re-assessment writes, so it runs
    in a write transaction of its own (on SQLite a read transaction cannot take the write lock).
    """
    subject.check(Permission.READ)
    live_session = await live_service.access_session(session, subject, session_id)
    stored = await IntegrityRepository(session).get(subject, session_id)
    if stored is None or _stale(stored, live_session):
        async with database.transaction() as writing:
            return await assess_session(writing, subject, session_id)
    return await _report(session, subject, live_session, stored)


async def verified_figures(
    database: Database, session: AsyncSession, subject: Subject, session_id: int
) -> VerifiedFigures:
    """Reported and verified peak/average viewers, comments, orders and GMV of one session."""
    return (await integrity_report(database, session, subject, session_id)).figures


async def session_authenticity(
    session: AsyncSession, subject: Subject, session_ids: Sequence[int]
) -> dict[int, SessionAuthenticity]:
    """Stored assessments of these sessions, with what they flagged (for host scorecards).

    Sessions of other tenants and sessions never assessed are absent. It only reads: the task
    queue assesses live sessions every 10 s and ended ones once more after they end; call
    ``assess_session`` for a session that is still missing.
    """
    subject.check(Permission.READ)
    repository = IntegrityRepository(session)
    stored = await repository.many(subject, list(session_ids))
    flags = await repository.flags_of_sessions(
        subject, [s.session_id for s in stored], (FlagKind.VIEWER, FlagKind.ORDER)
    )
    return {
        s.session_id: SessionAuthenticity(
            session_id=s.session_id,
            authenticity_index=s.authenticity_index,
            assessed_at=s.assessed_at,
            flagged_viewers=sorted(flags.get((s.session_id, FlagKind.VIEWER), ())),
            flagged_orders=sorted(flags.get((s.session_id, FlagKind.ORDER), ())),
            figures=_figures(s),
        )
        for s in stored
    }


async def flagged_keys(
    session: AsyncSession, subject: Subject, session_id: int, kind: FlagKind, limit: int = 200
) -> list[tuple[str, str]]:
    """(key, detector) of what the assessment flagged: viewer keys, comment event ids or order ids."""
    subject.check(Permission.READ)
    await live_service.access_session(session, subject, session_id)
    return [(f.key, f.detector) for f in await IntegrityRepository(session).flags(subject, session_id, kind, limit)]


async def access_settings(session: AsyncSession, subject: Subject) -> IntegritySettingsRead:
    subject.check(Permission.READ)
    return IntegritySettingsRead(alert_threshold=await _threshold(session, subject))


async def do_update_settings(
    session: AsyncSession, subject: Subject, payload: IntegritySettingsUpdate
) -> IntegritySettingsRead:
    subject.check(Permission.MANAGE_LIVE)
    await IntegrityRepository(session).put_settings(
        IntegritySettings(tenant_id=subject.require_tenant(), alert_threshold=payload.alert_threshold)
    )
    return IntegritySettingsRead(alert_threshold=payload.alert_threshold)


async def open_alerts(session: AsyncSession, subject: Subject, limit: int = 50) -> list[AlertRead]:
    subject.check(Permission.READ)
    return [
        _alert_read(alert, title) for alert, title in await IntegrityRepository(session).open_alerts(subject, limit)
    ]


async def sessions_by_risk(session: AsyncSession, subject: Subject, limit: int = 100) -> list[RiskSession]:
    subject.check(Permission.READ)
    risky: list[RiskSession] = []
    for stored, live_session in await IntegrityRepository(session).sessions_by_risk(subject, limit):
        reasons = sorted(
            ((d["detector"], r) for d in stored.detectors for r in d["reasons"]), key=lambda item: -item[1]["weight"]
        )
        risky.append(
            RiskSession(
                session_id=live_session.id,
                title=live_session.title,
                status=live_session.status,
                started_at=live_session.started_at,
                authenticity_index=stored.authenticity_index,
                top_reason=_reason_read(*reasons[0]).message if reasons else None,
                is_simulated=live_session.is_simulated,
            )
        )
    return risky


async def hosts_by_risk(session: AsyncSession, subject: Subject) -> list[RiskHost]:
    subject.check(Permission.READ)
    return [
        RiskHost(host_id=i, name=n, average_index=round(a, 1), lowest_index=m, sessions=c)
        for i, n, a, m, c in await IntegrityRepository(session).hosts_by_risk(subject)
    ]
