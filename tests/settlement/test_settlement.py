"""Settlement: lines traceable to their source, identical re-runs, open periods refused, locking,
clawbacks and adjustments in the next period, exports, isolation, and properties of the arithmetic."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import httpx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select, update

from livebridge.audit import service as audit_service
from livebridge.db import Database
from livebridge.exceptions import Conflict
from livebridge.models import Agreement, DeadlineBreach, LineKind, Role, StatementStatus
from livebridge.orders import service as orders_service
from livebridge.service_desk import service as desk_service
from livebridge.service_desk.schemas import ResolveTicket, ScheduleVisit
from livebridge.settlement import service
from livebridge.settlement.compute import commission_fen
from livebridge.settlement.repository import StatementRepository
from tests.factories import TenantFixture, console_login
from tests.network import open_ticket, order_row, set_up_dealer

OCTOBER = (date(2026, 10, 1), date(2026, 11, 1))
SEPTEMBER = (date(2026, 9, 1), date(2026, 10, 1))
XIHU = "浙江省杭州市西湖区文三路{}号"


def shanghai_tomorrow() -> date:
    """A period ending tomorrow is still open (periods end at midnight Asia/Shanghai, 8 h ahead of UTC)."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)


def _order(no: str, sku: str, paid: str, finished: str, status: str = "已完成") -> tuple[int, dict[str, object]]:
    return (
        2,
        order_row(
            no,
            sku,
            XIHU.format(no),
            paid_yuan=paid,
            status=status,
            paid_at=f"{finished[:10]} 09:00:00",
            created_at=f"{finished[:10]} 08:59:00",
            finished_at=finished,
        ),
    )


async def _import(database: Database, tenant: TenantFixture, rows: list[tuple[int, dict[str, object]]]) -> None:
    async with database.transaction() as session:
        report = await orders_service.do_import_orders(session, tenant.subject, rows)
    assert report.error_count == 0, report.errors


async def _settle(database: Database, tenant: TenantFixture, period: tuple[date, date]) -> service.SettleResult:
    async with database.transaction() as session:
        return await service.do_settle_period(session, tenant.subject, *period, dealer_ids=[tenant.dealer_id])


async def _lines(database: Database, tenant: TenantFixture, statement_id: int) -> list[tuple[object, ...]]:
    async with database.transaction(write=False) as session:
        lines = await service.statement_lines(session, tenant.subject, statement_id)
    return [
        (li.position, li.kind, li.ref_type, li.ref_id, li.base_fen, li.rate_bps, li.amount_fen, li.adjusts_statement_id)
        for li in lines
    ]


async def _line_ids(database: Database, tenant: TenantFixture, statement_id: int) -> list[int]:
    async with database.transaction(write=False) as session:
        return [line.id for line in await service.statement_lines(session, tenant.subject, statement_id)]


