"""All SQL of host scorecards: the hosted sessions of a period and aggregates of their events."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Subject, scoped
from livebridge.models import (
    CommentInsight,
    Host,
    HostRole,
    LiveEventRow,
    LiveSession,
    Organization,
    ScorecardWeights,
    SessionHost,
    SessionSecond,
)


class ScorecardRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _dialect(self) -> str:
        return self.session.bind.dialect.name if self.session.bind else "sqlite"

    async def hosted_sessions(
        self, subject: Subject, start: datetime, end: datetime, host_ids: Collection[int] | None = None
    ) -> list[tuple[Any, ...]]:
        """(session, host, is main host, organization, start, end) of the sessions started in [start, end)."""
        statement = (
            scoped(
                select(
                    LiveSession.id,
                    SessionHost.host_id,
                    Host.name,
                    Host.is_simulated,
                    SessionHost.role == HostRole.MAIN,
                    LiveSession.organization_id,
                    Organization.name,
                    LiveSession.started_at,
                    LiveSession.ended_at,
                ),
                LiveSession,
                subject,
            )
            .join(SessionHost, and_(SessionHost.session_id == LiveSession.id))
            .join(Host, Host.id == SessionHost.host_id)
            .outerjoin(Organization, Organization.id == LiveSession.organization_id)
            .where(
                SessionHost.tenant_id == LiveSession.tenant_id,
                LiveSession.started_at.is_not(None),
                LiveSession.started_at >= start,
                LiveSession.started_at < end,
            )
            .order_by(LiveSession.started_at, LiveSession.id, SessionHost.host_id)
        )
        if host_ids is not None:
            statement = statement.where(SessionHost.host_id.in_(list(host_ids)))
        return [tuple(row) for row in (await self.session.execute(statement)).all()]

    def _minute(self) -> ColumnElement[Any]:
        """Whole minutes since the epoch of a rollup second (the one engine-specific expression here)."""
        if self._dialect == "postgresql":
            return func.floor(func.extract("epoch", SessionSecond.second) / 60).cast(Integer)
        # SQLite divides two integers as integers; SQLAlchemy's "/" would make it a true division.
        return func.cast(func.strftime("%s", SessionSecond.second), Integer).op("/")(60)

    async def session_totals(self, subject: Subject, session_ids: Collection[int]) -> dict[int, tuple[int, int, int]]:
        """Per session: (enters, comments, online samples) from the rollup seconds."""
        statement = (
            scoped(
                select(
                    SessionSecond.session_id,
                    func.sum(SessionSecond.enters),
                    func.sum(SessionSecond.comments),
                    func.count(SessionSecond.online_max),
                ),
                SessionSecond,
                subject,
            )
            .where(SessionSecond.session_id.in_(list(session_ids)))
            .group_by(SessionSecond.session_id)
        )
        rows = (await self.session.execute(statement)).all()
        return {int(s): (int(e or 0), int(c or 0), int(n or 0)) for s, e, c, n in rows}

    async def online_minutes(self, subject: Subject, session_ids: Collection[int]) -> list[tuple[Any, ...]]:
        """(session, minute, largest online sample, largest enters − leaves so far) per minute with a rollup row.

        The running count is a window sum over the session's seconds, as the live dashboard keeps it.
        """
        present = func.sum(SessionSecond.enters - SessionSecond.leaves).over(
            partition_by=SessionSecond.session_id, order_by=SessionSecond.second, rows=(None, 0)
        )
        running = (
            scoped(
                select(
                    SessionSecond.session_id.label("session_id"),
                    self._minute().label("minute"),
                    SessionSecond.online_max.label("online"),
                    present.label("present"),
                ),
                SessionSecond,
                subject,
            )
            .where(SessionSecond.session_id.in_(list(session_ids)))
            .subquery()
        )
        statement = (
            select(running.c.session_id, running.c.minute, func.max(running.c.online), func.max(running.c.present))
            .group_by(running.c.session_id, running.c.minute)
            .order_by(running.c.session_id, running.c.minute)
        )
        return [tuple(row) for row in (await self.session.execute(statement)).all()]

    def _orders(self, kind: str) -> list[ColumnElement[bool]]:
        """Conditions on order events that let the engine use the partial index ``ix_live_events_orders``."""
        return [LiveEventRow.type == kind, LiveEventRow.order_id.is_not(None)]

    def _paid(self, subject: Subject, session_ids: Collection[int]) -> Any:
        return scoped(select(LiveEventRow.order_id), LiveEventRow, subject).where(
            *self._orders("order_paid"), LiveEventRow.session_id.in_(list(session_ids))
        )

    async def paid_orders(self, subject: Subject, session_ids: Collection[int]) -> list[tuple[Any, ...]]:
        """(session, order id, buyer, amount, paid at) of every paid order in the sessions."""
        statement = (
            scoped(
                select(
                    LiveEventRow.session_id,
                    LiveEventRow.order_id,
                    LiveEventRow.viewer_key,
                    LiveEventRow.amount_fen,
                    LiveEventRow.occurred_at,
                ),
                LiveEventRow,
                subject,
            )
            .where(*self._orders("order_paid"), LiveEventRow.session_id.in_(list(session_ids)))
            .order_by(LiveEventRow.occurred_at, LiveEventRow.id)
        )
        return [tuple(row) for row in (await self.session.execute(statement)).all()]

    async def refunded_by_order(self, subject: Subject, session_ids: Collection[int]) -> dict[str, int]:
        """Refunded fen per order paid in the sessions, wherever and whenever the refund arrived."""
        statement = (
            scoped(select(LiveEventRow.order_id, func.sum(LiveEventRow.amount_fen)), LiveEventRow, subject)
            .where(*self._orders("order_refunded"), LiveEventRow.order_id.in_(self._paid(subject, session_ids)))
            .group_by(LiveEventRow.order_id)
        )
        return {str(order): int(total or 0) for order, total in (await self.session.execute(statement)).all()}

    async def distinct_viewers(
        self, subject: Subject, session_ids: Collection[int], *, by_organization: bool
    ) -> dict[tuple[int, int | None], int]:
        """Distinct viewers who entered, per host (and per organization of the session)."""
        organization = LiveSession.organization_id if by_organization else None
        columns: list[Any] = [SessionHost.host_id]
        if organization is not None:
            columns.append(organization)
        statement = (
            scoped(select(*columns, func.count(func.distinct(LiveEventRow.viewer_key))), LiveEventRow, subject)
            .join(SessionHost, SessionHost.session_id == LiveEventRow.session_id)
            .join(LiveSession, LiveSession.id == LiveEventRow.session_id)
            .where(LiveEventRow.type == "enter", LiveEventRow.session_id.in_(list(session_ids)))
            .group_by(*columns)
        )
        counts: dict[tuple[int, int | None], int] = {}
        for row in (await self.session.execute(statement)).all():
            key = (int(row[0]), row[1] if by_organization else None)
            counts[key] = int(row[-1])
        return counts

    async def purchases_of_buyers(
        self, subject: Subject, session_ids: Collection[int], after: datetime, until: datetime
    ) -> list[tuple[Any, ...]]:
        """(buyer, session, paid at) of every paid order in the tenant, in (after, until], by anyone
        who bought in the sessions: the material of the repurchase windows."""
        buyers = (
            scoped(select(LiveEventRow.viewer_key), LiveEventRow, subject)
            .where(
                *self._orders("order_paid"),
                LiveEventRow.session_id.in_(list(session_ids)),
                LiveEventRow.viewer_key.is_not(None),
            )
            .distinct()
        )
        statement = scoped(
            select(LiveEventRow.viewer_key, LiveEventRow.session_id, LiveEventRow.occurred_at), LiveEventRow, subject
        ).where(
            *self._orders("order_paid"),
            LiveEventRow.viewer_key.in_(buyers),
            LiveEventRow.occurred_at > after,
            LiveEventRow.occurred_at <= until,
        )
        return [tuple(row) for row in (await self.session.execute(statement)).all()]

    async def comment_understanding(self, subject: Subject, session_ids: Collection[int]) -> dict[int, tuple[int, int]]:
        """Per session: (comments understood by the comment models, of which complaints)."""
        statement = (
            scoped(
                select(
                    CommentInsight.session_id,
                    func.count(),
                    func.sum(case((CommentInsight.intent == "complaint", 1), else_=0)),
                ),
                CommentInsight,
                subject,
            )
            .where(CommentInsight.session_id.in_(list(session_ids)))
            .group_by(CommentInsight.session_id)
        )
        return {int(s): (int(n), int(c or 0)) for s, n, c in (await self.session.execute(statement)).all()}

    async def weights(self, subject: Subject) -> ScorecardWeights | None:
        statement = scoped(select(ScorecardWeights), ScorecardWeights, subject)
        return (await self.session.execute(statement)).scalars().first()

    async def save_weights(self, subject: Subject, weights: dict[str, int], user_id: int | None, now: datetime) -> None:
        row = await self.weights(subject)
        if row is None:
            row = ScorecardWeights(tenant_id=subject.require_tenant(), weights=weights, updated_at=now)
            self.session.add(row)
        row.weights = weights
        row.updated_at = now
        row.updated_by_user_id = user_id
        await self.session.flush()
