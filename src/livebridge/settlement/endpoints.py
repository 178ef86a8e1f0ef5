"""HTTP API of settlement: compute a closed period, read, approve (lock) and export statements."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from livebridge.settlement import service
from livebridge.settlement.schemas import LineRead, SettleReport, SettleRequest, StatementDetail, StatementRead
from livebridge.web.deps import ApiSubject, DbSession

router = APIRouter(tags=["settlement"])
CONFLICTS: dict[int | str, dict[str, Any]] = {
    409: {"description": "the period is still open, overlaps another statement, or the statement is locked"}
}


@router.post("/settlements", response_model=SettleReport, responses=CONFLICTS)
async def settle_period(payload: SettleRequest, session: DbSession, subject: ApiSubject) -> SettleReport:
    """Draft statements of a closed period (all dealers, or one); approved ones are returned as they are."""
    result = await service.do_settle_period(
        session,
        subject,
        payload.period_start,
        payload.period_end,
        dealer_ids=None if payload.dealer_id is None else [payload.dealer_id],
    )
    return SettleReport(
        statements=[StatementRead.model_validate(s) for s in result.statements], locked_dealer_ids=result.locked
    )


@router.get("/settlements", response_model=list[StatementRead])
async def list_statements(
    session: DbSession,
    subject: ApiSubject,
    dealer_id: Annotated[int | None, Query()] = None,
    period_start: Annotated[date | None, Query()] = None,
) -> list[StatementRead]:
    statements = await service.list_statements(session, subject, dealer_id=dealer_id, period_start=period_start)
    return [StatementRead.model_validate(s) for s in statements]


@router.get("/settlements/{statement_id}", response_model=StatementDetail)
async def read_statement(statement_id: int, session: DbSession, subject: ApiSubject) -> StatementDetail:
    statement = await service.access_statement(session, subject, statement_id)
    lines = await service.statement_lines(session, subject, statement_id)
    return StatementDetail(
        **StatementRead.model_validate(statement).model_dump(), lines=[LineRead.model_validate(li) for li in lines]
    )


@router.post("/settlements/{statement_id}/approve", response_model=StatementRead, responses=CONFLICTS)
async def approve_statement(statement_id: int, session: DbSession, subject: ApiSubject) -> StatementRead:
    """Recompute the draft on today's data and lock it; later changes become adjustments in a later period."""
    return StatementRead.model_validate(await service.do_approve(session, subject, statement_id))


@router.get("/settlements/{statement_id}/export")
async def export_statement(
    statement_id: int,
    session: DbSession,
    subject: ApiSubject,
    file_format: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "xlsx",
) -> Response:
    if file_format == "csv":
        body, media = await service.export_csv(session, subject, statement_id), "text/csv; charset=utf-8"
    else:
        body = await service.export_xlsx(session, subject, statement_id)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"statement-{statement_id}.{file_format}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
