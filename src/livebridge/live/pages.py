"""Console pages of the live domain: hosts, session list, create, and session detail."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from livebridge.authz import Permission
from livebridge.catalog import service as catalog_service
from livebridge.exceptions import AppError
from livebridge.kit.pagination import PageParams
from livebridge.live import service
from livebridge.live.schemas import HostCreate, SegmentCreate, SessionCreate, ShelfItemCreate
from livebridge.models import LiveSession, Platform, ProductStatus, SessionStatus
from livebridge.web.deps import AppSettings, ConsoleUser, DbSession
from livebridge.web.forms import app_error_field, localize_datetimes, submit_form
from livebridge.web.templating import gettext_for, render

router = APIRouter()
ALL = PageParams(page=1, page_size=200)


# Hosts -----------------------------------------------------------------------------------------


async def _hosts(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    hosts = await service.list_hosts(session, identity.subject, ALL)
    return render(
        request,
        "live/hosts.html",
        {
            "active": "hosts",
            "hosts": hosts.items,
            "platforms": list(Platform),
            "form": form or {},
            "errors": errors or {},
            "can_manage": identity.subject.can(Permission.MANAGE_LIVE),
        },
        status_code=status_code,
    )


@router.get("/hosts", response_class=HTMLResponse)
async def hosts_page(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    return await _hosts(request, session, identity)


@router.post("/hosts", response_class=HTMLResponse)
async def create_host(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    def prepare(form: dict[str, str]) -> dict[str, object]:
        tags = form.get("categories", "").replace("，", ",").split(",")
        return {**form, "categories": [tag.strip() for tag in tags if tag.strip()]}

    async def save(payload: HostCreate) -> object:
        return await service.do_create_host(session, identity.subject, payload)

    async def show_again(form: dict[str, str], errors: dict[str, str]) -> Response:
        return await _hosts(request, session, identity, form=form, errors=errors, status_code=422)

    return await submit_form(request, HostCreate, save, redirect_to="/hosts", show_again=show_again, prepare=prepare)


# Sessions --------------------------------------------------------------------------------------


@router.get("/sessions", response_class=HTMLResponse)
async def sessions_page(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    status: Annotated[SessionStatus | None, Query()] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    params = PageParams(page=page, page_size=20)
    sessions = await service.list_sessions(session, identity.subject, params, status=status)
    return render(
        request,
        "live/sessions.html",
        {
            "active": "sessions",
            "page": sessions,
            "status": status or "",
            "can_manage": identity.subject.can(Permission.MANAGE_LIVE),
        },
    )


async def _new_session(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    identity.subject.check(Permission.MANAGE_LIVE)
    hosts = await service.list_hosts(session, identity.subject, ALL)
    return render(
        request,
        "live/session_form.html",
        {
            "active": "sessions",
            "hosts": hosts.items,
            "platforms": list(Platform),
            "form": form or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/sessions/new", response_class=HTMLResponse)
async def new_session_page(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    return await _new_session(request, session, identity)


@router.post("/sessions/new", response_class=HTMLResponse)
async def create_session(
    request: Request, session: DbSession, identity: ConsoleUser, settings: AppSettings
) -> Response:
    raw = await request.form()
    host_ids = [value for value in raw.getlist("host_ids") if isinstance(value, str) and value]

    def prepare(form: dict[str, str]) -> dict[str, object]:
        return {**localize_datetimes(form, ("scheduled_start_at",), settings.display_timezone), "host_ids": host_ids}

    async def save(payload: SessionCreate) -> LiveSession:
        return await service.do_create_session(session, identity.subject, payload)

    async def show_again(form: dict[str, str], errors: dict[str, str]) -> Response:
        return await _new_session(request, session, identity, form=form, errors=errors, status_code=422)

    return await submit_form(
        request,
        SessionCreate,
        save,
        redirect_to=lambda created: f"/sessions/{created.id}",
        show_again=show_again,
        prepare=prepare,
    )


async def _session_detail(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    session_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    live_session = await service.access_session(session, identity.subject, session_id)
    products = await catalog_service.list_products(session, identity.subject, ALL, status=ProductStatus.ACTIVE)
    on_shelf = {item.product_id for item in live_session.shelf}
    return render(
        request,
        "live/session_detail.html",
        {
            "active": "sessions",
            "s": live_session,
            "form": form or {},
            "errors": errors or {},
            "addable_products": [p for p in products.items if p.id not in on_shelf],
            "can_manage": identity.subject.can(Permission.MANAGE_LIVE),
        },
        status_code=status_code,
    )


def _detail_again(
    request: Request, session: DbSession, identity: ConsoleUser, session_id: int
) -> Callable[[dict[str, str], dict[str, str]], Awaitable[Response]]:
    async def show_again(form: dict[str, str], errors: dict[str, str]) -> Response:
        return await _session_detail(request, session, identity, session_id, form=form, errors=errors, status_code=422)

    return show_again


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
async def session_page(request: Request, session_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    return await _session_detail(request, session, identity, session_id)


@router.post("/sessions/{session_id}/shelf", response_class=HTMLResponse)
async def add_to_shelf(request: Request, session_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    async def save(payload: ShelfItemCreate) -> object:
        return await service.do_add_to_shelf(session, identity.subject, session_id, payload)

    return await submit_form(
        request,
        ShelfItemCreate,
        save,
        redirect_to=f"/sessions/{session_id}",
        show_again=_detail_again(request, session, identity, session_id),
    )


@router.post("/sessions/{session_id}/shelf/{item_id}/remove")
async def remove_from_shelf(session_id: int, item_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    await service.do_remove_from_shelf(session, identity.subject, session_id, item_id)
    return RedirectResponse(f"/sessions/{session_id}", status_code=303)


@router.post("/sessions/{session_id}/segments", response_class=HTMLResponse)
async def add_segment(
    request: Request, session_id: int, session: DbSession, identity: ConsoleUser, settings: AppSettings
) -> Response:
    def prepare(form: dict[str, str]) -> dict[str, str]:
        return localize_datetimes(form, ("started_at", "ended_at"), settings.display_timezone)

    async def save(payload: SegmentCreate) -> object:
        return await service.do_add_segment(session, identity.subject, session_id, payload)

    return await submit_form(
        request,
        SegmentCreate,
        save,
        redirect_to=f"/sessions/{session_id}",
        show_again=_detail_again(request, session, identity, session_id),
        prepare=prepare,
    )


@router.post("/sessions/{session_id}/segments/{segment_id}/remove")
async def remove_segment(session_id: int, segment_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    await service.do_remove_segment(session, identity.subject, session_id, segment_id)
    return RedirectResponse(f"/sessions/{session_id}", status_code=303)


@router.post("/sessions/{session_id}/{action}", response_class=HTMLResponse)
async def transition(
    request: Request, session_id: int, action: str, session: DbSession, identity: ConsoleUser
) -> Response:
    targets = {"start": SessionStatus.LIVE, "end": SessionStatus.ENDED}
    if action not in targets:
        return await _session_detail(request, session, identity, session_id, status_code=404)
    try:
        await service.do_transition_session(session, identity.subject, session_id, targets[action])
    except AppError as exc:
        return await _session_detail(
            request,
            session,
            identity,
            session_id,
            errors=app_error_field(exc, gettext_for(request)),
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/sessions/{session_id}", status_code=303)
