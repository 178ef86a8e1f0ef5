"""Console pages of settlement: statements by period, one statement's lines, approval and exports."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from livebridge.authz import Permission
from livebridge.dealers import service as dealers_service
from livebridge.exceptions import AppError
from livebridge.settlement import service
from livebridge.settlement.schemas import SettleRequest
from livebridge.web.deps import ConsoleUser, DbSession
from livebridge.web.forms import app_error_field, submit_form
from livebridge.web.templating import gettext_for, render

router = APIRouter()
SHOWN_LINES = 500


async def _list(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    subject = identity.subject
    dealers = {d.organization_id: d.name for d in await dealers_service.list_dealers(session, subject)}
    return render(
        request,
        "settlement/statements.html",
        {
            "active": "portal" if not subject.can(Permission.READ) else "aftersales",
            "statements": await service.list_statements(session, subject),
            "dealers": dealers,
            "can_manage": subject.can(Permission.MANAGE_DEALERS),
            "form": form or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/settlements", response_class=HTMLResponse)
async def statements_page(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    return await _list(request, session, identity)


@router.post("/settlements", response_class=HTMLResponse)
async def settle(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    async def save(payload: SettleRequest) -> object:
        return await service.do_settle_period(session, identity.subject, payload.period_start, payload.period_end)

    async def show_again(form: dict[str, str], errors: dict[str, str]) -> Response:
        return await _list(request, session, identity, form=form, errors=errors, status_code=422)

    return await submit_form(request, SettleRequest, save, redirect_to="/settlements", show_again=show_again)


async def _detail(
    request: Request, session: DbSession, identity: ConsoleUser, statement_id: int, errors: dict[str, str] | None = None
) -> Response:
    subject = identity.subject
    statement = await service.access_statement(session, subject, statement_id)
    lines = await service.statement_lines(session, subject, statement_id)
    names = await dealers_service.dealer_names(session, subject, [statement.dealer_id])
    return render(
        request,
        "settlement/statement.html",
        {
            "active": "portal" if not subject.can(Permission.READ) else "aftersales",
            "s": statement,
            "dealer_name": names.get(statement.dealer_id, ""),
            "lines": lines[:SHOWN_LINES],
            "hidden": max(0, len(lines) - SHOWN_LINES),
            "can_manage": subject.can(Permission.MANAGE_DEALERS),
            "errors": errors or {},
        },
        status_code=409 if errors else 200,
    )


@router.get("/settlements/{statement_id}", response_class=HTMLResponse)
async def statement_page(request: Request, statement_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    return await _detail(request, session, identity, statement_id)


@router.post("/settlements/{statement_id}/approve", response_class=HTMLResponse)
async def approve(request: Request, statement_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    try:
        await service.do_approve(session, identity.subject, statement_id)
    except AppError as exc:
        return await _detail(request, session, identity, statement_id, app_error_field(exc, gettext_for(request)))
    return RedirectResponse(f"/settlements/{statement_id}", status_code=303)
