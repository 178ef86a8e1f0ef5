"""All SQL of console notifications. A user reads only their own, in the current tenant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select, update

from livebridge.authz import Subject, scoped
from livebridge.kit.pagination import PageParams
from livebridge.kit.repository import Repository
from livebridge.models import Notification


class NotificationRepository(Repository[Notification]):
    def readable(self, subject: Subject) -> Select[Notification]:
        return scoped(select(Notification), Notification, subject).where(Notification.user_id == subject.user_id)

    async def page(self, subject: Subject, params: PageParams) -> tuple[list[Notification], int]:
        return await self.paginate(self.readable(subject).order_by(Notification.id.desc()), params)

    async def unread_count(self, subject: Subject) -> int:
        statement = scoped(select(func.count(Notification.id)), Notification, subject).where(
            Notification.user_id == subject.user_id, Notification.read_at.is_(None)
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def get(self, subject: Subject, notification_id: int) -> Notification | None:
        return await self.first(self.readable(subject).where(Notification.id == notification_id))

    async def add_many(self, notifications: Sequence[Notification]) -> None:
        self.session.add_all(notifications)
        await self.session.flush()

    async def mark_all_read(self, subject: Subject, at: datetime) -> None:
        await self.session.execute(
            update(Notification)
            .where(
                Notification.tenant_id == subject.require_tenant(),
                Notification.user_id == subject.user_id,
                Notification.read_at.is_(None),
            )
            .values(read_at=at)
        )
