"""Console pages of notifications: the bell in the top bar (an HTMX partial) and the list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from livebridge.kit.pagination import PageParams
from livebridge.notifications import service
from livebridge.web.deps import ConsoleUser, DbSession
from livebridge.web.templating import gettext_for, render

router = APIRouter()


@router.get("/notifications", response_class=HTMLResponse)
async def notifications_page(
    request: Request, session: DbSession, identity: ConsoleUser, page: Annotated[int, Query(ge=1)] = 1
) -> Response:
    found = await service.list_notifications(session, identity.subject, PageParams(page=page, page_size=30))
    _ = gettext_for(request)
    return render(
        request,
        "notifications/list.html",
        {
            "active": "notifications",
            "page": found,
            "messages": {n.id: service.render_message(n, _) for n in found.items},
        },
    )


@router.get("/notifications/bell", response_class=HTMLResponse)
async def bell(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    return render(
        request, "notifications/_bell.html", {"unread": await service.unread_count(session, identity.subject)}
    )


@router.post("/notifications/read-all")
async def read_all(session: DbSession, identity: ConsoleUser) -> Response:
    await service.do_mark_all_read(session, identity.subject)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/{notification_id}/read")
async def read_one(notification_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    notification = await service.do_mark_read(session, identity.subject, notification_id)
    return RedirectResponse(notification.link or "/notifications", status_code=303)
