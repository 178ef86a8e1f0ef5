"""Audit chain benchmark: appending and verifying, against the machine's raw hashing and insert limits.

    .venv/bin/python bench/audit_chain.py [--entries 100000] [--postgres postgresql+asyncpg://…]

In one run on a fresh database (SQLite; PostgreSQL too when a URL is given) it prints entries/s for:
  raw sha256     hashlib over the same bytes the chain hashes (the CPU limit of hashing)
  raw insert     the engine's own bulk insert of the same finished rows (sqlite3 executemany in one
                 transaction / asyncpg COPY)
  append         audit_service.append_audit_records in batches of 500 (one ingest batch's orders),
                 one transaction per batch: canonical JSON, hashing, head lock, insert
  verify         audit_service.verify_chain over the whole chain
and the cost of chaining inside ingestion: simulated events (with their paid and refunded orders)
through do_ingest in batches of 5,000, and the share of that time spent in record_live_orders.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from alembic import command as alembic_command

from livebridge.audit import service as audit_service
from livebridge.audit.chain import GENESIS_HASH, canonical_json, entry_hash
from livebridge.authz import Permission, Subject, command_line_subject
from livebridge.cli import alembic_config
from livebridge.config import Settings
from livebridge.db import Database
from livebridge.ingest import service as ingest_service
from livebridge.ingest.schemas import encode
from livebridge.live import service as live_service
from livebridge.live.schemas import SessionCreate
from livebridge.models import Platform
from livebridge.simulate.generator import generate_events
from livebridge.simulate.scenario import AudienceModel, Scenario, example_shelf
from livebridge.tenancy import service as tenancy_service
from livebridge.tenancy.schemas import TenantCreate

APPEND_BATCH = 500
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def order_payload(number: int) -> dict[str, Any]:
    return {"session_id": 1, "source": "douyin", "event_id": f"p{number}", "order_id": f"o{number}",
            "sku_code": "AF5-5L", "quantity": 1, "amount_fen": 29_900, "buyer": f"viewer-{number % 5000}",
            "occurred_at": "2026-11-23T12:00:00.000000Z"}


def finished_rows(tenant_id: int, count: int) -> list[tuple[Any, ...]]:
    rows, previous = [], GENESIS_HASH
    for seq in range(1, count + 1):
        payload = canonical_json(order_payload(seq))
        current = entry_hash(previous, tenant_id, "order_paid", f"order:o{seq}", NOW, payload)
        rows.append((tenant_id, seq, "order_paid", f"order:o{seq}", payload, NOW, previous, current, False))
        previous = current
    return rows


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>12,.0f}"


async def make_tenant(database: Database) -> tuple[int, Subject]:
    async with database.transaction() as session:
        tenant = await tenancy_service.do_create_tenant(session, command_line_subject(), TenantCreate(
            slug=f"bench-{uuid.uuid4().hex[:8]}", name="bench", owner_email=f"{uuid.uuid4().hex[:8]}@bench.test",
            owner_name="bench", owner_password="bench-password"))
    return tenant.id, Subject(display_name="bench", tenant_id=tenant.id, permissions=frozenset(Permission))


async def raw_insert(url: str, rows: list[tuple[Any, ...]]) -> float:
    columns = ("tenant_id", "seq", "kind", "reference", "payload", "recorded_at", "prev_hash", "entry_hash",
               "is_simulated")
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.split(":///", 1)[1])
        text_rows = [(*row[:5], row[5].strftime("%Y-%m-%d %H:%M:%S.%f"), *row[6:]) for row in rows]
        started = time.perf_counter()
        with connection:
            connection.executemany(
                f"INSERT INTO audit_entries ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", text_rows)
        elapsed = time.perf_counter() - started
        connection.close()
        return elapsed
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    started = time.perf_counter()
    await connection.copy_records_to_table("audit_entries", records=rows, columns=columns)
    elapsed = time.perf_counter() - started
    await connection.close()
    return elapsed


def simulated_lines(namespace: str) -> list[bytes]:
    scenario = Scenario(start=datetime.now(UTC) - timedelta(hours=3), duration=timedelta(hours=2),
                        shelf=example_shelf(), audience=AudienceModel(viewers=60_000), seed=3, id_namespace=namespace)
    return [encode(event) for event in generate_events(scenario)]


async def ingest_rate(database: Database, subject: Subject, lines: list[bytes]) -> tuple[float, int]:
    async with database.transaction() as session:
        live = await live_service.do_create_session(session, subject, SessionCreate(
            title="bench", platform=Platform.DOUYIN, scheduled_start_at=datetime.now(UTC), host_ids=[]))
    started = time.perf_counter()
    for offset in range(0, len(lines), ingest_service.MAX_BATCH_EVENTS):
        chunk = lines[offset:offset + ingest_service.MAX_BATCH_EVENTS]
        async with database.transaction() as session:
            await ingest_service.do_ingest(session, subject, live.id, list(enumerate(chunk, start=offset + 1)))
    return time.perf_counter() - started, live.id


async def run(label: str, url: str, entries: int) -> None:
    database = Database(Settings(database_url=url, secret_key="bench", environment="test"))
    try:
        tenant_id, _ = await make_tenant(database)
        rows = finished_rows(tenant_id, entries)
        materials = [json.dumps([r[6], tenant_id, r[2], r[3], "2026-11-23T12:00:00.000000Z", r[4]],
                                ensure_ascii=False, separators=(",", ":")).encode() for r in rows]
        started = time.perf_counter()
        for material in materials:
            hashlib.sha256(material).hexdigest()
        hash_seconds = time.perf_counter() - started
        insert_seconds = await raw_insert(url, rows)

        append_tenant, _ = await make_tenant(database)
        records = [audit_service.AuditRecord("order_paid", f"order:o{n}", order_payload(n)) for n in range(entries)]
        started = time.perf_counter()
        for offset in range(0, entries, APPEND_BATCH):
            async with database.transaction() as session:
                await audit_service.append_audit_records(session, append_tenant, records[offset:offset + APPEND_BATCH])
        append_seconds = time.perf_counter() - started
        started = time.perf_counter()
        async with database.transaction(write=False) as session:
            report = await audit_service.verify_chain(session, append_tenant)
        verify_seconds = time.perf_counter() - started
        assert report.ok, report
        assert report.entries == entries, report

        print(f"\n{label}: audit chain, {entries:,} order entries")
        print(f"  {'path':<44}{'entries/s':>12}{'vs raw':>9}")
        print(f"  {'raw sha256 of the same bytes':<44}{rate(entries, hash_seconds)}")
        print(f"  {'raw engine bulk insert of the same rows':<44}{rate(entries, insert_seconds)}{1:>9.2f}")
        print(f"  {'append_audit_records, batches of 500':<44}{rate(entries, append_seconds)}"
              f"{insert_seconds / append_seconds:>9.2f}")
        print(f"  {'verify_chain (read, rehash, compare)':<44}{rate(entries, verify_seconds)}"
              f"{hash_seconds / verify_seconds:>9.2f} of raw sha256")

        _, subject = await make_tenant(database)
        lines = simulated_lines(f"bench-{uuid.uuid4().hex[:6]}")
        orders = sum(1 for line in lines if b'"order_paid"' in line or b'"order_refunded"' in line)
        original = audit_service.record_live_orders
        chaining = 0.0

        async def timed(*args: Any) -> Any:
            nonlocal chaining
            started = time.perf_counter()
            try:
                return await original(*args)
            finally:
                chaining += time.perf_counter() - started

        audit_service.record_live_orders = timed  # type: ignore[assignment]
        try:
            total, _ = await ingest_rate(database, subject, lines)
        finally:
            audit_service.record_live_orders = original
        print(f"  ingest of {len(lines):,} simulated events ({orders:,} paid/refunded orders), batches of 5,000: "
              f"{len(lines) / total:,.0f} events/s;")
        print(f"    chaining the orders took {chaining:.2f} s of {total:.2f} s ({100 * chaining / total:.1f} %)")
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--postgres", help="postgresql+asyncpg://… of a server to create a scratch database on")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        alembic_command.upgrade(alembic_config(url), "head")
        asyncio.run(run("SQLite", url, args.entries))
    if args.postgres:
        name = f"lbbench_{uuid.uuid4().hex[:8]}"
        admin = args.postgres.replace("postgresql+asyncpg://", "postgresql://")

        async def admin_execute(statement: str) -> None:
            connection = await asyncpg.connect(admin)
            try:
                await connection.execute(statement)
            finally:
                await connection.close()

        asyncio.run(admin_execute(f'CREATE DATABASE "{name}"'))
        try:
            url = args.postgres.rsplit("/", 1)[0] + "/" + name
            alembic_command.upgrade(alembic_config(url), "head")
            asyncio.run(run("PostgreSQL", url, args.entries))
        finally:
            asyncio.run(admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