async def test_a_statement_of_commissions_fees_and_penalties_traceable_and_identical_on_re_runs(
    database: Database, tenant: TenantFixture
) -> None:
    sku = f"AF5-{tenant.slug}"
    await set_up_dealer(
        database, tenant, organization_id=tenant.dealer_id, code=f"X{tenant.tenant_id}", regions=["330106"]
    )
    # 299.99 × 3 % = 8.9997 → 9.00; 0.17 × 3 % = 0.0051 → 0.01 (half up); 100.00 × 3 % = 3.00
    await _import(
        database,
        tenant,
        [
            _order("A1", sku, "299.99", "2026-10-10 12:00:00"),
            _order("A2", sku, "0.17", "2026-10-11 12:00:00"),
            _order("A3", sku, "100.00", "2026-10-31 23:59:59"),
            _order("A4", sku, "500.00", "2026-11-01 00:00:00"),  # Shanghai time: the next period
            _order("A5", sku, "80.00", "2026-10-12 12:00:00", status="已发货"),  # not completed
        ],
    )
    opened = datetime(2026, 10, 2, 2, tzinfo=UTC)
    ticket_id = await open_ticket(database, tenant.subject, "T1", sku, XIHU.format(9), now=opened)
    async with database.transaction() as session:
        subject = tenant.subject
        await desk_service.check_deadlines(session, subject, opened + timedelta(hours=5))  # response missed
        await desk_service.do_accept(session, subject, ticket_id, now=opened + timedelta(hours=6))
        visit = ScheduleVisit(start=opened + timedelta(hours=8), end=opened + timedelta(hours=9))
        await desk_service.do_schedule(session, subject, ticket_id, visit, now=opened + timedelta(hours=6))
        await desk_service.do_start(session, subject, ticket_id, now=opened + timedelta(hours=8))
        await desk_service.do_resolve(
            session, subject, ticket_id, ResolveTicket(notes="ok"), now=opened + timedelta(hours=9)
        )
        await desk_service.do_close(session, subject, ticket_id, now=opened + timedelta(days=1))

    first = (await _settle(database, tenant, OCTOBER)).statements[0]
    assert first.status == StatementStatus.DRAFT
    assert (first.commission_fen, first.ticket_fee_fen, first.penalty_fen) == (900 + 1 + 300, 8000, -5000)
    assert first.net_fen == 1201 + 8000 - 5000
    lines = await _lines(database, tenant, first.id)
    assert sum(line[6] for line in lines) == first.net_fen  # type: ignore[misc]
    assert [(line[1], line[4], line[5], line[6]) for line in lines if line[1] == LineKind.COMMISSION] == [
        (LineKind.COMMISSION, 29999, 300, 900),
        (LineKind.COMMISSION, 17, 300, 1),
        (LineKind.COMMISSION, 10000, 300, 300),
    ]
    stored_ids = await _line_ids(database, tenant, first.id)
    again = (await _settle(database, tenant, OCTOBER)).statements[0]
    assert again.id == first.id
    assert again.fingerprint == first.fingerprint
    assert await _lines(database, tenant, again.id) == lines
    assert await _line_ids(database, tenant, again.id) == stored_ids  # the same data: the stored lines are kept

    await _import(database, tenant, [_order("A6", sku, "10.00", "2026-10-20 12:00:00")])  # a late import
    changed = (await _settle(database, tenant, OCTOBER)).statements[0]
    assert changed.fingerprint != first.fingerprint
    assert (changed.line_count, changed.commission_fen) == (first.line_count + 1, 1201 + 30)
    changed_lines = await _lines(database, tenant, changed.id)
    assert sum(line[6] for line in changed_lines) == changed.net_fen  # type: ignore[misc]
    assert len(changed_lines) == changed.line_count

    with pytest.raises(Conflict) as refused:
        async with database.transaction() as session:
            await service.do_settle_period(session, tenant.subject, date(2026, 11, 1), shanghai_tomorrow())
    assert refused.value.code == "period_open"


async def test_approval_locks_and_later_changes_land_in_the_next_period(
    database: Database, tenant: TenantFixture
) -> None:
    sku = f"AF5-{tenant.slug}"
    await set_up_dealer(
        database, tenant, organization_id=tenant.dealer_id, code=f"X{tenant.tenant_id}", regions=["330106"]
    )
    await _import(
        database,
        tenant,
        [_order("B1", sku, "200.00", "2026-09-10 12:00:00"), _order("B2", sku, "100.00", "2026-09-11 12:00:00")],
    )
    september = (await _settle(database, tenant, SEPTEMBER)).statements[0]
    async with database.transaction() as session:
        approved = await service.do_approve(session, tenant.subject, september.id)
    assert approved.status == StatementStatus.APPROVED
    async with database.transaction(write=False) as session:
        chain = await audit_service.verify_chain(session, tenant.tenant_id)
    assert chain.ok
    assert chain.counts_by_kind.get("settlement_approved") == 1
    assert chain.counts_by_kind.get("agreement_version") == 1
    assert approved.net_fen == 900
    # After approval: B1 is refunded, B2's amount is corrected, and a September order arrives late.
    await _import(
        database,
        tenant,
        [
            _order("B1", sku, "200.00", "2026-09-10 12:00:00", status="收货后退款完结"),
            _order("B2", sku, "110.00", "2026-09-11 12:00:00"),
            _order("B3", sku, "50.00", "2026-09-20 12:00:00"),
            _order("B4", sku, "40.00", "2026-10-05 12:00:00"),
        ],
    )
    locked = await _settle(database, tenant, SEPTEMBER)
    assert locked.locked == [tenant.dealer_id]
    assert locked.statements[0].fingerprint == approved.fingerprint
    october = (await _settle(database, tenant, OCTOBER)).statements[0]
    lines = await _lines(database, tenant, october.id)
    kinds = {(line[1], line[6], line[7]) for line in lines}
    assert (LineKind.COMMISSION, 120, None) in kinds  # B4 in its own period
    assert (LineKind.CLAWBACK, -600, None) in kinds  # B1's commission back
    assert (LineKind.ADJUSTMENT, 30, september.id) in kinds  # B2: 330 instead of 300
    assert (LineKind.ADJUSTMENT, 150, september.id) in kinds  # B3 arrived after approval
    assert october.net_fen == 120 - 600 + 30 + 150
    # No fen created or lost: everything paid equals 3 % of what is still sold, B1 refunded.
    assert approved.net_fen + october.net_fen == 330 + 150 + 120
    async with database.transaction() as session:
        await service.do_approve(session, tenant.subject, october.id)
    november = (await _settle(database, tenant, (date(2026, 11, 1), date(2026, 11, 2)))).statements[0]
    assert november.net_fen == 0
    assert november.line_count == 0


