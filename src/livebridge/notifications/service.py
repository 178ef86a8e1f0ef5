"""Console notifications: who gets told what, and reading them.

``do_notify`` adds the rows in the caller's transaction, so a notification exists exactly when
the change it announces was committed (the outbox pattern, with the console reading the outbox).
The text is rendered when shown, in the reader's language: ``MESSAGES`` holds the message per
kind; parameters named ``*_label`` are message ids translated too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Subject
from livebridge.exceptions import NotFound
from livebridge.kit.i18n import N_
from livebridge.kit.pagination import Page, PageParams
from livebridge.kit.time import utcnow
from livebridge.models import Notification
from livebridge.notifications.repository import NotificationRepository

MESSAGES: dict[str, str] = {
    "proposal_created": N_("New improvement proposal for %(product)s: %(title)s"),
    "proposal_status": N_("Proposal “%(title)s” (%(product)s) is now: %(status_label)s"),
}


def render_message(notification: Notification, gettext: Callable[[str], str]) -> str:
    params: dict[str, Any] = {
        key: gettext(value) if key.endswith("_label") and isinstance(value, str) else value
        for key, value in notification.params.items()
    }
    return gettext(MESSAGES[notification.kind]) % params


async def do_notify(
    session: AsyncSession,
    subject: Subject,
    user_ids: Iterable[int],
    kind: str,
    params: dict[str, Any],
    *,
    link: str | None = None,
    is_simulated: bool = False,
) -> int:
    """Notify each user once; returns how many notifications were written."""
    if kind not in MESSAGES:
        raise ValueError(f"unknown notification kind {kind!r}")
    tenant_id = subject.require_tenant()
    rows = [
        Notification(
            tenant_id=tenant_id, user_id=user_id, kind=kind, params=params, link=link, is_simulated=is_simulated
        )
        for user_id in sorted(set(user_ids))
    ]
    await NotificationRepository(session).add_many(rows)
    return len(rows)


async def list_notifications(session: AsyncSession, subject: Subject, params: PageParams) -> Page[Notification]:
    subject.require_tenant()
    items, total = await NotificationRepository(session).page(subject, params)
    return Page.build(items, total, params)


async def unread_count(session: AsyncSession, subject: Subject) -> int:
    if subject.user_id is None or subject.tenant_id is None:
        return 0
    return await NotificationRepository(session).unread_count(subject)


async def do_mark_read(session: AsyncSession, subject: Subject, notification_id: int) -> Notification:
    notification = await NotificationRepository(session).get(subject, notification_id)
    if notification is None:
        raise NotFound("no such notification", code="notification_not_found")
    if notification.read_at is None:
        notification.read_at = utcnow()
        await session.flush()
    return notification


async def do_mark_all_read(session: AsyncSession, subject: Subject) -> None:
    subject.require_tenant()
    await NotificationRepository(session).mark_all_read(subject, utcnow())
