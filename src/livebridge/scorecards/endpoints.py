"""HTTP API of host scorecards: ranking, one host, comparison, weights and the Excel export."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from livebridge.kit.pagination import PageParams
from livebridge.scorecards import service
from livebridge.scorecards.schemas import HostComparison, RankingWeights, ScorecardRanking, WeightsRead
from livebridge.web.deps import ApiSubject, AppSettings, DbSession

router = APIRouter(prefix="/scorecards", tags=["host scorecards"])
Paging = Annotated[PageParams, Depends()]
DateFrom = Annotated[date | None, Query(description="First day (display time zone); default 29 days before date_to")]
DateTo = Annotated[date | None, Query(description="Last day, included; default today")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/hosts", response_model=ScorecardRanking)
async def rank_hosts(
    session: DbSession,
    subject: ApiSubject,
    settings: AppSettings,
    paging: Paging,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    by: Annotated[Literal["host", "host_brand"], Query(description="One row per host, or per host × brand")] = "host",
) -> ScorecardRanking:
    """Every host with a session started in the period, ranked by the tenant's weights (best first)."""
    window = service.resolve_period(date_from, date_to, settings.display_timezone)
    return await service.host_ranking(session, subject, window, paging, by_brand=by == "host_brand")


@router.get("/hosts/{host_id}", response_model=HostComparison)
async def read_host_scorecard(
    host_id: int,
    session: DbSession,
    subject: ApiSubject,
    settings: AppSettings,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> HostComparison:
    """One host's scorecard over the period, with one row per brand (organization) it sold for."""
    window = service.resolve_period(date_from, date_to, settings.display_timezone)
    return await service.host_detail(session, subject, host_id, window)


@router.get("/compare", response_model=HostComparison)
async def compare_hosts(
    session: DbSession,
    subject: ApiSubject,
    settings: AppSettings,
    host_ids: Annotated[list[int], Query(description="2 to 5 host ids (repeat the parameter)")],
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> HostComparison:
    """2–5 hosts side by side, scored among themselves."""
    window = service.resolve_period(date_from, date_to, settings.display_timezone)
    return await service.compare_hosts(session, subject, host_ids, window)


@router.get("/weights", response_model=WeightsRead)
async def read_weights(session: DbSession, subject: ApiSubject) -> WeightsRead:
    return await service.access_weights(session, subject)


@router.put("/weights", response_model=WeightsRead)
async def set_weights(payload: RankingWeights, session: DbSession, subject: ApiSubject) -> WeightsRead:
    """Replace the tenant's ranking weights (owner and operator)."""
    return await service.do_set_weights(session, subject, payload)


@router.get("/export.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
async def export_scorecards(
    session: DbSession, subject: ApiSubject, settings: AppSettings, date_from: DateFrom = None, date_to: DateTo = None
) -> Response:
    """The ranking, host × brand rows and weights as an Excel workbook."""
    window = service.resolve_period(date_from, date_to, settings.display_timezone)
    body = await service.export_workbook(session, subject, window)
    name = f"scorecards-{window.period.date_from.isoformat()}-{window.period.date_to.isoformat()}.xlsx"
    return Response(body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})
