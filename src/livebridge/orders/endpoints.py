"""HTTP API of the orders domain: order import, orders (with the needs-routing queue), after-sale requests."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, UploadFile

from livebridge.kit.pagination import Page, PageParams
from livebridge.models import RoutingState
from livebridge.orders import painpoints, service
from livebridge.orders.schemas import (
    AddressFix,
    AfterSaleRead,
    ImportReport,
    OrderRead,
    PainPointHandoff,
    PainPointHandoffRead,
    PainPointReportRead,
)
from livebridge.orders.upload import read_upload
from livebridge.web.deps import ApiSubject, AppSettings, DbSession

router = APIRouter(tags=["orders"])
Paging = Annotated[PageParams, Depends()]


@router.post("/orders/import", response_model=ImportReport)
async def import_orders(
    session: DbSession, subject: ApiSubject, file: Annotated[UploadFile, File(description="CSV, .xlsx or NDJSON")]
) -> ImportReport:
    """Valid rows are stored even when others are refused; refused rows come back with their row numbers."""
    report = await service.do_import_orders(session, subject, await read_upload(file))
    await service.do_record_import_run(session, subject, file.filename or "upload", report)
    return report


@router.get("/orders", response_model=Page[OrderRead])
async def list_orders(
    session: DbSession,
    subject: ApiSubject,
    paging: Paging,
    routing_state: Annotated[RoutingState | None, Query()] = None,
    dealer_id: Annotated[int | None, Query()] = None,
    flagged: Annotated[bool | None, Query()] = None,
) -> Page[OrderRead]:
    page = await service.list_orders(
        session, subject, paging, routing_state=routing_state, dealer_id=dealer_id, flagged=flagged
    )
    return Page.build([OrderRead.model_validate(o) for o in page.items], page.pagination.total_count, paging)


@router.get("/orders/{order_id}", response_model=OrderRead)
async def read_order(order_id: int, session: DbSession, subject: ApiSubject) -> OrderRead:
    return OrderRead.model_validate(await service.access_order(session, subject, order_id))


@router.post("/orders/{order_id}/address", response_model=OrderRead)
async def fix_order_address(order_id: int, payload: AddressFix, session: DbSession, subject: ApiSubject) -> OrderRead:
    """Take an order out of the needs-routing queue by giving its district code."""
    return OrderRead.model_validate(await service.do_fix_address(session, subject, order_id, payload))


@router.get("/after-sales", response_model=Page[AfterSaleRead])
async def list_after_sales(session: DbSession, subject: ApiSubject, paging: Paging) -> Page[AfterSaleRead]:
    page = await service.list_after_sales(session, subject, paging)
    return Page.build([AfterSaleRead.model_validate(a) for a in page.items], page.pagination.total_count, paging)


@router.get("/after-sales/{after_sale_id}", response_model=AfterSaleRead)
async def read_after_sale(after_sale_id: int, session: DbSession, subject: ApiSubject) -> AfterSaleRead:
    return AfterSaleRead.model_validate(await service.access_after_sale(session, subject, after_sale_id))


@router.get("/pain-points", response_model=PainPointReportRead)
async def read_pain_points(
    session: DbSession,
    subject: ApiSubject,
    settings: AppSettings,
    start_date: Annotated[date | None, Query()] = None,
    end_date: Annotated[date | None, Query(description="exclusive")] = None,
) -> PainPointReportRead:
    """Ranked pain points of the period (after-sale reasons), spikes against the previous period, return rates."""
    start, end = painpoints.period_from_dates(start_date, end_date)
    model_dir = str(settings.model_dir or settings.var_dir / "models")
    report = await painpoints.pain_points(session, subject, start, end, model_dir=model_dir)
    return PainPointReportRead.model_validate(report)


@router.post("/pain-points/proposal", response_model=PainPointHandoffRead)
async def hand_pain_point_to_proposal(
    payload: PainPointHandoff, session: DbSession, subject: ApiSubject
) -> PainPointHandoffRead:
    """Hand a pain point to the C2M proposal flow: its requests about the product become evidence on a new
    proposal, or on the open proposal ``proposal_id`` of that product."""
    return await painpoints.do_hand_to_proposal(session, subject, payload)
