"""All SQL of the live domain: hosts, sessions, shelf items and explanation segments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from livebridge.authz import Subject, scoped
from livebridge.kit.pagination import PageParams
from livebridge.kit.repository import Repository
from livebridge.models import (
    ExplanationSegment,
    Host,
    HostRole,
    LiveSession,
    Platform,
    SessionHost,
    SessionStatus,
    ShelfItem,
)


class HostRepository(Repository[Host]):
    def readable(self, subject: Subject) -> Select[Host]:
        return scoped(select(Host), Host, subject)

    async def page(self, subject: Subject, params: PageParams, *, query: str | None = None) -> tuple[list[Host], int]:
        statement = self.readable(subject).order_by(Host.id)
        if query:
            statement = statement.where(Host.name.ilike(f"%{query}%"))
        return await self.paginate(statement, params)

    async def get(self, subject: Subject, host_id: int) -> Host | None:
        return await self.first(self.readable(subject).where(Host.id == host_id))

    async def get_many(self, subject: Subject, host_ids: list[int]) -> list[Host]:
        return await self.all(self.readable(subject).where(Host.id.in_(host_ids)))

    async def get_by_name(self, subject: Subject, name: str) -> Host | None:
        return await self.first(self.readable(subject).where(Host.name == name))

    async def add(self, host: Host) -> Host:
        self.session.add(host)
        await self.session.flush()
        return host


class LiveSessionRepository(Repository[LiveSession]):
    def readable(self, subject: Subject) -> Select[LiveSession]:
        return scoped(select(LiveSession), LiveSession, subject).options(
            selectinload(LiveSession.hosts).selectinload(SessionHost.host),
            selectinload(LiveSession.shelf).selectinload(ShelfItem.product),
            selectinload(LiveSession.segments).selectinload(ExplanationSegment.product),
        )

    async def page(
        self,
        subject: Subject,
        params: PageParams,
        *,
        status: SessionStatus | None = None,
        platform: Platform | None = None,
        host_id: int | None = None,
    ) -> tuple[list[LiveSession], int]:
        statement = self.readable(subject).order_by(LiveSession.scheduled_start_at.desc(), LiveSession.id.desc())
        if status is not None:
            statement = statement.where(LiveSession.status == status)
        if platform is not None:
            statement = statement.where(LiveSession.platform == platform)
        if host_id is not None:
            hosted = scoped(select(SessionHost.session_id), SessionHost, subject).where(SessionHost.host_id == host_id)
            statement = statement.where(LiveSession.id.in_(hosted))
        return await self.paginate(statement, params)

    async def get(self, subject: Subject, session_id: int, *, refresh: bool = False) -> LiveSession | None:
        statement = self.readable(subject).where(LiveSession.id == session_id)
        if refresh:
            statement = statement.execution_options(populate_existing=True)
        return await self.first(statement)

    async def exists(self, subject: Subject, session_id: int) -> bool:
        """Whether the subject's tenant has this session (the ingest hot path: one indexed lookup, no row)."""
        statement = scoped(select(LiveSession.id), LiveSession, subject).where(LiveSession.id == session_id)
        return (await self.session.execute(statement)).first() is not None

    async def get_by_platform_room(self, subject: Subject, platform: Platform, room_id: str) -> LiveSession | None:
        statement = (
            scoped(select(LiveSession), LiveSession, subject)
            .where(LiveSession.platform == platform, LiveSession.platform_room_id == room_id)
            .order_by(LiveSession.id)
        )
        return await self.first(statement)

    async def count_by_status(self, subject: Subject) -> dict[SessionStatus, int]:
        statement = scoped(select(LiveSession.status, func.count(LiveSession.id)), LiveSession, subject).group_by(
            LiveSession.status
        )
        rows = (await self.session.execute(statement)).all()
        return {SessionStatus(status): int(count) for status, count in rows}

    async def count_by_platform(self, subject: Subject) -> dict[Platform, int]:
        statement = scoped(select(LiveSession.platform, func.count(LiveSession.id)), LiveSession, subject).group_by(
            LiveSession.platform
        )
        rows = (await self.session.execute(statement)).all()
        return {Platform(platform): int(count) for platform, count in rows}

    async def previous_ended_ids(
        self, subject: Subject, before: datetime, *, host_ids: list[int] | None, organization_id: int | None, limit: int
    ) -> list[int]:
        """The latest sessions that ended before ``before``: of these hosts, or else of this organization."""
        statement = (
            scoped(select(LiveSession.id), LiveSession, subject)
            .where(LiveSession.status == SessionStatus.ENDED, LiveSession.ended_at <= before)
            .order_by(LiveSession.started_at.desc(), LiveSession.id.desc())
            .limit(limit)
        )
        if host_ids is not None:
            hosted = scoped(select(SessionHost.session_id), SessionHost, subject).where(
                SessionHost.host_id.in_(host_ids), SessionHost.role == HostRole.MAIN
            )
            statement = statement.where(LiveSession.id.in_(hosted))
        elif organization_id is not None:
            statement = statement.where(LiveSession.organization_id == organization_id)
        return [int(i) for i in (await self.session.execute(statement)).scalars()]

    async def add(self, live_session: LiveSession) -> LiveSession:
        self.session.add(live_session)
        await self.session.flush()
        return live_session

    async def delete_child(self, child: ShelfItem | ExplanationSegment) -> None:
        await self.session.delete(child)
        await self.session.flush()
