"""All SQL of integrity: reading a session's events as columns, storing assessments, flags and alerts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from livebridge.authz import Subject, scoped
from livebridge.kit.repository import Repository
from livebridge.models import (
    FlagKind,
    Host,
    IntegrityAlert,
    IntegrityAssessment,
    IntegrityFlag,
    IntegritySettings,
    LiveEventRow,
    LiveSession,
    SessionHost,
    SessionStatus,
)

EVENT_FIELDS = (
    LiveEventRow.type,
    LiveEventRow.occurred_at,
    LiveEventRow.viewer_key,
    LiveEventRow.text,
    LiveEventRow.sku_code,
    LiveEventRow.order_id,
    LiveEventRow.amount_fen,
    LiveEventRow.count,
    LiveEventRow.id,
)


class IntegrityRepository(Repository[IntegrityAssessment]):
    def readable(self, subject: Subject) -> Select[IntegrityAssessment]:
        return scoped(select(IntegrityAssessment), IntegrityAssessment, subject)

    async def event_rows(self, subject: Subject, session_id: int, after_id: int = 0) -> Sequence[Row[Any]]:
        """(type, time, viewer, text, sku, order id, amount, count, id) of the events with an id above
        ``after_id`` (all of them by default), in time order.

        The scoped statement is compiled once and run at the driver level: a million rows come back
        in a third of the time the typed ORM path takes. Times are then the driver's own values
        (SQLite: naive UTC text; PostgreSQL: aware datetimes), which ``columns`` reads.
        """
        statement = (
            scoped(select(*EVENT_FIELDS), LiveEventRow, subject)
            .where(LiveEventRow.session_id == session_id, LiveEventRow.id > after_id)
            .order_by(LiveEventRow.occurred_at, LiveEventRow.id)
        )
        connection = await self.session.connection()
        compiled = statement.compile(dialect=connection.dialect)
        values = compiled.construct_params()
        positions = compiled.positiontup or []
        parameters = tuple(values[name] for name in positions) if positions else values
        return (await connection.exec_driver_sql(str(compiled), parameters)).all()

    async def event_tally(self, subject: Subject, session_id: int, up_to_id: int) -> tuple[int, int]:
        """(how many, highest id) of the session's events with an id up to ``up_to_id``."""
        statement = scoped(
            select(func.count(LiveEventRow.id), func.coalesce(func.max(LiveEventRow.id), 0)), LiveEventRow, subject
        ).where(LiveEventRow.session_id == session_id, LiveEventRow.id <= up_to_id)
        count, highest = (await self.session.execute(statement)).one()
        return int(count), int(highest)

    async def event_count(self, subject: Subject, session_id: int) -> int:
        statement = scoped(select(func.count(LiveEventRow.id)), LiveEventRow, subject).where(
            LiveEventRow.session_id == session_id
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def earlier_presence(
        self, subject: Subject, session_id: int, before: datetime, limit: int
    ) -> list[tuple[int, datetime, str, datetime]]:
        """(session, its start, viewer, first enter) for the tenant's ``limit`` sessions started before."""
        earlier = (
            scoped(select(LiveSession.id), LiveSession, subject)
            .where(LiveSession.id != session_id, LiveSession.started_at.is_not(None), LiveSession.started_at < before)
            .order_by(LiveSession.started_at.desc())
            .limit(limit)
        )
        ids = list((await self.session.execute(earlier)).scalars())
        if not ids:
            return []
        found_starts = await self.session.execute(
            select(LiveSession.id, LiveSession.started_at).where(LiveSession.id.in_(ids))
        )
        starts = {int(session_key): started for session_key, started in found_starts.all()}
        statement = (
            scoped(
                select(LiveEventRow.session_id, LiveEventRow.viewer_key, func.min(LiveEventRow.occurred_at)),
                LiveEventRow,
                subject,
            )
            .where(LiveEventRow.session_id.in_(ids), LiveEventRow.type == "enter", LiveEventRow.viewer_key.is_not(None))
            .group_by(LiveEventRow.session_id, LiveEventRow.viewer_key)
        )
        rows = (await self.session.execute(statement)).all()
        found: list[tuple[int, datetime, str, datetime]] = []
        for session_key, viewer, entered in rows:
            started = starts.get(int(session_key))
            if started is not None:
                found.append((int(session_key), started, str(viewer), entered))
        return found

    async def dangerously_sessions_to_assess(self, ended_limit: int) -> list[tuple[int, int, bool]]:
        """(tenant, session, is live) across tenants: every live session, and up to ``ended_limit``
        ended sessions not assessed since they ended (the refresh task's work list)."""
        base = select(LiveSession.tenant_id, LiveSession.id, LiveSession.status).outerjoin(
            IntegrityAssessment, IntegrityAssessment.session_id == LiveSession.id
        )
        live = base.where(LiveSession.status == SessionStatus.LIVE)
        ended = (
            base.where(
                LiveSession.status == SessionStatus.ENDED,
                IntegrityAssessment.id.is_(None) | (IntegrityAssessment.assessed_at < LiveSession.ended_at),
            )
            .order_by(LiveSession.ended_at.desc())
            .limit(ended_limit)
        )
        rows = [*(await self.session.execute(live)).all(), *(await self.session.execute(ended)).all()]
        return [(int(tenant), int(session_id), status == SessionStatus.LIVE) for tenant, session_id, status in rows]

    async def get(self, subject: Subject, session_id: int) -> IntegrityAssessment | None:
        return await self.first(self.readable(subject).where(IntegrityAssessment.session_id == session_id))

    async def claim(self, subject: Subject, tenant_id: int, session_id: int, is_simulated: bool) -> IntegrityAssessment:
        """The session's assessment row, created empty if missing and locked until the transaction
        ends: a web request and a worker process assessing the same session at once then take turns
        (PostgreSQL) instead of both inserting it; SQLite's write lock already serialises them."""
        engine = (await self.session.connection()).dialect.name
        dialect_insert = postgresql_insert if engine == "postgresql" else sqlite_insert
        await self.session.execute(
            dialect_insert(IntegrityAssessment)
            .values(
                tenant_id=tenant_id,
                session_id=session_id,
                is_simulated=is_simulated,
                events_seen=0,
                families=[],
                detectors=[],
                figures={},
            )
            .on_conflict_do_nothing(index_elements=["session_id"])
        )
        statement = self.readable(subject).where(IntegrityAssessment.session_id == session_id).with_for_update()
        claimed = await self.first(statement.execution_options(populate_existing=True))
        assert claimed is not None
        return claimed

    async def many(self, subject: Subject, session_ids: list[int]) -> list[IntegrityAssessment]:
        return await self.all(self.readable(subject).where(IntegrityAssessment.session_id.in_(session_ids)))

    async def save(self, assessment: IntegrityAssessment, flags: list[dict[str, Any]]) -> IntegrityAssessment:
        """Replace the session's assessment and flags with these."""
        await self.session.execute(
            delete(IntegrityFlag).where(
                IntegrityFlag.tenant_id == assessment.tenant_id, IntegrityFlag.session_id == assessment.session_id
            )
        )
        self.session.add(assessment)
        await self.session.flush()
        if flags:
            await self.session.execute(insert(IntegrityFlag), flags)
        return assessment

    async def flags(self, subject: Subject, session_id: int, kind: FlagKind, limit: int) -> list[IntegrityFlag]:
        statement = (
            scoped(select(IntegrityFlag), IntegrityFlag, subject)
            .where(IntegrityFlag.session_id == session_id, IntegrityFlag.kind == kind)
            .order_by(IntegrityFlag.id)
            .limit(limit)
        )
        return list((await self.session.execute(statement)).scalars())

    async def flags_of_sessions(
        self, subject: Subject, session_ids: list[int], kinds: tuple[FlagKind, ...]
    ) -> dict[tuple[int, FlagKind], list[str]]:
        """Every flagged key of these sessions, by (session, kind)."""
        statement = scoped(
            select(IntegrityFlag.session_id, IntegrityFlag.kind, IntegrityFlag.key), IntegrityFlag, subject
        ).where(IntegrityFlag.session_id.in_(session_ids), IntegrityFlag.kind.in_(kinds))
        found: dict[tuple[int, FlagKind], list[str]] = {}
        for session_id, kind, key in (await self.session.execute(statement)).all():
            found.setdefault((int(session_id), FlagKind(kind)), []).append(str(key))
        return found

    async def settings(self, subject: Subject) -> IntegritySettings | None:
        statement = scoped(select(IntegritySettings), IntegritySettings, subject)
        return (await self.session.execute(statement)).scalars().first()

    async def put_settings(self, settings: IntegritySettings) -> IntegritySettings:
        merged = await self.session.merge(settings)
        await self.session.flush()
        return merged

    async def open_alert(self, subject: Subject, session_id: int) -> IntegrityAlert | None:
        statement = (
            scoped(select(IntegrityAlert), IntegrityAlert, subject)
            .where(IntegrityAlert.session_id == session_id, IntegrityAlert.resolved_at.is_(None))
            .order_by(IntegrityAlert.id.desc())
        )
        return (await self.session.execute(statement)).scalars().first()

    async def add_alert(self, alert: IntegrityAlert) -> IntegrityAlert:
        self.session.add(alert)
        await self.session.flush()
        return alert

    async def open_alerts(self, subject: Subject, limit: int) -> list[tuple[IntegrityAlert, str]]:
        statement = (
            scoped(select(IntegrityAlert, LiveSession.title), IntegrityAlert, subject)
            .join(LiveSession, LiveSession.id == IntegrityAlert.session_id)
            .where(IntegrityAlert.resolved_at.is_(None))
            .order_by(IntegrityAlert.raised_at.desc())
            .limit(limit)
        )
        return [(alert, str(title)) for alert, title in (await self.session.execute(statement)).all()]

    async def sessions_by_risk(self, subject: Subject, limit: int) -> list[tuple[IntegrityAssessment, LiveSession]]:
        """Assessed sessions, least authentic first; sessions without an index last."""
        statement = (
            scoped(select(IntegrityAssessment, LiveSession), IntegrityAssessment, subject)
            .join(LiveSession, LiveSession.id == IntegrityAssessment.session_id)
            .order_by(
                IntegrityAssessment.authenticity_index.is_(None),
                IntegrityAssessment.authenticity_index,
                LiveSession.id.desc(),
            )
            .limit(limit)
        )
        return [
            (assessment, live_session) for assessment, live_session in (await self.session.execute(statement)).all()
        ]

    async def hosts_by_risk(self, subject: Subject) -> list[tuple[int, str, float, int, int]]:
        """(host id, name, average index, lowest index, sessions assessed) over the host's sessions."""
        index = IntegrityAssessment.authenticity_index
        statement = (
            scoped(
                select(Host.id, Host.name, func.avg(index), func.min(index), func.count(IntegrityAssessment.id)),
                IntegrityAssessment,
                subject,
            )
            .join(SessionHost, SessionHost.session_id == IntegrityAssessment.session_id)
            .join(Host, Host.id == SessionHost.host_id)
            .where(index.is_not(None))
            .group_by(Host.id, Host.name)
            .order_by(func.avg(index), Host.name)
        )
        rows = (await self.session.execute(statement)).all()
        return [(int(i), str(n), float(a), int(m), int(c)) for i, n, a, m, c in rows]