async def test_exports_and_who_may_see_statements(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    sku = f"AF5-{tenant.slug}"
    await set_up_dealer(
        database, tenant, organization_id=tenant.dealer_id, code=f"X{tenant.tenant_id}", regions=["330106"]
    )
    await _import(database, tenant, [_order("C1", sku, "299.99", "2026-10-10 12:00:00")])
    response = await client.post(
        "/api/v1/settlements", json={"period_start": "2026-10-01", "period_end": "2026-11-01"}, headers=tenant.headers()
    )
    assert response.status_code == 200, response.text
    statement = next(s for s in response.json()["statements"] if s["dealer_id"] == tenant.dealer_id)
    open_period = await client.post(
        "/api/v1/settlements",
        json={"period_start": "2026-11-01", "period_end": (date.today() + timedelta(days=2)).isoformat()},
        headers=tenant.headers(),
    )
    assert open_period.status_code == 409
    assert open_period.json()["error"]["code"] == "period_open"
    exported = await client.get(f"/api/v1/settlements/{statement['id']}/export?format=csv", headers=tenant.headers())
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[1][1] == "commission"
    assert rows[1][7] == "9.00"
    assert rows[-1][7] == "9.00"
    book = await client.get(f"/api/v1/settlements/{statement['id']}/export", headers=tenant.headers())
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    assert sheet["D2"].value == "9.00"
    assert (
        await client.get(f"/api/v1/settlements/{statement['id']}", headers=other_tenant.headers())
    ).status_code == 404
    csrf = await console_login(client, tenant.member_emails[Role.DEALER_STAFF])
    mine = await client.get("/api/v1/settlements")
    assert {s["dealer_id"] for s in mine.json()} == {tenant.dealer_id}
    approve = await client.post(f"/api/v1/settlements/{statement['id']}/approve", headers={"X-CSRF-Token": csrf})
    assert approve.status_code == 403


@given(
    base=st.lists(st.integers(min_value=0, max_value=10**10), min_size=1, max_size=200),
    bps=st.integers(min_value=0, max_value=10_000),
)
def test_commission_rounds_half_up_per_line_and_totals_are_the_sum_of_lines(base: list[int], bps: int) -> None:
    amounts = commission_fen(np.array(base, dtype=np.int64), np.full(len(base), bps, dtype=np.int64))
    expected = [int((Decimal(b) * bps / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP)) for b in base]
    assert amounts.tolist() == expected
    assert int(amounts.sum()) == sum(expected)
    clawed = -amounts  # a clawback reverses exactly: nothing is left over
    assert int((amounts + clawed).sum()) == 0


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    orders=st.lists(
        st.tuples(st.integers(min_value=1, max_value=2_000_000), st.booleans(), st.booleans()), min_size=1, max_size=8
    )
)
async def test_no_fen_is_created_or_lost_across_refunds_and_adjustments(
    database: Database, orders: list[tuple[int, bool, bool]]
) -> None:
    """Settle September, approve; then refund some orders and correct others; settle and approve
    October: what the dealer got equals the commission on what is still sold, to the fen."""
    from tests.factories import make_tenant

    tenant = await make_tenant(database)
    sku = f"AF5-{tenant.slug}"
    await set_up_dealer(
        database, tenant, organization_id=tenant.dealer_id, code=f"P{tenant.tenant_id}", regions=["330106"]
    )

    def yuan(fen: int) -> str:
        return f"{fen // 100}.{fen % 100:02d}"

    await _import(
        database,
        tenant,
        [_order(f"P{i}", sku, yuan(fen), "2026-09-15 12:00:00") for i, (fen, _, _) in enumerate(orders)],
    )
    first = (await _settle(database, tenant, SEPTEMBER)).statements[0]
    async with database.transaction() as session:
        await service.do_approve(session, tenant.subject, first.id)
    changed = []
    final: list[int] = []
    for i, (fen, refunded, corrected) in enumerate(orders):
        new_fen = fen + 7 if corrected else fen
        status = "收货后退款完结" if refunded else "已完成"
        changed.append(_order(f"P{i}", sku, yuan(new_fen), "2026-09-15 12:00:00", status=status))
        if not refunded:
            final.append(new_fen)
    await _import(database, tenant, changed)
    second = (await _settle(database, tenant, OCTOBER)).statements[0]
    rerun = (await _settle(database, tenant, OCTOBER)).statements[0]
    assert rerun.fingerprint == second.fingerprint
    lines = await _lines(database, tenant, second.id)
    assert sum(line[6] for line in lines) == second.net_fen  # type: ignore[misc]
    expected = int(commission_fen(np.array(final, dtype=np.int64), np.full(len(final), 300, dtype=np.int64)).sum())
    assert first.net_fen + second.net_fen == expected


