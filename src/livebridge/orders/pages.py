"""Console pages of the orders domain: the order list with the needs-routing queue, imports, address fixes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from livebridge.authz import Permission
from livebridge.demand import proposals
from livebridge.exceptions import AppError
from livebridge.kit.pagination import PageParams
from livebridge.models import RoutingState
from livebridge.orders import painpoints, service
from livebridge.orders.schemas import AddressFix, PainPointHandoff
from livebridge.orders.upload import read_upload
from livebridge.web.deps import AppSettings, ConsoleUser, DbSession
from livebridge.web.forms import app_error_field, parse_form, read_form
from livebridge.web.templating import gettext_for, render

router = APIRouter()


async def _orders_page(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    *,
    routing_state: RoutingState | None = None,
    flagged: bool = False,
    page: int = 1,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    subject = identity.subject
    params = PageParams(page=page, page_size=30)
    orders = await service.list_orders(session, subject, params, routing_state=routing_state, flagged=flagged or None)
    queue = await service.list_orders(
        session, subject, PageParams(page=1, page_size=1), routing_state=RoutingState.NEEDS_ROUTING
    )
    return render(
        request,
        "orders/orders.html",
        {
            "active": "aftersales",
            "page": orders,
            "routing_state": routing_state or "",
            "flagged": flagged,
            "needs_routing": queue.pagination.total_count,
            "runs": await service.recent_import_runs(session, subject) if subject.can(Permission.READ) else [],
            "can_manage": subject.can(Permission.MANAGE_ORDERS),
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/orders", response_class=HTMLResponse)
async def orders_page(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    routing_state: Annotated[RoutingState | None, Query()] = None,
    flagged: Annotated[bool, Query()] = False,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    return await _orders_page(request, session, identity, routing_state=routing_state, flagged=flagged, page=page)


@router.post("/orders/import", response_class=HTMLResponse)
async def import_orders(
    request: Request, session: DbSession, identity: ConsoleUser, file: Annotated[UploadFile, File()]
) -> Response:
    subject = identity.subject
    try:
        report = await service.do_import_orders(session, subject, await read_upload(file))
    except AppError as exc:
        return render(request, "error.html", {"error": exc}, status_code=exc.status_code)
    await service.do_record_import_run(session, subject, file.filename or "upload", report)
    return render(request, "orders/import_report.html", {"active": "aftersales", "report": report})


@router.post("/orders/{order_id}/address", response_class=HTMLResponse)
async def fix_address(request: Request, order_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    _ = gettext_for(request)
    payload, errors = parse_form(AddressFix, await read_form(request), _)
    if payload is not None:
        try:
            await service.do_fix_address(session, identity.subject, order_id, payload)
        except AppError as exc:
            errors = app_error_field(exc, _)
        else:
            return RedirectResponse("/orders?routing_state=needs_routing", status_code=303)
    errors = {"__all__": errors.get("district_code") or next(iter(errors.values()))}
    return await _orders_page(
        request, session, identity, routing_state=RoutingState.NEEDS_ROUTING, errors=errors, status_code=422
    )


async def _pain_points_page(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    settings: AppSettings,
    start_date: date | None,
    end_date: date | None,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    subject = identity.subject
    start, end = painpoints.period_from_dates(start_date, end_date)
    model_dir = str(settings.model_dir or settings.var_dir / "models")
    report = await painpoints.pain_points(session, subject, start, end, model_dir=model_dir)
    can_propose = subject.can(Permission.MANAGE_DEMAND)
    # The open proposals of each pain point's product, to add the pain point to one of them.
    open_proposals = {}
    if can_propose:
        for product_id in {p.top_product_id for p in report.points if p.top_product_id is not None}:
            found = await proposals.all_proposals(session, subject, product_id=product_id)
            open_proposals[product_id] = [p for p in found if p.status in proposals.OPEN]
    return render(
        request,
        "orders/painpoints.html",
        {
            "active": "aftersales",
            "report": report,
            "can_propose": can_propose,
            "open_proposals": open_proposals,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/pain-points", response_class=HTMLResponse)
async def pain_points_page(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    settings: AppSettings,
    start_date: Annotated[date | None, Query()] = None,
    end_date: Annotated[date | None, Query()] = None,
) -> Response:
    return await _pain_points_page(request, session, identity, settings, start_date, end_date)


@router.post("/pain-points/proposal", response_class=HTMLResponse)
async def hand_pain_point_to_proposal(
    request: Request, session: DbSession, identity: ConsoleUser, settings: AppSettings
) -> Response:
    identity.subject.check(Permission.MANAGE_DEMAND)
    _ = gettext_for(request)
    payload, errors = parse_form(PainPointHandoff, await read_form(request), _)
    if payload is not None:
        try:
            handed = await painpoints.do_hand_to_proposal(session, identity.subject, payload)
        except AppError as exc:
            errors = app_error_field(exc, _)
        else:
            return RedirectResponse(f"/demand/proposals/{handed.proposal_id}", status_code=303)
    errors = {"__all__": next(iter(errors.values()))}
    start_date, end_date = (payload.start_date, payload.end_date) if payload else (None, None)
    return await _pain_points_page(
        request, session, identity, settings, start_date, end_date, errors=errors, status_code=422
    )
