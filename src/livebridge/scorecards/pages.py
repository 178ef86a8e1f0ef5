"""Console pages of host scorecards: the ranking with the brand's weights, and the comparison."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from livebridge.authz import Permission
from livebridge.kit.i18n import N_
from livebridge.kit.pagination import PageParams
from livebridge.scorecards import service
from livebridge.scorecards.metrics import RANKING_METRICS
from livebridge.scorecards.schemas import HostComparison, RankingWeights
from livebridge.web.deps import AppSettings, ConsoleUser, DbSession
from livebridge.web.forms import submit_form
from livebridge.web.templating import gettext_for, render

router = APIRouter()
PAGE_SIZE: Final = 50

# Why a figure is 暂无, shown as its tooltip.
REASONS: Final[dict[str, str]] = {
    "integrity_unavailable": N_("The integrity checks have not judged these sessions yet."),
    "not_enough_data": N_("Too little data for a confident figure."),
    "window_not_elapsed": N_("The repurchase window of these buyers has not passed yet."),
    "no_buyers": N_("No identifiable buyers."),
    "no_orders": N_("No orders in the period."),
    "no_sessions": N_("No session in the period."),
    "comments_not_analysed": N_("The comments have not all been analysed yet."),
    "c2m_unavailable": N_("Demand topics are not available yet."),
}


def _context(identity: ConsoleUser, **values: Any) -> dict[str, Any]:
    return {
        "active": "scorecards",
        "metrics": RANKING_METRICS,
        "reasons": REASONS,
        "can_manage": identity.subject.can(Permission.MANAGE_LIVE),
        **values,
    }


async def _ranking_page(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    settings: AppSettings,
    *,
    date_from: date | None,
    date_to: date | None,
    by: str,
    page: int,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    window = service.resolve_period(date_from, date_to, settings.display_timezone)
    ranking = await service.host_ranking(
        session, identity.subject, window, PageParams(page=page, page_size=PAGE_SIZE), by_brand=by == "host_brand"
    )
    weights = ranking.weights.model_dump()
    return render(
        request,
        "scorecards/ranking.html",
        _context(
            identity,
            ranking=ranking,
            by=by,
            form=form or {key: str(value) for key, value in weights.items()},
            errors=errors or {},
        ),
        status_code=status_code,
    )


@router.get("/scorecards", response_class=HTMLResponse)
async def ranking_page(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    settings: AppSettings,
    date_from: Annotated[date | None, Query()] = None,
    date_to: Annotated[date | None, Query()] = None,
    by: Annotated[Literal["host", "host_brand"], Query()] = "host",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    return await _ranking_page(
        request, session, identity, settings, date_from=date_from, date_to=date_to, by=by, page=page
    )


@router.post("/scorecards/weights", response_class=HTMLResponse)
async def save_weights(request: Request, session: DbSession, identity: ConsoleUser, settings: AppSettings) -> Response:
    async def save(payload: RankingWeights) -> object:
        return await service.do_set_weights(session, identity.subject, payload)

    async def show_again(form: dict[str, str], errors: dict[str, str]) -> Response:
        return await _ranking_page(
            request,
            session,
            identity,
            settings,
            date_from=None,
            date_to=None,
            by="host",
            page=1,
            form=form,
            errors=errors,
            status_code=422,
        )

    return await submit_form(request, RankingWeights, save, redirect_to="/scorecards", show_again=show_again)


def _charts(comparison: HostComparison, gettext: Any) -> dict[str, dict[str, Any]]:
    """ECharts options (rendered by console.js from ``data-chart``): scaled figures and the three GMVs."""
    hosts = [card.host_name for card in comparison.hosts]
    used = [m for m in RANKING_METRICS if m.key in comparison.hosts[0].metric_scores]
    scores = {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "data": hosts},
        "grid": {"left": 40, "right": 20, "top": 40, "bottom": 100},
        "xAxis": {
            "type": "category",
            "data": [gettext(m.label) for m in used],
            "axisLabel": {"interval": 0, "rotate": 30},
        },
        "yAxis": {"type": "value", "min": 0, "max": 100},
        "series": [
            {
                "name": card.host_name,
                "type": "bar",
                "data": [round(100 * (card.metric_scores.get(m.key) or 0.0), 1) for m in used],
            }
            for card in comparison.hosts
        ],
    }
    series = (
        (gettext("GMV"), [card.gmv_fen for card in comparison.hosts]),
        (gettext("GMV net of refunds"), [card.net_gmv_fen for card in comparison.hosts]),
        (gettext("Verified net GMV"), [card.verified_net_gmv_fen for card in comparison.hosts]),
    )
    gmv = {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "data": [name for name, _ in series]},
        "grid": {"left": 80, "right": 20, "top": 40, "bottom": 30},
        "xAxis": {"type": "category", "data": hosts},
        "yAxis": {"type": "value", "name": "¥"},
        "series": [
            {"name": name, "type": "bar", "data": [None if fen is None else fen / 100 for fen in values]}
            for name, values in series
        ],
    }
    return {"scores": scores, "gmv": gmv}


@router.get("/scorecards/compare", response_class=HTMLResponse)
async def compare_page(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    settings: AppSettings,
    host_ids: Annotated[list[int], Query()],
    date_from: Annotated[date | None, Query()] = None,
    date_to: Annotated[date | None, Query()] = None,
) -> Response:
    window = service.resolve_period(date_from, date_to, settings.display_timezone)
    comparison = await service.compare_hosts(session, identity.subject, host_ids, window)
    return render(
        request,
        "scorecards/compare.html",
        _context(identity, comparison=comparison, charts=_charts(comparison, gettext_for(request))),
    )