async def test_console_settles_a_period_approves_and_dealer_staff_see_their_statement(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    sku = f"AF5-{tenant.slug}"
    await set_up_dealer(
        database, tenant, organization_id=tenant.dealer_id, code=f"X{tenant.tenant_id}", regions=["330106"]
    )
    await _import(database, tenant, [_order("W1", sku, "299.99", "2026-10-10 12:00:00")])
    csrf = await console_login(client, tenant.owner_email)
    tomorrow = shanghai_tomorrow().isoformat()
    refused = await client.post(
        "/settlements", data={"csrf_token": csrf, "period_start": "2026-11-01", "period_end": tomorrow}
    )
    assert refused.status_code == 422
    assert "这个期间还没有结束" in refused.text
    done = await client.post(
        "/settlements", data={"csrf_token": csrf, "period_start": "2026-10-01", "period_end": "2026-11-01"}
    )
    assert done.status_code == 303
    listing = await client.get("/settlements")
    assert "¥9.00" in listing.text
    assert "草稿" in listing.text
    async with database.transaction(write=False) as session:
        [statement] = await service.list_statements(session, tenant.subject, dealer_id=tenant.dealer_id)
    page = await client.get(f"/settlements/{statement.id}")
    assert "佣金" in page.text
    assert "W1" in page.text
    approved = await client.post(f"/settlements/{statement.id}/approve", data={"csrf_token": csrf})
    assert approved.status_code == 303
    assert "已审批（锁定）" in (await client.get(f"/settlements/{statement.id}")).text
    await client.post("/logout", data={"csrf_token": csrf})
    await console_login(client, tenant.member_emails[Role.DEALER_STAFF])
    mine = await client.get("/settlements")
    assert f"#{statement.id}" in mine.text
    assert "结算一个期间" not in mine.text


async def _agreement_of(database: Database, dealer_id: int) -> int:
    async with database.transaction(write=False) as session:
        return int(
            (await session.execute(select(Agreement.id).where(Agreement.organization_id == dealer_id))).scalar_one()
        )


async def test_lines_never_name_another_tenants_agreement_though_the_line_table_has_no_foreign_keys(
    database: Database, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    """A missed deadline whose agreement is another tenant's (data the ticket's own foreign key lets
    through) makes settlement refuse before writing anything, not store a line pointing across tenants."""
    sku = f"AF5-{tenant.slug}"
    await set_up_dealer(
        database, tenant, organization_id=tenant.dealer_id, code=f"R{tenant.tenant_id}", regions=["330106"]
    )
    await set_up_dealer(
        database, other_tenant, organization_id=other_tenant.dealer_id, code=f"R{other_tenant.tenant_id}", regions=[]
    )
    own, foreign = (
        await _agreement_of(database, tenant.dealer_id),
        await _agreement_of(database, other_tenant.dealer_id),
    )
    await _import(database, tenant, [_order("R1", sku, "100.00", "2026-10-10 12:00:00")])
    opened = datetime(2026, 10, 2, 2, tzinfo=UTC)
    await open_ticket(database, tenant.subject, "R2", sku, XIHU.format(2), now=opened)
    async with database.transaction() as session:
        await desk_service.check_deadlines(session, tenant.subject, opened + timedelta(hours=5))
        await session.execute(
            update(DeadlineBreach).where(DeadlineBreach.tenant_id == tenant.tenant_id).values(agreement_id=foreign)
        )
        breaches = select(DeadlineBreach.agreement_id).where(DeadlineBreach.tenant_id == tenant.tenant_id)
        assert list((await session.execute(breaches)).scalars()) == [foreign]

    with pytest.raises(Conflict) as refused:
        await _settle(database, tenant, OCTOBER)
    assert refused.value.code == "settlement_reference_invalid"
    assert refused.value.details == {"missing": [{"kind": "agreement", "id": foreign}]}
    async with database.transaction(write=False) as session:
        assert await service.list_statements(session, tenant.subject, dealer_id=tenant.dealer_id) == []

    async with database.transaction() as session:
        await session.execute(
            update(DeadlineBreach).where(DeadlineBreach.tenant_id == tenant.tenant_id).values(agreement_id=own)
        )
    statement = (await _settle(database, tenant, OCTOBER)).statements[0]
    async with database.transaction(write=False) as session:
        lines = await service.statement_lines(session, tenant.subject, statement.id)
    assert {(line.kind, line.agreement_id, line.tenant_id) for line in lines} == {
        (LineKind.COMMISSION, own, tenant.tenant_id),
        (LineKind.PENALTY, own, tenant.tenant_id),
    }


async def test_the_set_wise_reference_check_finds_every_statement_and_agreement_outside_the_dealer_or_tenant(
    database: Database, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    """Statements a line names must be its dealer's; agreements its tenant's (a ticket moved to
    another dealer keeps the agreement its deadlines came from)."""
    await set_up_dealer(database, tenant, organization_id=tenant.dealer_id, code=f"S{tenant.tenant_id}", regions=[])
    second_dealer = await set_up_dealer(database, tenant, code=f"T{tenant.tenant_id}", regions=[])
    await set_up_dealer(
        database, other_tenant, organization_id=other_tenant.dealer_id, code=f"S{other_tenant.tenant_id}", regions=[]
    )
    async with database.transaction() as session:
        own, second = (
            await service.do_settle_period(
                session, tenant.subject, *OCTOBER, dealer_ids=[tenant.dealer_id, second_dealer]
            )
        ).statements
        (foreign,) = (
            await service.do_settle_period(session, other_tenant.subject, *OCTOBER, dealer_ids=[other_tenant.dealer_id])
        ).statements
    agreements = {
        "own": await _agreement_of(database, tenant.dealer_id),
        "second dealer's": await _agreement_of(database, second_dealer),
        "other tenant's": await _agreement_of(database, other_tenant.dealer_id),
    }
    missing_id = 10**12
    async with database.transaction(write=False) as session:
        repository = StatementRepository(session)
        assert await repository.missing_references(own, {agreements["own"]}, set()) == []
        found = await repository.missing_references(
            own,
            {*agreements.values(), missing_id},
            {own.id, second.id, foreign.id, missing_id},
        )
    assert found == sorted(
        [
            ("agreement", agreements["other tenant's"]),
            ("agreement", missing_id),
            ("statement", second.id),
            ("statement", foreign.id),
            ("statement", missing_id),
        ]
    )
