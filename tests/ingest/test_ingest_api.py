"""POST /api/v1/sessions/{id}/events: idempotent, partial rejection, limits, tenant isolation."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy import select, update

from livebridge.auth import service as auth_service
from livebridge.db import Database
from livebridge.ingest import service
from livebridge.ingest.service import MAX_BATCH_EVENTS
from livebridge.models import ApiKey, LiveEventRow
from tests.factories import TenantFixture, console_login

NDJSON = {"Content-Type": "application/x-ndjson"}
T0 = datetime.now(UTC) - timedelta(minutes=30)


def event(number: int, kind: str = "comment", **fields: object) -> dict[str, object]:
    base: dict[str, object] = {"type": kind, "event_id": f"e{number}",
                               "occurred_at": (T0 + timedelta(seconds=number)).isoformat()}
    if kind == "comment":
        base.update(viewer_id=f"v{number % 7}", text=f"3号链接有没有粉色 {number}")
    return {**base, **fields}


def ndjson(items: list[dict[str, object]]) -> bytes:
    return "\n".join(json.dumps(item, ensure_ascii=False) for item in items).encode()


async def push(client: httpx.AsyncClient, tenant: TenantFixture, body: bytes,
               headers: dict[str, str] | None = None, session_id: int | None = None) -> httpx.Response:
    return await client.post(f"/api/v1/sessions/{session_id or tenant.session_id}/events", content=body,
                             headers={**tenant.headers(), **NDJSON, **(headers or {})})


async def stored(database: Database, session_id: int) -> list[LiveEventRow]:
    async with database.transaction(write=False) as session:
        rows = await session.execute(select(LiveEventRow).where(LiveEventRow.session_id == session_id))
        return list(rows.scalars())


async def test_same_batch_twice_is_stored_once(client: httpx.AsyncClient, database: Database,
                                               tenant: TenantFixture) -> None:
    batch = ndjson([event(n) for n in range(1, 101)])
    first = (await push(client, tenant, batch)).json()
    assert first == {"received": 100, "accepted": 100, "duplicates": 0, "rejected": []}
    second = (await push(client, tenant, batch)).json()
    assert second == {"received": 100, "accepted": 0, "duplicates": 100, "rejected": []}
    assert len(await stored(database, tenant.session_id)) == 100


async def test_invalid_lines_are_reported_and_valid_ones_kept(client: httpx.AsyncClient, database: Database,
                                                              tenant: TenantFixture) -> None:
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    lines = [
        json.dumps(event(1)),
        "{not json",
        json.dumps(event(2, kind="teleport")),
        json.dumps({"type": "order_paid", "event_id": "o1", "occurred_at": T0.isoformat(), "order_id": "o1"}),
        "",
        json.dumps(event(3, occurred_at=future)),
        json.dumps(event(4, occurred_at="2026-11-11T20:00:00")),
        json.dumps(event(5, kind="order_paid", order_id="A1", sku_code="AF5", amount_fen=12.5)),
        json.dumps(event(6, text="长" * 2000)),
        json.dumps(event(1)),
        json.dumps(event(7, kind="order_paid", order_id="A2", sku_code="AF5", quantity=2, amount_fen=59800)),
    ]
    body = (await push(client, tenant, "\n".join(lines).encode())).json()
    codes = {r["line"]: r["code"] for r in body["rejected"]}
    assert codes == {2: "malformed_json", 3: "unknown_type", 4: "missing_field", 6: "future_timestamp",
                     7: "invalid_field", 8: "invalid_field"}
    assert "amount_fen" in next(r["message"] for r in body["rejected"] if r["line"] == 8)
    assert body["accepted"] == 3
    assert body["duplicates"] == 1
    rows = {row.event_id: row for row in await stored(database, tenant.session_id)}
    assert set(rows) == {"e1", "e6", "e7"}
    assert len(rows["e6"].text or "") == 500
    assert rows["e7"].amount_fen == 59800
    assert rows["e7"].quantity == 2


async def test_json_array_and_gzip(client: httpx.AsyncClient, database: Database, tenant: TenantFixture) -> None:
    array = json.dumps([event(n, kind="like", count=3) for n in range(1, 6)]).encode()
    response = await push(client, tenant, array, {"Content-Type": "application/json"})
    assert response.json()["accepted"] == 5
    zipped = gzip.compress(ndjson([event(n) for n in range(10, 20)]))
    response = await push(client, tenant, zipped, {"Content-Encoding": "gzip"})
    assert response.json()["accepted"] == 10
    broken = await push(client, tenant, b"not gzip at all", {"Content-Encoding": "gzip"})
    assert broken.status_code == 400
    assert broken.json()["error"]["code"] == "invalid_gzip"


async def test_batch_limit(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    response = await push(client, tenant, ndjson([event(n) for n in range(MAX_BATCH_EVENTS + 1)]))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "batch_too_large"


async def test_personal_viewer_ids_are_hashed(client: httpx.AsyncClient, database: Database,
                                              tenant: TenantFixture) -> None:
    await push(client, tenant, ndjson([event(1, viewer_id="13812345678"), event(2, viewer_id="uid-42")]))
    keys = {row.event_id: row.viewer_key for row in await stored(database, tenant.session_id)}
    assert keys["e2"] == "uid-42"
    assert keys["e1"] is not None
    assert keys["e1"].startswith("h:")
    assert "13812345678" not in keys["e1"]


async def test_wrong_session_tenant_key_or_role(client: httpx.AsyncClient, database: Database,
                                                tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    batch = ndjson([event(1)])
    assert (await push(client, tenant, batch, session_id=other_tenant.session_id)).status_code == 404
    assert (await push(client, tenant, batch, session_id=999_999)).status_code == 404
    assert await stored(database, other_tenant.session_id) == []
    bad_key = await push(client, tenant, batch, {"Authorization": "Bearer lbk_nope"})
    assert bad_key.status_code == 401
    assert bad_key.json()["error"]["code"] == "invalid_api_key"
    csrf = await console_login(client, tenant.owner_email)
    analyst = (await client.post("/api/v1/api-keys", json={"name": "ro", "role": "analyst"},
                                 headers={"X-CSRF-Token": csrf})).json()["key"]
    ingest = (await client.post("/api/v1/api-keys", json={"name": "push", "role": "ingest"},
                                headers={"X-CSRF-Token": csrf})).json()["key"]
    client.cookies.clear()
    assert (await push(client, tenant, batch, tenant.headers(analyst))).status_code == 403
    assert (await push(client, tenant, batch, tenant.headers(ingest))).json()["accepted"] == 1


async def test_pushing_records_when_the_api_key_was_last_used(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    response = await push(client, tenant, ndjson([event(1)]))
    assert response.json()["accepted"] == 1
    async with database.transaction(write=False) as session:
        used = (await session.execute(select(ApiKey.last_used_at).where(ApiKey.tenant_id == tenant.tenant_id))).all()
    assert any(at is not None and at > T0 for (at,) in used)


async def test_nul_characters_are_taken_out_of_texts_not_the_batch(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    body = ndjson([event(1, text="二进制\u0000垃圾\u0000"), event(2)])
    response = await push(client, tenant, body)
    assert response.json()["accepted"] == 2, response.text
    texts = {row.event_id: row.text for row in await stored(database, tenant.session_id)}
    assert texts["e1"] == "二进制垃圾"


async def test_a_clean_body_and_the_same_lines_judged_one_by_one_store_the_same(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    """A clean body is decoded in one call, any other line by line: both must store the same rows."""
    kinds: list[tuple[str, dict[str, object]]] = [
        ("comment", {"text": "长" * 2000}),  # cut to 500 characters either way
        ("comment", {"viewer_id": "buyer@example.com"}),  # personal data: hashed per tenant either way
        ("like", {"count": 7, "occurred_at": T0.astimezone(timezone(timedelta(hours=8))).isoformat()}),
        ("gift", {"gift_name": "小心心", "value_fen": 100, "quantity": 2}),
        ("order_paid", {"order_id": "A9", "sku_code": "AF5", "amount_fen": 59800, "viewer_id": "v1"}),
        ("comment", {}),
    ]
    events = [event(n, kind=kind, **fields) for n, (kind, fields) in enumerate(kinds * 3)]
    clean = ndjson(events + events[:2])  # the last two lines repeat: duplicates within the batch
    one_by_one = clean.replace(b"\n", b"\n\n", 1)  # a blank line: the body is judged line by line
    first = (await push(client, tenant, clean)).json()
    second = (await push(client, other_tenant, one_by_one)).json()
    assert first == second == {"received": 20, "accepted": 18, "duplicates": 2, "rejected": []}

    def comparable(rows: list[LiveEventRow]) -> dict[str, tuple[object, ...]]:
        hashed = {row.viewer_key for row in rows if row.viewer_key and row.viewer_key.startswith("h:")}
        assert len(hashed) == 1, "one e-mail address, one hash per tenant"
        return {row.event_id: (row.type, row.occurred_at, None if row.viewer_key in hashed else row.viewer_key,
                               row.text, row.sku_code, row.order_id, row.quantity, row.amount_fen, row.count,
                               row.gift_name, row.is_simulated) for row in rows}

    mine = await stored(database, tenant.session_id)
    theirs = await stored(database, other_tenant.session_id)
    assert comparable(mine) == comparable(theirs)
    assert len(next(row.text for row in mine if row.event_id == "e0") or "") == 500
    assert {row.viewer_key for row in mine} != {row.viewer_key for row in theirs}


def test_a_clean_body_is_not_decoded_line_by_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("decoded line by line")

    clean = ndjson([event(n) for n in range(50)])
    monkeypatch.setattr(service, "decode_lines", refuse)
    batch = service.prepare_body(1, 1, clean, False, "sqlite")
    assert (batch.received, batch.events, len(batch.rows)) == (50, 50, 50)
    array = json.dumps([event(n) for n in range(50)]).encode()
    assert len(service.prepare_body(1, 1, array, True, "postgresql").rows) == 50
    with pytest.raises(AssertionError):
        service.prepare_body(1, 1, clean + b"\n{not json", False, "sqlite")


async def test_a_revoked_ingest_key_is_refused_here_at_once_and_elsewhere_within_seconds(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    csrf = await console_login(client, tenant.owner_email)
    created = (await client.post("/api/v1/api-keys", json={"name": "推流", "role": "ingest"},
                                 headers={"X-CSRF-Token": csrf})).json()
    client.cookies.clear()
    assert (await push(client, tenant, ndjson([event(1)]), tenant.headers(created["key"]))).status_code == 200
    # Revoked by another process (straight in the database): this process trusts the key a few seconds more.
    async with database.transaction() as session:
        await session.execute(update(ApiKey).where(ApiKey.id == created["id"]).values(revoked_at=datetime.now(UTC)))
    assert (await push(client, tenant, ndjson([event(2)]), tenant.headers(created["key"]))).status_code == 200
    monkeypatch.setattr(auth_service.recent_api_keys, "seconds", 0.0)  # … and then no longer
    refused = await push(client, tenant, ndjson([event(3)]), tenant.headers(created["key"]))
    assert refused.status_code == 401

    monkeypatch.undo()
    csrf = await console_login(client, tenant.owner_email)
    second = (await client.post("/api/v1/api-keys", json={"name": "推流2", "role": "ingest"},
                                headers={"X-CSRF-Token": csrf})).json()
    assert (await push(client, tenant, ndjson([event(4)]), tenant.headers(second["key"]))).status_code == 200
    await client.delete(f"/api/v1/api-keys/{second['id']}", headers={"X-CSRF-Token": csrf})
    client.cookies.clear()
    # Revoked through the console of this process: refused at once.
    assert (await push(client, tenant, ndjson([event(5)]), tenant.headers(second["key"]))).status_code == 401
    assert {row.event_id for row in await stored(database, tenant.session_id)} == {"e1", "e2", "e4"}
