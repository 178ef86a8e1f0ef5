"""Settlement benchmark: one dealer, one period, N completed live orders (default 1,000,000).

    PYTHONPATH=src .venv/bin/python bench/settlement.py [--orders 1000000] [--postgres postgresql+asyncpg://…]

On a fresh database (SQLite by default; with ``--postgres``, a new scratch database on that server)
it loads N simulated orders (not timed), then prints in one run:
  raw select   the driver reading the same four columns of the period's orders as the service
               does, one row of four arrays (PostgreSQL arrays; JSON arrays on SQLite) — the read limit
  raw insert   the driver writing N line rows to a table without keys or indexes in one transaction
               (SQLite: multi-row INSERTs of 1,000 rows; PostgreSQL: COPY — the write limit)
  compute      the NumPy arithmetic alone (rates in force, half-up commission, totals, fingerprint)
  settle       settlement.service.do_settle_period end to end: read, compute, write every line
  re-run       the same call again on the same data (the fingerprint must not change; the stored
               lines are kept, not rewritten)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Protocol

import asyncpg
import numpy as np
import orjson
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
ORDER_COLUMNS = (
    "tenant_id",
    "order_no",
    "paid_fen",
    "created_at_platform",
    "paid_at",
    "finished_at",
    "dealer_id",
    "imported_at",
    "updated_at",
)
ORDER_CONSTANTS = {
    "platform": "'douyin'",
    "shop": "'bench'",
    "sku_code": "'SKU'",
    "quantity": "1",
    "buyer_hash": "'x'",
    "routing_state": "'routed'",
    "status": "'completed'",
    "status_raw": "'5'",
    "traffic_source": "'live'",
    "dealer_attribution": "'territory'",
    "flags": "'[]'",
    "content_hash": "'x'",
    "is_simulated": "1",
    "district_code": "'330106'",
}
RAW_SELECT = (
    "SELECT id, paid_fen, paid_at, order_no FROM orders WHERE tenant_id = $1 AND dealer_id = $2 "
    "AND status = 'completed' AND traffic_source = 'live'"
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


def order_rows(tenant_id: int, dealer_id: int, count: int) -> list[tuple[object, ...]]:
    """N completed live orders paid and finished across October (in ORDER_COLUMNS order)."""
    rng = np.random.default_rng(7)
    paid = rng.integers(100, 500_000, size=count)
    seconds = rng.integers(0, 30 * 86_400, size=count)
    start = datetime(2026, 9, 30, 16, tzinfo=UTC)  # 2026-10-01 00:00 in Shanghai
    stamp = datetime(2026, 11, 20, tzinfo=UTC)
    rows: list[tuple[object, ...]] = []
    for i in range(count):
        paid_at = start + timedelta(seconds=int(seconds[i]))
        rows.append((tenant_id, f"B{i:09d}", int(paid[i]), paid_at, paid_at, paid_at, dealer_id, stamp, stamp))
    return rows


class Engine(Protocol):
    url: str

    async def load(self, rows: list[tuple[object, ...]]) -> None: ...
    async def raw_select(self, tenant_id: int, dealer_id: int) -> tuple[float, int]: ...
    async def raw_insert(self, count: int) -> float: ...


class SQLiteEngine:
    """sqlite3 itself, on the database file the service uses."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite+aiosqlite:///{path}"

    async def load(self, rows: list[tuple[object, ...]]) -> None:
        def text(value: object) -> object:  # how the UTCDateTime column stores an instant on SQLite
            return value.replace(tzinfo=None).isoformat(" ", "microseconds") if isinstance(value, datetime) else value

        with sqlite3.connect(self.path) as connection:
            connection.executemany(
                f"INSERT INTO orders ({', '.join(ORDER_COLUMNS)}, {', '.join(ORDER_CONSTANTS)}) "
                f"VALUES ({', '.join('?' * len(ORDER_COLUMNS))}, {', '.join(ORDER_CONSTANTS.values())})",
                ([text(v) for v in row] for row in rows),
            )

    async def raw_select(self, tenant_id: int, dealer_id: int) -> tuple[float, int]:
        """As the service reads them on SQLite: one row of four JSON arrays, parsed by orjson."""
        query = RAW_SELECT.replace("$1", "?").replace("$2", "?")
        arrays = "SELECT json_group_array(id), json_group_array(paid_fen), json_group_array(paid_at),"
        arrays += f" json_group_array(order_no) FROM ({query}) AS period"
        begin = time.perf_counter()
        with sqlite3.connect(self.path) as connection:
            ids, *_ = (orjson.loads(a) for a in connection.execute(arrays, (tenant_id, dealer_id)).fetchone())
        return time.perf_counter() - begin, len(ids)

    async def raw_insert(self, count: int) -> float:
        rows = line_rows(count)
        row = f"({', '.join('?' * len(LINE_COLUMNS))})"
        with sqlite3.connect(self.path) as connection:
            connection.execute("CREATE TEMP TABLE lines_copy AS SELECT * FROM settlement_lines WHERE 0")
            columns = ", ".join(LINE_COLUMNS)
            begin = time.perf_counter()
            for first in range(0, count, 1_000):
                chunk = rows[first : first + 1_000]
                connection.execute(
                    f"INSERT INTO lines_copy ({columns}) VALUES {', '.join([row] * len(chunk))}",
                    list(itertools.chain.from_iterable(chunk)),
                )
            connection.commit()
            return time.perf_counter() - begin


