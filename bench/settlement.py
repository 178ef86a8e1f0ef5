"""Settlement benchmark: one dealer, one period, N completed live orders (default 1,000,000).

    PYTHONPATH=src .venv/bin/python bench/settlement.py [--orders 1000000]

On a fresh SQLite database it loads N simulated orders (not timed), then prints in one run:
  raw select   the engine reading the same five columns of the period's orders (sqlite3, the read limit)
  raw insert   the engine writing N finished line rows in one transaction (sqlite3 executemany, the write limit)
  compute      the NumPy arithmetic alone (rates in force, half-up commission, totals, fingerprint)
  settle       settlement.service.do_settle_period end to end: read, compute, write every line
  re-run       the same call again (deletes and rewrites the draft; the fingerprint must not change)
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
from alembic import command as alembic_command

from livebridge.authz import Permission, Subject, command_line_subject
from livebridge.cli import alembic_config
from livebridge.config import Settings
from livebridge.db import Database
from livebridge.dealers import service as dealers_service
from livebridge.dealers.schemas import AgreementCreate, CapabilityOffer, Deadline, DealerSetup
from livebridge.models import Capability, LineKind, OrganizationKind, RefType, TicketKind
from livebridge.settlement import service as settlement_service
from livebridge.settlement.compute import Lines, commission_fen, rates_at
from livebridge.settlement.repository import LINE_COLUMNS
from livebridge.tenancy import service as tenancy_service
from livebridge.tenancy.schemas import OrganizationCreate, TenantCreate

PERIOD = (date(2026, 10, 1), date(2026, 11, 1))
ORDER_INSERT = (
    "INSERT INTO orders (tenant_id, platform, order_no, shop, sku_code, quantity, paid_fen, buyer_hash, "
    "routing_state, status, status_raw, created_at_platform, paid_at, finished_at, traffic_source, dealer_id, "
    "dealer_attribution, flags, content_hash, imported_at, updated_at, is_simulated, district_code) "
    "VALUES (?, 'douyin', ?, 'bench', 'SKU', 1, ?, 'x', 'routed', 'completed', '5', ?, ?, ?, 'live', ?, "
    "'territory', '[]', 'x', ?, ?, 1, '330106')"
)


async def prepare(database: Database) -> tuple[Subject, int]:
    async with database.transaction() as session:
        tenant = await tenancy_service.do_create_tenant(
            session,
            command_line_subject(),
            TenantCreate(
                slug=f"bench-{uuid.uuid4().hex[:8]}",
                name="bench",
                owner_email=f"{uuid.uuid4().hex[:8]}@bench.test",
                owner_name="bench",
                owner_password="bench-password-1",
            ),
            is_simulated=True,
        )
        subject = Subject(display_name="bench", tenant_id=tenant.id, permissions=frozenset(Permission))
        dealer = await tenancy_service.do_create_organization(
            session, subject, OrganizationCreate(name="bench dealer", kind=OrganizationKind.DEALER)
        )
        await dealers_service.do_set_up_dealer(
            session,
            subject,
            dealer.id,
            DealerSetup(
                dealer_code="BENCH", capabilities=[CapabilityOffer(capability=Capability.DELIVERY, daily_capacity=1)]
            ),
        )
        deadlines = {kind: Deadline(response_hours=4, resolution_hours=48) for kind in TicketKind}
        for version, (effective, bps) in enumerate(
            [(datetime(2026, 1, 1, tzinfo=UTC), 300), (datetime(2026, 10, 15, tzinfo=UTC), 375)]
        ):
            await dealers_service.do_add_agreement_version(
                session,
                subject,
                dealer.id,
                AgreementCreate(
                    effective_from=effective,
                    service_scope=list(Capability),
                    deadlines=deadlines,
                    commission_bps=bps,
                    ticket_fee_fen=8000,
                    penalty_fen=5000 + version,
                ),
            )
    return subject, dealer.id


def load_orders(path: Path, tenant_id: int, dealer_id: int, count: int) -> None:
    """N completed live orders paid and finished across October (sqlite3 executemany, not timed)."""
    rng = np.random.default_rng(7)
    paid = rng.integers(100, 500_000, size=count)
    seconds = rng.integers(0, 30 * 86_400, size=count)
    start = datetime(2026, 9, 30, 16, tzinfo=UTC)  # 2026-10-01 00:00 in Shanghai
    stamp = "2026-11-20 00:00:00.000000"
    rows = []
    for i in range(count):
        paid_at = (start + timedelta(seconds=int(seconds[i]))).replace(tzinfo=None).isoformat(" ", "microseconds")
        rows.append((tenant_id, f"B{i:09d}", int(paid[i]), paid_at, paid_at, paid_at, dealer_id, stamp, stamp))
    with sqlite3.connect(path) as connection:
        connection.executemany(ORDER_INSERT, rows)


def raw_select(path: Path, tenant_id: int, dealer_id: int) -> tuple[float, int]:
    begin = time.perf_counter()
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT id, order_no, paid_fen, paid_at, created_at_platform FROM orders WHERE tenant_id = ? "
            "AND dealer_id = ? AND status = 'completed' AND traffic_source = 'live'",
            (tenant_id, dealer_id),
        ).fetchall()
    return time.perf_counter() - begin, len(rows)


def raw_insert(path: Path, count: int) -> float:
    rows = [(1, 1, i, "commission", None, "order", i, f"B{i:09d}", 29_900, 300, 897, None, None) for i in range(count)]
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TEMP TABLE lines_copy AS SELECT * FROM settlement_lines WHERE 0")
        columns = ", ".join(LINE_COLUMNS)
        begin = time.perf_counter()
        connection.executemany(
            f"INSERT INTO lines_copy ({columns}) VALUES ({', '.join('?' * len(LINE_COLUMNS))})", rows
        )
        connection.commit()
        return time.perf_counter() - begin


def compute_only(count: int) -> float:
    rng = np.random.default_rng(7)
    base = rng.integers(100, 500_000, size=count).astype(np.int64)
    ids = np.arange(count, dtype=np.int64)
    paid_at = rng.integers(1_790_000_000, 1_792_000_000, size=count).astype(np.int64)
    labels = [f"B{i:09d}" for i in range(count)]
    begin = time.perf_counter()
    effective = np.array([1_767_225_600, 1_791_000_000], dtype=np.int64)
    rates = rates_at(paid_at, effective, np.array([300, 375], dtype=np.int64))
    agreements = rates_at(paid_at, effective, np.array([1, 2], dtype=np.int64))
    lines = Lines()
    lines.add(LineKind.COMMISSION, RefType.ORDER, ids, labels, base, rates, commission_fen(base, rates), agreements)
    lines.totals()
    lines.fingerprint()
    return time.perf_counter() - begin


async def settle(database: Database, subject: Subject, dealer_id: int) -> tuple[float, str, int, int]:
    begin = time.perf_counter()
    async with database.transaction() as session:
        result = await settlement_service.do_settle_period(session, subject, *PERIOD, dealer_ids=[dealer_id])
    statement = result.statements[0]
    return time.perf_counter() - begin, statement.fingerprint, statement.line_count, statement.net_fen


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        alembic_command.upgrade(alembic_config(url), "head")
        asyncio.run(run(path, url, count))


async def run(path: Path, url: str, count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(Settings(database_url=url, var_dir=Path(tmp), secret_key="bench", environment="test"))
        subject, dealer_id = await prepare(database)
        assert subject.tenant_id is not None
        load_orders(path, subject.tenant_id, dealer_id, count)
        select_s, selected = raw_select(path, subject.tenant_id, dealer_id)
        insert_s = raw_insert(path, count)
        compute_s = compute_only(count)
        settle_s, fingerprint, lines, net = await settle(database, subject, dealer_id)
        rerun_s, again, _, _ = await settle(database, subject, dealer_id)
        await database.dispose()
    assert selected == lines == count
    assert again == fingerprint
    print(f"orders: {count:,}  lines: {lines:,}  net: ¥{net / 100:,.2f}  fingerprint {fingerprint[:12]}…")
    print(f"raw select   {select_s:6.2f} s   {count / select_s:12,.0f} rows/s   (sqlite3, the read limit)")
    print(f"raw insert   {insert_s:6.2f} s   {count / insert_s:12,.0f} rows/s   (sqlite3 executemany, the write limit)")
    print(f"compute      {compute_s:6.2f} s   {count / compute_s:12,.0f} orders/s (NumPy arithmetic alone)")
    print(
        f"settle       {settle_s:6.2f} s   {count / settle_s:12,.0f} orders/s (read + compute + write, "
        f"{settle_s / (select_s + insert_s):.2f}× the raw select + insert)"
    )
    print(f"re-run       {rerun_s:6.2f} s   {count / rerun_s:12,.0f} orders/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000)
    main(parser.parse_args().orders)
