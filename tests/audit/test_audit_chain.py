"""The audit chain: orders are chained in the ingest transaction, and tampering is found exactly.

Each test edits rows of its own tenant directly in the database (as an intruder with database
access would) and checks that verification names the first entry that was changed, removed or
reordered.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import ColumnElement, Executable, delete, select, update
from typer.testing import CliRunner

from livebridge.audit import service as audit_service
from livebridge.audit.chain import GENESIS_HASH, canonical_json, entry_hash
from livebridge.audit.service import AuditRecord
from livebridge.cli import app as cli_app
from livebridge.config import get_settings
from livebridge.db import Database
from livebridge.models import AuditChainHead, AuditCheckpoint, AuditEntry
from tests.factories import TenantFixture

T0 = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)
NDJSON = {"Content-Type": "application/x-ndjson"}


def order_events(count: int, *, refunds: int = 0) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    for number in range(count):
        at = T0 + timedelta(seconds=number)
        events.append({"type": "enter", "event_id": f"e{number}", "occurred_at": at.isoformat(),
                       "viewer_id": f"v{number}"})
        events.append({"type": "order_paid", "event_id": f"p{number}", "occurred_at": at.isoformat(),
                       "viewer_id": f"v{number}", "order_id": f"o{number}", "sku_code": "AF5",
                       "amount_fen": 10_000 + number})
    for number in range(refunds):
        at = T0 + timedelta(minutes=30, seconds=number)
        events.append({"type": "order_refunded", "event_id": f"r{number}", "occurred_at": at.isoformat(),
                       "viewer_id": f"v{number}", "order_id": f"o{number}", "sku_code": "AF5",
                       "amount_fen": 10_000 + number})
    return events


async def ingest(client: httpx.AsyncClient, tenant: TenantFixture, events: list[dict[str, object]]) -> None:
    body = "\n".join(json.dumps(event) for event in events)
    response = await client.post(f"/api/v1/sessions/{tenant.session_id}/events", content=body,
                                 headers={**tenant.headers(), **NDJSON})
    assert response.status_code == 200, response.text


async def chain_of(database: Database, tenant: TenantFixture) -> list[AuditEntry]:
    async with database.transaction(write=False) as session:
        statement = select(AuditEntry).where(AuditEntry.tenant_id == tenant.tenant_id).order_by(AuditEntry.seq)
        return list((await session.execute(statement)).scalars())


async def verify(database: Database, tenant: TenantFixture) -> audit_service.VerifyReport:
    async with database.transaction(write=False) as session:
        return await audit_service.verify_chain(session, tenant.tenant_id)


async def test_paid_and_refunded_orders_are_chained_once_per_stored_event(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    events = order_events(6, refunds=2)
    await ingest(client, tenant, events[:8])
    await ingest(client, tenant, events)  # a retry overlapping the first batch adds only the new orders
    entries = await chain_of(database, tenant)
    assert [e.seq for e in entries] == list(range(1, 9))
    assert [e.kind for e in entries].count("order_paid") == 6
    assert [e.kind for e in entries].count("order_refunded") == 2
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.entry_hash for earlier, later in itertools.pairwise(entries))
    first = json.loads(entries[0].payload)
    assert first == {"amount_fen": 10_000, "buyer": "v0", "event_id": "p0",
                     "occurred_at": "2026-11-11T12:00:00.000000Z", "order_id": "o0", "quantity": 1,
                     "session_id": tenant.session_id, "sku_code": "AF5", "source": "api"}
    assert entries[0].reference == "order:o0"
    report = await verify(database, tenant)
    assert report.ok, report.problem
    assert (report.entries, report.head_seq) == (8, 8)
    assert report.counts_by_kind == {"order_paid": 6, "order_refunded": 2}


async def test_record_live_orders_chains_only_order_rows_in_one_append(
    database: Database, tenant: TenantFixture
) -> None:
    rows = [
        {"type": kind, "session_id": tenant.session_id, "source": "douyin", "event_id": f"x{n}", "order_id": f"o{n}",
         "sku_code": "AF5", "quantity": 2, "amount_fen": 500, "viewer_key": "buyer", "occurred_at": T0,
         "is_simulated": True}
        for n, kind in enumerate(["enter", "order_paid", "comment", "order_refunded", "order_created"])
    ]
    async with database.transaction() as session:
        result = await audit_service.record_live_orders(session, tenant.tenant_id, rows)
        nothing = await audit_service.record_live_orders(session, tenant.tenant_id, rows[:1])
    assert result is not None
    assert (result.first_seq, result.last_seq) == (1, 2)
    assert nothing is None
    entries = await chain_of(database, tenant)
    assert [(e.kind, e.reference, e.is_simulated) for e in entries] == [
        ("order_paid", "order:o1", True), ("order_refunded", "order:o3", True)]


async def _chain(database: Database, tenant: TenantFixture, count: int) -> None:
    async with database.transaction() as session:
        await audit_service.append_audit_records(session, tenant.tenant_id, [
            AuditRecord("settlement_approved", f"statement:{n}", {"net_fen": 1000 * n, "dealer": "杭州西湖"})
            for n in range(1, count + 1)])


async def _execute(database: Database, *statements: Executable) -> None:
    async with database.transaction() as session:
        for statement in statements:
            await session.execute(statement)


def _entry(tenant: TenantFixture, seq: int) -> ColumnElement[bool]:
    return (AuditEntry.tenant_id == tenant.tenant_id) & (AuditEntry.seq == seq)


async def test_an_edited_payload_is_caught_at_that_entry(database: Database, tenant: TenantFixture) -> None:
    await _chain(database, tenant, 10)
    assert (await verify(database, tenant)).ok
    await _execute(database, update(AuditEntry).where(_entry(tenant, 4)).values(
        payload=canonical_json({"net_fen": 1, "dealer": "杭州西湖"})))
    problem = (await verify(database, tenant)).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (4, "changed")


async def test_a_deleted_entry_is_caught_as_removed(database: Database, tenant: TenantFixture) -> None:
    await _chain(database, tenant, 10)
    await _execute(database, delete(AuditEntry).where(_entry(tenant, 6)))
    problem = (await verify(database, tenant)).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (6, "removed")


async def test_a_removed_tail_is_caught_through_the_head(database: Database, tenant: TenantFixture) -> None:
    await _chain(database, tenant, 10)
    await _execute(database, delete(AuditEntry).where(AuditEntry.tenant_id == tenant.tenant_id, AuditEntry.seq > 8))
    problem = (await verify(database, tenant)).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (9, "removed")


async def test_two_swapped_entries_are_caught_as_reordered(database: Database, tenant: TenantFixture) -> None:
    await _chain(database, tenant, 10)
    await _execute(
        database,
        update(AuditEntry).where(_entry(tenant, 3)).values(seq=-3),
        update(AuditEntry).where(_entry(tenant, 7)).values(seq=3),
        update(AuditEntry).where(_entry(tenant, -3)).values(seq=7),
    )
    problem = (await verify(database, tenant)).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (3, "reordered")
    assert "now at 6" in problem.message


async def test_an_entry_rewritten_with_its_own_hash_is_caught_at_that_entry(
    database: Database, tenant: TenantFixture
) -> None:
    await _chain(database, tenant, 10)
    entries = await chain_of(database, tenant)
    target = entries[4]
    forged = canonical_json({"net_fen": 1, "dealer": "杭州西湖"})
    forged_hash = entry_hash(target.prev_hash, tenant.tenant_id, target.kind, target.reference, target.recorded_at,
                             forged)
    await _execute(database, update(AuditEntry).where(_entry(tenant, 5)).values(payload=forged, entry_hash=forged_hash))
    problem = (await verify(database, tenant)).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (5, "changed")


async def test_a_chain_rewritten_to_the_end_is_caught_by_its_checkpoint(
    database: Database, tenant: TenantFixture
) -> None:
    """An intruder who recomputes every hash after the edit and moves the head still disagrees with the checkpoint."""
    await _chain(database, tenant, 10)
    async with database.transaction() as session:
        assert (await audit_service.do_checkpoint(session, tenant.tenant_id))[0] == 10
    await _chain(database, tenant, 2)
    entries = await chain_of(database, tenant)
    previous = entries[2].entry_hash
    statements: list[Executable] = []
    for entry in entries[3:]:
        payload = canonical_json({"net_fen": 0}) if entry.seq == 4 else entry.payload
        new_hash = entry_hash(previous, tenant.tenant_id, entry.kind, entry.reference, entry.recorded_at, payload)
        statements.append(update(AuditEntry).where(_entry(tenant, entry.seq)).values(
            payload=payload, prev_hash=previous, entry_hash=new_hash))
        previous = new_hash
    statements.append(update(AuditChainHead).where(AuditChainHead.tenant_id == tenant.tenant_id).values(
        last_hash=previous))
    await _execute(database, *statements)
    problem = (await verify(database, tenant)).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (10, "rewritten")
    assert "1–10" in problem.message


async def test_a_checkpoint_is_written_every_thousand_entries(database: Database, tenant: TenantFixture) -> None:
    await _chain(database, tenant, 999)
    await _chain(database, tenant, 3)
    async with database.transaction(write=False) as session:
        rows = (await session.execute(select(AuditCheckpoint.seq, AuditCheckpoint.reason, AuditCheckpoint.head_hash)
                                      .where(AuditCheckpoint.tenant_id == tenant.tenant_id))).all()
    entries = await chain_of(database, tenant)
    assert [(seq, reason) for seq, reason, _ in rows] == [(1000, "periodic")]
    assert rows[0][2] == entries[999].entry_hash
    assert (await verify(database, tenant)).ok


async def test_concurrent_writers_never_fork_the_chain(database: Database, tenant: TenantFixture) -> None:
    async def writer(name: str) -> None:
        for n in range(5):
            async with database.transaction() as session:
                await audit_service.append_audit(session, tenant.tenant_id, "agreement_version",
                                                 f"agreement:{name}:v{n}", {"version": n})

    await asyncio.gather(*(writer(name) for name in "abcd"))
    entries = await chain_of(database, tenant)
    assert [e.seq for e in entries] == list(range(1, 21))
    assert (await verify(database, tenant)).ok


async def test_payloads_with_floats_are_refused(database: Database, tenant: TenantFixture) -> None:
    async with database.transaction() as session:
        with pytest.raises(TypeError, match=r"\$\.rate"):
            await audit_service.append_audit(session, tenant.tenant_id, "agreement_version", "a:1", {"rate": 0.05})


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("LIVEBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("LIVEBRIDGE_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


async def test_the_verify_command_says_ok_with_counts_then_names_the_tampered_entry(
    database: Database, tenant: TenantFixture, cli: CliRunner
) -> None:
    await _chain(database, tenant, 5)
    ok = await asyncio.to_thread(cli.invoke, cli_app, ["audit", "verify", "--tenant", tenant.slug])
    assert ok.exit_code == 0, ok.output
    assert "OK" in ok.output
    assert "5 entries (settlement_approved 5)" in ok.output
    await _execute(database, update(AuditEntry).where(_entry(tenant, 2)).values(reference="statement:999"))
    bad = await asyncio.to_thread(cli.invoke, cli_app, ["audit", "verify", "--tenant", tenant.slug, "--json"])
    assert bad.exit_code == 1
    report = json.loads(bad.output)
    assert report["ok"] is False
    assert report["problem"]["seq"] == 2
    assert report["problem"]["kind"] == "changed"
    checkpoint = await asyncio.to_thread(cli.invoke, cli_app, ["audit", "checkpoint", "--tenant", tenant.slug])
    assert checkpoint.exit_code == 0, checkpoint.output
    assert checkpoint.output.startswith(f"{tenant.slug} 5 ")
    missing = await asyncio.to_thread(cli.invoke, cli_app, ["audit", "verify", "--tenant", f"no-such-{os.getpid()}"])
    assert missing.exit_code == 2
    assert "tenant_not_found" in missing.output


@settings(max_examples=300)
@given(prev=st.text(), tenant_id=st.integers(min_value=1, max_value=2**62), kind=st.text(), reference=st.text(),
       payload=st.text(), moment=st.datetimes(min_value=datetime(2000, 1, 1), timezones=st.just(UTC)))
def test_the_hash_is_the_documented_json_array(
    prev: str, tenant_id: int, kind: str, reference: str, payload: str, moment: datetime
) -> None:
    """What docs/audit.md tells anyone to recompute: SHA-256 of json.dumps of the array."""
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    material = json.dumps([prev, tenant_id, kind, reference, stamp, payload], ensure_ascii=False,
                          separators=(",", ":"))
    assert entry_hash(prev, tenant_id, kind, reference, moment, payload) == hashlib.sha256(
        material.encode("utf-8")).hexdigest()


async def test_a_tenant_verifies_its_own_chain_over_the_api(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    await _chain(database, tenant, 3)
    ok = await client.get("/api/v1/audit/verify", headers=tenant.headers())
    assert ok.status_code == 200
    assert ok.json() == {"ok": True, "entries": 3, "head_seq": 3, "checkpoints": 0,
                         "counts_by_kind": {"settlement_approved": 3}, "problem": None}
    await _execute(database, delete(AuditEntry).where(_entry(tenant, 2)))
    broken = (await client.get("/api/v1/audit/verify", headers=tenant.headers())).json()
    assert broken["ok"] is False
    assert broken["problem"]["seq"] == 2
    assert broken["problem"]["kind"] == "removed"
    theirs = (await client.get("/api/v1/audit/verify", headers=other_tenant.headers())).json()
    assert (theirs["ok"], theirs["entries"]) == (True, 0)