class PostgresEngine:
    """asyncpg itself, on a scratch database created for this run."""

    def __init__(self, server_url: str) -> None:
        self.admin = server_url.replace("postgresql+asyncpg://", "postgresql://")
        self.name = f"lbbench_settle_{uuid.uuid4().hex[:8]}"
        self.url = server_url.rsplit("/", 1)[0] + "/" + self.name
        self.dsn = self.url.replace("postgresql+asyncpg://", "postgresql://")

    async def create(self) -> None:
        connection = await asyncpg.connect(self.admin)
        await connection.execute(f'CREATE DATABASE "{self.name}"')
        await connection.close()

    async def drop(self) -> None:
        connection = await asyncpg.connect(self.admin)
        await connection.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
        await connection.close()

    async def load(self, rows: list[tuple[object, ...]]) -> None:
        connection = await asyncpg.connect(self.dsn)
        constants = {column: value.strip("'") for column, value in ORDER_CONSTANTS.items()}
        constants["quantity"] = 1  # type: ignore[assignment]
        constants["is_simulated"] = True  # type: ignore[assignment]
        await connection.copy_records_to_table(
            "orders",
            records=(row + tuple(constants.values()) for row in rows),
            columns=[*ORDER_COLUMNS, *constants],
        )
        await connection.execute("ANALYZE orders")
        await connection.close()

    async def raw_select(self, tenant_id: int, dealer_id: int) -> tuple[float, int]:
        """As the service reads them on PostgreSQL: one row of four arrays."""
        connection = await asyncpg.connect(self.dsn)
        arrays = "SELECT array_agg(id), array_agg(paid_fen), array_agg(paid_at), array_agg(order_no) FROM"
        arrays += f" ({RAW_SELECT}) AS period"
        begin = time.perf_counter()
        ids, *_ = await connection.fetchrow(arrays, tenant_id, dealer_id)
        elapsed = time.perf_counter() - begin
        await connection.close()
        return elapsed, len(ids)

    async def raw_insert(self, count: int) -> float:
        rows = line_rows(count)
        connection = await asyncpg.connect(self.dsn)
        await connection.execute("CREATE TEMP TABLE lines_copy AS SELECT * FROM settlement_lines WHERE false")
        begin = time.perf_counter()
        async with connection.transaction():
            await connection.copy_records_to_table("lines_copy", records=rows, columns=LINE_COLUMNS)
        elapsed = time.perf_counter() - begin
        await connection.close()
        return elapsed


def line_rows(count: int) -> list[tuple[object, ...]]:
    return [(1, 1, i, "commission", None, "order", i, f"B{i:09d}", 29_900, 300, 897, None, None) for i in range(count)]


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


def main(count: int, postgres: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine: Engine
        if postgres:
            engine = PostgresEngine(postgres)
            asyncio.run(engine.create())
        else:
            engine = SQLiteEngine(Path(tmp) / "bench.db")
        try:
            alembic_command.upgrade(alembic_config(engine.url), "head")
            asyncio.run(run(engine, count, Path(tmp)))
        finally:
            if isinstance(engine, PostgresEngine):
                asyncio.run(engine.drop())


async def run(engine: Engine, count: int, var_dir: Path) -> None:
    database = Database(Settings(database_url=engine.url, var_dir=var_dir, secret_key="bench", environment="test"))
    subject, dealer_id = await prepare(database)
    assert subject.tenant_id is not None
    await engine.load(order_rows(subject.tenant_id, dealer_id, count))
    select_s, selected = await engine.raw_select(subject.tenant_id, dealer_id)
    insert_s = await engine.raw_insert(count)
    compute_s = compute_only(count)
    settle_s, fingerprint, lines, net = await settle(database, subject, dealer_id)
    rerun_s, again, _, _ = await settle(database, subject, dealer_id)
    await database.dispose()
    assert selected == lines == count
    assert again == fingerprint
    label = "PostgreSQL" if isinstance(engine, PostgresEngine) else "SQLite"
    print(f"[{label}] orders: {count:,}  lines: {lines:,}  net: ¥{net / 100:,.2f}  fingerprint {fingerprint[:12]}…")
    print(f"raw select   {select_s:6.2f} s   {count / select_s:12,.0f} rows/s   (the driver alone, the read limit)")
    print(f"raw insert   {insert_s:6.2f} s   {count / insert_s:12,.0f} rows/s   (the driver alone, the write limit)")
    print(f"compute      {compute_s:6.2f} s   {count / compute_s:12,.0f} orders/s (NumPy arithmetic alone)")
    print(
        f"settle       {settle_s:6.2f} s   {count / settle_s:12,.0f} orders/s (read + compute + write, "
        f"{settle_s / (select_s + insert_s):.2f}× the raw select + insert)"
    )
    print(f"re-run       {rerun_s:6.2f} s   {count / rerun_s:12,.0f} orders/s (same data: lines kept)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="postgresql+asyncpg://… of a server to create a scratch database on")
    arguments = parser.parse_args()
    main(arguments.orders, arguments.postgres)
