"""Orders and after-sale requests: idempotent imports, attribution and the needs-routing queue.

An import never loses a valid row for an invalid one: each row is parsed alone, refused rows are
reported with their row number, field and a code. Rows are upserted by the platform's number
(子订单号 / 售后单号) within the tenant; a row whose content did not change is counted as unchanged
and not written, so importing the same file twice changes nothing.

Attribution: the SKU code → product (catalog), the live room or session id → session, the host's
name → host (live); a live order counts for a dealer by the dealer code it carries, otherwise by
the dealer whose delivery territory the receiver's district lies in (most specific claim). What
cannot be resolved is kept and flagged; an address without a district goes to the needs-routing
queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Permission, Subject
from livebridge.catalog import service as catalog_service
from livebridge.dealers import service as dealers_service
from livebridge.dealers.regions import region_chain, region_level
from livebridge.exceptions import InvalidInput, NotFound, PermissionDenied
from livebridge.geo import default_parser
from livebridge.kit.pagination import Page, PageParams
from livebridge.kit.time import utcnow
from livebridge.live import service as live_service
from livebridge.models import (
    AfterSaleRequest,
    Capability,
    DealerAttribution,
    ImportKind,
    ImportRun,
    Order,
    RoutingState,
    TrafficSource,
)
from livebridge.orders.formats import (
    AfterSaleRow,
    OrderRow,
    RawRow,
    RowError,
    RowProblem,
    buyer_hash,
    parse_after_sale_row,
    parse_order_row,
)
from livebridge.orders.repository import AfterSaleRepository, ImportRunRepository, OrderRepository
from livebridge.orders.schemas import AddressFix, ImportReport, RowErrorRead

MAX_REPORTED_ERRORS = 1000


class Flag:
    UNKNOWN_SKU = "unknown_sku"
    UNKNOWN_SESSION = "unknown_session"
    UNKNOWN_HOST = "unknown_host"
    UNKNOWN_DEALER_CODE = "unknown_dealer_code"
    ADDRESS_UNRESOLVED = "address_unresolved"
    UNKNOWN_ORDER = "unknown_order"


@dataclass
class _Lookups:
    """What one batch resolved against the catalog, the live rooms and the dealer network."""

    products: dict[str, int] = field(default_factory=dict)
    rooms: dict[str, int | None] = field(default_factory=dict)
    sessions: dict[int, tuple[bool, int | None]] = field(default_factory=dict)  # id → (exists, main host)
    cohost_dealers: dict[int, int] = field(default_factory=dict)  # session id → dealer co-hosting it
    hosts: dict[str, int | None] = field(default_factory=dict)
    dealer_codes: dict[str, int] = field(default_factory=dict)


def _report_errors(report: ImportReport, errors: Iterable[RowError]) -> None:
    for error in errors:
        report.error_count += 1
        if len(report.errors) < MAX_REPORTED_ERRORS:
            report.errors.append(RowErrorRead(row=error.row, code=error.code, field=error.field, message=error.message))


def _parse_orders(rows: list[tuple[int, RawRow]]) -> tuple[list[tuple[int, OrderRow]], list[RowError]]:
    parsed: list[tuple[int, OrderRow]] = []
    errors: list[RowError] = []
    for number, raw in rows:
        try:
            parsed.append((number, parse_order_row(raw)))
        except RowProblem as problem:
            errors.append(RowError(number, problem.code, problem.field or None, problem.message))
    return parsed, errors


def _parse_after_sales(rows: list[tuple[int, RawRow]]) -> tuple[list[tuple[int, AfterSaleRow]], list[RowError]]:
    parsed: list[tuple[int, AfterSaleRow]] = []
    errors: list[RowError] = []
    for number, raw in rows:
        try:
            parsed.append((number, parse_after_sale_row(raw)))
        except RowProblem as problem:
            errors.append(RowError(number, problem.code, problem.field or None, problem.message))
    return parsed, errors


# Orders ------------------------------------------------------------------------------------------


async def do_import_orders(session: AsyncSession, subject: Subject, rows: list[tuple[int, RawRow]]) -> ImportReport:
    """Import one batch of order rows (row number, raw columns); see the module docstring."""
    subject.check(Permission.MANAGE_ORDERS)
    report = ImportReport(kind=ImportKind.ORDERS, rows=len(rows))
    parsed, errors = _parse_orders(rows)
    _report_errors(report, errors)
    if not parsed:
        return report
    lookups = await _resolve(session, subject, [row for _, row in parsed])
    repository = OrderRepository(session)
    existing = await repository.by_numbers(subject, [row.order_no for _, row in parsed])
    tenant_id = subject.require_tenant()
    new: list[Order] = []
    changed: list[Order] = []
    for _, row in parsed:
        order = existing.get(row.order_no)
        if order is not None and order.content_hash == row.fingerprint:
            report.unchanged += 1
            continue
        if order is None:
            order = Order(tenant_id=tenant_id, order_no=row.order_no)
            existing[row.order_no] = order
            new.append(order)
            report.created += 1
        else:
            report.updated += 1
        changed.append(order)
        await _fill_order(session, subject, order, row, lookups)
        order.updated_at = utcnow()
        if order.flags:
            report.flagged += 1
    await repository.add_all(new)
    report.changed_ids = sorted({o.id for o in changed})
    return report


async def _resolve(session: AsyncSession, subject: Subject, rows: list[OrderRow]) -> _Lookups:
    lookups = _Lookups()
    found = await catalog_service.products_by_sku(session, subject, sorted({r.sku_code for r in rows}))
    lookups.products = {code: product_id for code, (product_id, _) in found.items()}
    for row in rows:
        if row.room_id and row.room_id not in lookups.rooms:
            live = await live_service.find_session_by_room(session, subject, row.platform, row.room_id)
            lookups.rooms[row.room_id] = live.id if live else None
    session_ids = {r.session_id for r in rows if r.session_id} | {i for i in lookups.rooms.values() if i}
    for session_id in session_ids:
        try:
            live = await live_service.access_session(session, subject, session_id)
        except NotFound:
            lookups.sessions[session_id] = (False, None)
            continue
        main = next((h.host_id for h in live.hosts if h.role == "main"), None)
        lookups.sessions[session_id] = (True, main)
        host_organizations = [h.host.organization_id for h in live.hosts if h.host.organization_id is not None]
        dealers = await dealers_service.dealer_names(session, subject, host_organizations)
        if dealers:
            lookups.cohost_dealers[session_id] = min(dealers)
    for name in sorted({r.host for r in rows if r.host}):
        hosts = await live_service.list_hosts(session, subject, PageParams(page=1, page_size=20), query=name)
        lookups.hosts[name] = next((h.id for h in hosts.items if h.name == name), None)
    lookups.dealer_codes = await dealers_service.dealer_ids_by_code(
        session, subject, sorted({r.dealer_code for r in rows if r.dealer_code})
    )
    return lookups


async def _fill_order(session: AsyncSession, subject: Subject, order: Order, row: OrderRow, lookups: _Lookups) -> None:
    flags: list[str] = []
    order.platform = row.platform
    order.parent_order_no = row.parent_order_no
    order.shop = row.shop
    order.sku_code = row.sku_code
    order.product_id = lookups.products.get(row.sku_code)
    if order.product_id is None:
        flags.append(Flag.UNKNOWN_SKU)
    order.quantity = row.quantity
    order.paid_fen = row.paid_fen
    order.buyer_hash = buyer_hash(order.tenant_id, row.buyer_id, row.receiver_phone, row.order_no)
    order.receiver_phone_masked = row.receiver_phone
    order.province_text, order.city_text, order.district_text = row.province, row.city, row.district
    parsed = default_parser().parse(row.address_text())
    order.street_text = row.street or parsed.rest or None
    order.province_code, order.city_code, order.district_code = (
        parsed.province_code,
        parsed.city_code,
        parsed.district_code,
    )
    order.routing_state = RoutingState.ROUTED if parsed.district_code else RoutingState.NEEDS_ROUTING
    if parsed.district_code is None:
        flags.append(Flag.ADDRESS_UNRESOLVED)
    order.status, order.status_raw = row.status, row.status_raw or row.status.value
    order.created_at_platform = row.created_at
    order.paid_at, order.shipped_at, order.finished_at = row.paid_at, row.shipped_at, row.finished_at
    order.platform_room_id = row.room_id
    session_id = row.session_id or (lookups.rooms.get(row.room_id) if row.room_id else None)
    exists, main_host = lookups.sessions.get(session_id, (False, None)) if session_id else (False, None)
    order.session_id = session_id if exists else None
    if (row.room_id or row.session_id) and not exists:
        flags.append(Flag.UNKNOWN_SESSION)
    order.host_name = row.host
    order.host_id = lookups.hosts.get(row.host) if row.host else main_host
    if row.host and order.host_id is None:
        flags.append(Flag.UNKNOWN_HOST)
    live = row.room_id is not None or row.session_id is not None
    order.traffic_source = (
        TrafficSource.LIVE if live and row.traffic_source == TrafficSource.OTHER else row.traffic_source
    )
    order.dealer_code = row.dealer_code
    if row.dealer_code and row.dealer_code not in lookups.dealer_codes:
        flags.append(Flag.UNKNOWN_DEALER_CODE)
    await _attribute(session, subject, order, lookups.dealer_codes, lookups.cohost_dealers.get(order.session_id or 0))
    order.flags = flags
    order.is_simulated = row.is_simulated
    order.content_hash = row.fingerprint


async def _attribute(
    session: AsyncSession,
    subject: Subject,
    order: Order,
    dealer_codes: dict[str, int],
    cohost_dealer: int | None = None,
) -> None:
    """A live order counts for the dealer named by its code, else the dealer delivering into its
    district (区域保护), else the dealer that co-hosted its session."""
    order.dealer_id, order.dealer_attribution = None, None
    if order.traffic_source != TrafficSource.LIVE:
        return
    if order.dealer_code and order.dealer_code in dealer_codes:
        order.dealer_id, order.dealer_attribution = dealer_codes[order.dealer_code], DealerAttribution.DEALER_CODE
        return
    if order.district_code is not None:
        at = order.paid_at or order.created_at_platform
        responsible = await dealers_service.responsible_dealers(
            session, subject, order.district_code, Capability.DELIVERY, at
        )
        if responsible:
            order.dealer_id, order.dealer_attribution = responsible[0].organization_id, DealerAttribution.TERRITORY
            return
    if cohost_dealer is not None:
        order.dealer_id, order.dealer_attribution = cohost_dealer, DealerAttribution.CO_HOST


async def do_fix_address(session: AsyncSession, subject: Subject, order_id: int, payload: AddressFix) -> Order:
    """Resolve an order of the needs-routing queue by hand: set its district and attribute it again."""
    subject.check(Permission.MANAGE_ORDERS)
    order = await access_order(session, subject, order_id)
    if region_level(payload.district_code) is None:
        raise InvalidInput(
            f"{payload.district_code} is not a GB/T 2260 code", code="unknown_region", field="district_code"
        )
    chain = region_chain(payload.district_code)
    order.district_code = payload.district_code
    order.province_code = chain[-1]
    order.city_code = chain[1] if len(chain) > 2 else chain[-1]
    order.routing_state = RoutingState.ROUTED
    order.flags = [f for f in order.flags if f != Flag.ADDRESS_UNRESOLVED]
    codes = await dealers_service.dealer_ids_by_code(session, subject, [order.dealer_code] if order.dealer_code else [])
    cohost = order.dealer_id if order.dealer_attribution == DealerAttribution.CO_HOST else None
    await _attribute(session, subject, order, codes, cohost)
    order.updated_at = utcnow()
    await session.flush()
    return order


def _check_order_reader(subject: Subject) -> None:
    if not (subject.can(Permission.READ) or subject.can(Permission.SERVE_TICKETS)):
        raise PermissionDenied("this needs the 'read' permission")


async def list_orders(
    session: AsyncSession,
    subject: Subject,
    params: PageParams,
    *,
    routing_state: RoutingState | None = None,
    dealer_id: int | None = None,
    flagged: bool | None = None,
) -> Page[Order]:
    """Brand users: every order. Dealer staff: the live orders attributed to their dealer."""
    _check_order_reader(subject)
    items, total = await OrderRepository(session).page(
        subject, params, routing_state=routing_state, dealer_id=dealer_id, flagged=flagged
    )
    return Page.build(items, total, params)


async def access_order(session: AsyncSession, subject: Subject, order_id: int) -> Order:
    _check_order_reader(subject)
    order = await OrderRepository(session).get(subject, order_id)
    if order is None:
        raise NotFound("no such order", code="order_not_found")
    return order


async def order_for_service(session: AsyncSession, subject: Subject, order_id: int) -> Order | None:
    """The order behind a ticket, for whoever may see the ticket (a dealer sees its tickets' orders)."""
    return await OrderRepository(session).get_plain(subject, order_id)


# After-sale requests -----------------------------------------------------------------------------


async def do_import_after_sales(
    session: AsyncSession, subject: Subject, rows: list[tuple[int, RawRow]]
) -> ImportReport:
    subject.check(Permission.MANAGE_ORDERS)
    report = ImportReport(kind=ImportKind.AFTER_SALES, rows=len(rows))
    parsed, errors = _parse_after_sales(rows)
    _report_errors(report, errors)
    if not parsed:
        return report
    orders = await OrderRepository(session).by_numbers(subject, sorted({row.order_no for _, row in parsed}))
    repository = AfterSaleRepository(session)
    existing = await repository.by_numbers(subject, [row.request_no for _, row in parsed])
    tenant_id = subject.require_tenant()
    new: list[AfterSaleRequest] = []
    changed: list[AfterSaleRequest] = []
    for _, row in parsed:
        request = existing.get(row.request_no)
        if request is not None and request.content_hash == row.fingerprint:
            report.unchanged += 1
            continue
        if request is None:
            request = AfterSaleRequest(tenant_id=tenant_id, request_no=row.request_no)
            existing[row.request_no] = request
            new.append(request)
            report.created += 1
        else:
            report.updated += 1
        changed.append(request)
        order = orders.get(row.order_no)
        request.order_no = row.order_no
        request.order_id = order.id if order else None
        request.flags = [] if order else [Flag.UNKNOWN_ORDER]
        request.type = row.type
        request.reason_code, request.reason_text, request.description = (
            row.reason_code,
            row.reason_text,
            row.description,
        )
        request.amount_fen = row.amount_fen
        request.status, request.status_raw = row.status, row.status_raw or row.status.value
        request.applied_at, request.updated_at_platform, request.closed_at = (
            row.applied_at,
            row.updated_at,
            row.closed_at,
        )
        request.is_simulated = row.is_simulated
        request.content_hash = row.fingerprint
        request.updated_at = utcnow()
        if request.flags:
            report.flagged += 1
    await repository.add_all(new)
    report.changed_ids = sorted({r.id for r in changed})
    return report


async def list_after_sales(session: AsyncSession, subject: Subject, params: PageParams) -> Page[AfterSaleRequest]:
    subject.check(Permission.READ)
    items, total = await AfterSaleRepository(session).page(subject, params)
    return Page.build(items, total, params)


async def access_after_sale(session: AsyncSession, subject: Subject, after_sale_id: int) -> AfterSaleRequest:
    subject.check(Permission.READ)
    request = await AfterSaleRepository(session).get(subject, after_sale_id)
    if request is None:
        raise NotFound("no such after-sale request", code="after_sale_not_found")
    return request


async def after_sales_for_service(
    session: AsyncSession, subject: Subject, after_sale_ids: list[int]
) -> list[AfterSaleRequest]:
    """After-sale requests the service desk turns into tickets or shows on a ticket."""
    return await AfterSaleRepository(session).get_many(subject, after_sale_ids) if after_sale_ids else []


# Import runs --------------------------------------------------------------------------------------


async def do_record_import_run(
    session: AsyncSession, subject: Subject, filename: str, report: ImportReport
) -> ImportRun:
    subject.check(Permission.MANAGE_ORDERS)
    return await ImportRunRepository(session).add(
        ImportRun(
            tenant_id=subject.require_tenant(),
            kind=report.kind,
            filename=filename[:300],
            rows=report.rows,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            flagged=report.flagged,
            error_count=report.error_count,
            errors=[e.model_dump() for e in report.errors],
        )
    )


async def recent_import_runs(session: AsyncSession, subject: Subject) -> list[ImportRun]:
    subject.check(Permission.READ)
    return await ImportRunRepository(session).recent(subject)
