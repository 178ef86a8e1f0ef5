"""Console pages of the demand collector: the demand board, topics, proposals, the host's question panel, reports."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from livebridge.authz import Permission
from livebridge.catalog import service as catalog_service
from livebridge.demand import proposals, reports, service
from livebridge.demand.schemas import ProposalCreate, ProposalTransitionCreate, ProposalUpdate
from livebridge.exceptions import AppError
from livebridge.kit.pagination import PageParams
from livebridge.live import service as live_service
from livebridge.models import ProposalStatus, TopicKind
from livebridge.tenancy import service as tenancy_service
from livebridge.web.deps import AppSettings, ConsoleUser, DbSession
from livebridge.web.forms import ERROR_MESSAGES, app_error_field, read_form, submit_form
from livebridge.web.templating import gettext_for, render

router = APIRouter()
ALL = PageParams(page=1, page_size=200)


def _common() -> dict[str, object]:
    return {
        "active": "demand",
        "kind_labels": service.KIND_LABELS,
        "status_labels": proposals.STATUS_LABELS,
    }


async def _product_names(session: DbSession, identity: ConsoleUser) -> dict[int, str]:
    return {p.id: p.name for p in await service.all_products(session, identity.subject)}


# The demand board --------------------------------------------------------------------------------


@router.get("/demand", response_class=HTMLResponse)
async def demand_board(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    product_id: Annotated[int | None, Query()] = None,
    kind: Annotated[TopicKind | None, Query()] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    error: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    params = PageParams(page=page, page_size=20)
    topics = await service.list_topics(session, identity.subject, params, product_id=product_id, kind=kind)
    quotes = await service.topic_quotes(session, identity.subject, [t.id for t in topics.items], limit=3)
    filters = {k: v for k, v in (("product_id", product_id), ("kind", kind)) if v is not None}
    return render(
        request,
        "demand/board.html",
        {
            **_common(),
            "page": topics,
            "quotes": quotes,
            "products": await _product_names(session, identity),
            "product_id": product_id,
            "kind": kind or "",
            "kinds": list(TopicKind),
            "base": "/demand?" + (urlencode(filters) + "&" if filters else ""),
            "can_manage": identity.subject.can(Permission.MANAGE_DEMAND),
            # Only codes with a message of ours are shown: the query string is not a place for text.
            "error": gettext_for(request)(ERROR_MESSAGES[error]) if error in ERROR_MESSAGES else None,
        },
    )


@router.post("/demand/rebuild")
async def rebuild(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    await service.rebuild_topics(session, identity.subject)
    back = (await read_form(request)).get("next", "")
    # Only our own pages: a path, never another site.
    return RedirectResponse(back if back.startswith("/") and not back.startswith("//") else "/demand", status_code=303)


@router.post("/demand/topics/merge")
async def merge_topics(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    form = await request.form()
    chosen = sorted({int(v) for v in form.getlist("topic_ids") if isinstance(v, str) and v.isdigit()})
    try:
        if len(chosen) < 2:
            raise AppError("choose at least two topics", code="nothing_to_merge")
        target = await service.do_merge_topics(session, identity.subject, chosen[0], chosen[1:])
    except AppError as exc:
        return RedirectResponse("/demand?" + urlencode({"error": exc.code}), status_code=303)
    return RedirectResponse(f"/demand/topics/{target.id}", status_code=303)


@router.get("/demand/topics/{topic_id}", response_class=HTMLResponse)
async def topic_page(
    request: Request,
    topic_id: int,
    session: DbSession,
    identity: ConsoleUser,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    detail = await service.topic_detail(session, identity.subject, topic_id)
    members = await service.topic_members(session, identity.subject, topic_id, PageParams(page=page, page_size=100))
    linked = [await proposals.access_proposal(session, identity.subject, p) for p in detail.proposal_ids]
    chart = {
        "tooltip": {"trigger": "axis"},
        "legend": {},
        "xAxis": {"type": "category", "data": [p.session_title for p in detail.trend]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {"name": gettext_for(request)("Comments"), "type": "bar", "data": [p.comments for p in detail.trend]},
            {"name": gettext_for(request)("Viewers"), "type": "line", "data": [p.viewers for p in detail.trend]},
        ],
    }
    return render(
        request,
        "demand/topic.html",
        {
            **_common(),
            "d": detail,
            "t": detail.topic,
            "members": members,
            "linked": linked,
            "chart": chart,
            "products": await _product_names(session, identity),
            "can_manage": identity.subject.can(Permission.MANAGE_DEMAND),
        },
    )


@router.post("/demand/topics/{topic_id}/split")
async def split_topic(request: Request, topic_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    form = await request.form()
    chosen = [int(v) for v in form.getlist("event_row_ids") if isinstance(v, str) and v.isdigit()]
    part = await service.do_split_topic(session, identity.subject, topic_id, chosen)
    return RedirectResponse(f"/demand/topics/{part.id}", status_code=303)


# Proposals ----------------------------------------------------------------------------------------


@router.get("/demand/proposals", response_class=HTMLResponse)
async def proposals_page(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    status: Annotated[ProposalStatus | None, Query()] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    params = PageParams(page=page, page_size=20)
    found = await proposals.list_proposals(session, identity.subject, params, status=status)
    return render(
        request,
        "demand/proposals.html",
        {
            **_common(),
            "page": found,
            "status": status or "",
            "statuses": proposals.STATUS_ORDER,
            "products": await _product_names(session, identity),
        },
    )


async def _new_proposal(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    topic_ids: list[int],
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    identity.subject.check(Permission.MANAGE_DEMAND)
    topics = [await service.access_topic(session, identity.subject, t) for t in topic_ids]
    form = dict(form or {})
    if "product_id" not in form:
        form["product_id"] = str(next((t.product_id for t in topics if t.product_id), ""))
    if "title" not in form and topics:
        form["title"] = "、".join(t.label for t in topics)[:200]
    members = await tenancy_service.list_members(session, identity.subject, ALL)
    products = await catalog_service.list_products(session, identity.subject, ALL)
    return render(
        request,
        "demand/proposal_form.html",
        {
            **_common(),
            "topics": topics,
            "products": products.items,
            "owner_options": [("", "—"), *{m.user_id: m.display_name for m in members.items}.items()],
            "form": form,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/demand/proposals/new", response_class=HTMLResponse)
async def new_proposal_page(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    topic_ids: Annotated[list[int], Query()],
) -> Response:
    return await _new_proposal(request, session, identity, topic_ids)


@router.post("/demand/proposals/new", response_class=HTMLResponse)
async def create_proposal(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    raw = await request.form()
    topic_ids = [int(v) for v in raw.getlist("topic_ids") if isinstance(v, str) and v.isdigit()]

    def prepare(form: dict[str, str]) -> dict[str, object]:
        return {**form, "topic_ids": topic_ids}

    async def save(payload: ProposalCreate) -> object:
        return await proposals.do_create_proposal(session, identity.subject, payload)

    async def show_again(form: dict[str, str], errors: dict[str, str]) -> Response:
        return await _new_proposal(request, session, identity, topic_ids, form=form, errors=errors, status_code=422)

    return await submit_form(
        request,
        ProposalCreate,
        save,
        redirect_to=lambda created: f"/demand/proposals/{created.id}",
        show_again=show_again,
        prepare=prepare,
    )


async def _proposal_detail(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    proposal_id: int,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    proposal = await proposals.access_proposal(session, identity.subject, proposal_id)
    read = await proposals.proposal_read(session, identity.subject, proposal)
    topics = [await service.access_topic(session, identity.subject, t) for t in read.topic_ids]
    quotes = await service.quotes_by_id(session, identity.subject, read.quote_ids)
    members = await tenancy_service.list_members(session, identity.subject, ALL)
    return render(
        request,
        "demand/proposal.html",
        {
            **_common(),
            "p": proposal,
            "read": read,
            "topics": topics,
            "quotes": quotes,
            "history": await proposals.history(session, identity.subject, proposal_id),
            "members": {m.user_id: m.display_name for m in members.items},
            "owner_options": [("", "—"), *{m.user_id: m.display_name for m in members.items}.items()],
            "products": await _product_names(session, identity),
            "can_manage": identity.subject.can(Permission.MANAGE_DEMAND),
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/demand/proposals/{proposal_id}", response_class=HTMLResponse)
async def proposal_page(request: Request, proposal_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    return await _proposal_detail(request, session, identity, proposal_id)


@router.post("/demand/proposals/{proposal_id}/transition", response_class=HTMLResponse)
async def transition_proposal(
    request: Request, proposal_id: int, session: DbSession, identity: ConsoleUser
) -> Response:
    form = await read_form(request)
    try:
        payload = ProposalTransitionCreate.model_validate({k: v for k, v in form.items() if v})
        await proposals.do_transition_proposal(session, identity.subject, proposal_id, payload)
    except AppError as exc:
        errors = app_error_field(exc, gettext_for(request))
        return await _proposal_detail(
            request, session, identity, proposal_id, errors=errors, status_code=exc.status_code
        )
    except ValueError:
        errors = {"__all__": gettext_for(request)("Choose one of the options.")}
        return await _proposal_detail(request, session, identity, proposal_id, errors=errors, status_code=422)
    return RedirectResponse(f"/demand/proposals/{proposal_id}", status_code=303)


@router.post("/demand/proposals/{proposal_id}", response_class=HTMLResponse)
async def update_proposal(request: Request, proposal_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    async def save(payload: ProposalUpdate) -> object:
        return await proposals.do_update_proposal(session, identity.subject, proposal_id, payload)

    async def show_again(form: dict[str, str], errors: dict[str, str]) -> Response:
        return await _proposal_detail(request, session, identity, proposal_id, errors=errors, status_code=422)

    return await submit_form(
        request, ProposalUpdate, save, redirect_to=f"/demand/proposals/{proposal_id}", show_again=show_again
    )


# Reports ------------------------------------------------------------------------------------------


@router.get("/demand/report", response_class=HTMLResponse)
async def report_page(
    request: Request, session: DbSession, identity: ConsoleUser, product_id: Annotated[int | None, Query()] = None
) -> Response:
    brand = identity.current_tenant.name if identity.current_tenant else ""
    report = await reports.build_report(session, identity.subject, brand_name=brand, product_id=product_id)
    return render(
        request,
        "demand/report.html",
        {**_common(), "r": report, "product_id": product_id, "negative_share": service.negative_share},
    )


@router.get("/demand/report.xlsx")
async def report_workbook(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    settings: AppSettings,
    product_id: Annotated[int | None, Query()] = None,
) -> Response:
    brand = identity.current_tenant.name if identity.current_tenant else ""
    report = await reports.build_report(session, identity.subject, brand_name=brand, product_id=product_id)
    content = reports.report_workbook(report, gettext_for(request), settings.display_timezone)
    filename = f"demand-report-{product_id or 'brand'}-{report.generated_at:%Y%m%d}.xlsx"
    return Response(
        content,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# The host's question panel ------------------------------------------------------------------------


async def _questions(
    request: Request, session: DbSession, identity: ConsoleUser, session_id: int, template: str
) -> Response:
    live_session = await live_service.access_session(session, identity.subject, session_id)
    panel = await service.session_questions(session, identity.subject, session_id)
    context = {
        **_common(),
        "active": "sessions",
        "s": live_session,
        "q": panel,
        "can_regroup": identity.subject.can(Permission.MANAGE_DEMAND),
    }
    return render(request, template, context)


@router.get("/sessions/{session_id}/questions", response_class=HTMLResponse)
async def questions_page(request: Request, session_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    return await _questions(request, session, identity, session_id, "demand/questions.html")


@router.get("/sessions/{session_id}/questions/panel", response_class=HTMLResponse)
async def questions_panel(request: Request, session_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    return await _questions(request, session, identity, session_id, "demand/_questions_panel.html")


@router.post("/sessions/{session_id}/questions/{topic_id}/answered", response_class=HTMLResponse)
async def mark_answered(
    request: Request, session_id: int, topic_id: int, session: DbSession, identity: ConsoleUser
) -> Response:
    await service.do_mark_answered(session, identity.subject, session_id, topic_id)
    if request.headers.get("hx-request"):
        return await _questions(request, session, identity, session_id, "demand/_questions_panel.html")
    return RedirectResponse(f"/sessions/{session_id}/questions", status_code=303)
