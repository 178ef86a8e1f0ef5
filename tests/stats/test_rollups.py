"""Rollups stay equal to the raw events; a session's figures on a hand-computed fixture."""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta, timezone

import httpx
from sqlalchemy import select

from livebridge.db import Database
from livebridge.models import LiveEventRow, SessionSecond, SessionSku
from tests.factories import TenantFixture

T0 = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)
BEIJING, NEW_YORK = timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))
NDJSON = {"Content-Type": "application/x-ndjson"}


def random_events(rng: random.Random, count: int) -> list[dict[str, object]]:
    kinds = ["enter", "leave", "comment", "like", "product_click", "cart_add", "order_created", "order_paid",
             "order_refunded", "online_count", "gift", "follow", "share"]
    events: list[dict[str, object]] = []
    for number in range(count):
        kind = rng.choice(kinds)
        moment = T0 + timedelta(milliseconds=rng.randrange(600_000))
        zone = rng.choice([UTC, BEIJING, NEW_YORK])  # every zone lands in the same UTC second
        event: dict[str, object] = {"type": kind, "event_id": f"r{number}",
                                    "occurred_at": moment.astimezone(zone).isoformat(),
                                    "viewer_id": f"v{rng.randrange(300)}"}
        sku = rng.choice(["AF5", "R30", "B12"])
        if kind == "comment":
            event["text"] = "有优惠吗"
        elif kind == "like":
            event["count"] = rng.randint(1, 20)
        elif kind == "gift":
            event.update(gift_name="小心心", value_fen=rng.randint(0, 500))
        elif kind == "online_count":
            event["count"] = rng.randint(100, 5000)
        elif kind in {"product_click"}:
            event["sku_code"] = sku
        elif kind == "cart_add":
            event.update(sku_code=sku, quantity=rng.randint(1, 3))
        elif kind.startswith("order_"):
            event.update(order_id=f"o{rng.randrange(200)}", sku_code=sku, quantity=rng.randint(1, 3),
                         amount_fen=rng.randint(1000, 300_000))
        events.append(event)
    return events


async def test_rollups_equal_a_recomputation_from_the_raw_events(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    rng = random.Random(7)
    events = random_events(rng, 3000)
    # Out of order, in overlapping batches (retries), with some lines twice in one batch.
    batches = [events[i:i + 700] for i in range(0, 3000, 500)]
    batches.append(events[100:200] + events[100:150])
    for batch in batches:
        rng.shuffle(batch)
        body = "\n".join(json.dumps(e) for e in batch).encode()
        response = await client.post(f"/api/v1/sessions/{tenant.session_id}/events", content=body,
                                     headers={**tenant.headers(), **NDJSON})
        assert response.status_code == 200
        assert response.json()["rejected"] == []

    async with database.transaction(write=False) as session:
        raw = list((await session.execute(
            select(LiveEventRow).where(LiveEventRow.session_id == tenant.session_id))).scalars())
        seconds = {row.second: row for row in (await session.execute(
            select(SessionSecond).where(SessionSecond.session_id == tenant.session_id))).scalars()}
        skus = {row.sku_code: row for row in (await session.execute(
            select(SessionSku).where(SessionSku.session_id == tenant.session_id))).scalars()}
    assert len(raw) == 3000
    assert {row.event_id: row.occurred_at for row in raw} == {
        str(e["event_id"]): datetime.fromisoformat(str(e["occurred_at"])) for e in events}

    # Independent recomputation, written here on purpose rather than calling the product code.
    expected: dict[datetime, Counter[str]] = defaultdict(Counter)
    online: dict[datetime, int] = {}
    expected_skus: dict[str, Counter[str]] = defaultdict(Counter)
    for event in raw:
        second = event.occurred_at.replace(microsecond=0)
        amount = event.amount_fen or 0
        match event.type:
            case "like":
                expected[second]["likes"] += event.count or 0
            case "online_count":
                online[second] = max(online.get(second, 0), event.count or 0)
            case "gift":
                expected[second]["gifts"] += 1
                expected[second]["gift_fen"] += amount
            case "order_paid":
                expected[second]["paid_orders"] += 1
                expected[second]["paid_fen"] += amount
                expected_skus[event.sku_code or ""]["paid_units"] += event.quantity or 0
                expected_skus[event.sku_code or ""]["paid_fen"] += amount
            case "order_refunded":
                expected[second]["refunds"] += 1
                expected[second]["refund_fen"] += amount
                expected_skus[event.sku_code or ""]["refund_fen"] += amount
            case "order_created":
                expected[second]["orders"] += 1
                expected_skus[event.sku_code or ""]["orders"] += 1
            case "enter" | "leave" | "comment" | "follow" | "share" | "product_click" | "cart_add":
                column = {"enter": "enters", "leave": "leaves", "comment": "comments", "follow": "follows",
                          "share": "shares", "product_click": "clicks", "cart_add": "cart_adds"}[event.type]
                expected[second][column] += 1
                if event.type in {"product_click", "cart_add"}:
                    expected_skus[event.sku_code or ""][column] += 1

    assert set(seconds) == set(expected) | set(online)
    for second, row in seconds.items():
        for column in ("enters", "leaves", "comments", "likes", "gifts", "gift_fen", "follows", "shares", "clicks",
                       "cart_adds", "orders", "paid_orders", "paid_fen", "refunds", "refund_fen"):
            assert getattr(row, column) == expected[second][column], (second, column)
        assert row.online_max == online.get(second)
    for sku, sku_row in skus.items():
        for column in ("clicks", "cart_adds", "orders", "paid_units", "paid_fen", "refund_fen"):
            assert getattr(sku_row, column) == expected_skus[sku][column], (sku, column)


async def test_session_figures_on_a_hand_computed_fixture(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    def at(seconds: int) -> str:
        return (T0 + timedelta(seconds=seconds)).isoformat()

    events = [
        {"type": "enter", "event_id": "1", "occurred_at": at(0), "viewer_id": "a"},
        {"type": "enter", "event_id": "2", "occurred_at": at(10), "viewer_id": "b"},
        {"type": "enter", "event_id": "3", "occurred_at": at(70), "viewer_id": "c"},
        {"type": "leave", "event_id": "4", "occurred_at": at(100), "viewer_id": "a"},   # stayed 100 s
        {"type": "leave", "event_id": "5", "occurred_at": at(130), "viewer_id": "b"},   # stayed 120 s
        {"type": "product_click", "event_id": "6", "occurred_at": at(20), "viewer_id": "a", "sku_code": "AF5"},
        {"type": "product_click", "event_id": "7", "occurred_at": at(21), "viewer_id": "a", "sku_code": "AF5"},
        {"type": "product_click", "event_id": "8", "occurred_at": at(80), "viewer_id": "c", "sku_code": "AF5"},
        {"type": "cart_add", "event_id": "9", "occurred_at": at(30), "viewer_id": "a", "sku_code": "AF5"},
        {"type": "order_created", "event_id": "10", "occurred_at": at(40), "viewer_id": "a", "order_id": "A",
         "sku_code": "AF5", "quantity": 2, "amount_fen": 59800},
        {"type": "order_paid", "event_id": "11", "occurred_at": at(45), "viewer_id": "a", "order_id": "A",
         "sku_code": "AF5", "quantity": 2, "amount_fen": 59800},
        {"type": "comment", "event_id": "12", "occurred_at": at(75), "viewer_id": "c", "text": "还有货吗"},
    ]
    body = "\n".join(json.dumps(e) for e in events).encode()
    await client.post(f"/api/v1/sessions/{tenant.session_id}/events", content=body,
                      headers={**tenant.headers(), **NDJSON})
    await client.post(f"/api/v1/sessions/{tenant.session_id}/start", json={"at": at(0)}, headers=tenant.headers())
    await client.post(f"/api/v1/sessions/{tenant.session_id}/end", json={"at": at(180)}, headers=tenant.headers())
    figures = (await client.get(f"/api/v1/sessions/{tenant.session_id}/stats", headers=tenant.headers())).json()
    totals = figures["totals"]
    assert totals["enters"] == 3
    assert totals["unique_viewers"] == 3
    assert totals["paid_fen"] == 59800
    # GPM = 59800 fen × 1000 / 3 views = 19,933,333.3 → 19,933,333 fen (¥199,333.33 per thousand views).
    assert totals["gpm_fen"] == 19_933_333
    # Watch: a 100 s, b 120 s, c from 70 s to the end at 180 s = 110 s → 110.0 s on average.
    assert totals["average_watch_seconds"] == 110.0
    assert totals["online_source"] == "enters minus leaves"
    assert totals["online_peak"] == 3
    assert [(s["step"], s["viewers"]) for s in figures["funnel"]] == [
        ("enter", 3), ("product_click", 2), ("cart_add", 1), ("order_created", 1), ("order_paid", 1)]
    assert figures["funnel"][1]["rate_from_previous"] == round(2 / 3, 4)
    minutes = {m["minute"][11:16]: m for m in figures["minutes"]}
    assert minutes["12:00"]["enters"] == 2
    assert minutes["12:01"]["comments"] == 1
    assert minutes["12:02"]["leaves"] == 1
    assert figures["products"] == [{
        "product_id": None, "product_name": None, "references": ["AF5"], "clicks": 3, "cart_adds": 1, "orders": 1,
        "paid_orders": 1, "paid_units": 2, "paid_fen": 59800, "refunds": 0, "refund_fen": 0}]


async def test_link_numbers_and_skus_are_summed_per_product(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    sku = f"AF5-{tenant.slug}"
    events = [
        {"type": "product_click", "event_id": "k1", "occurred_at": T0.isoformat(), "viewer_id": "a", "link_number": 1},
        {"type": "product_click", "event_id": "k2", "occurred_at": T0.isoformat(), "viewer_id": "b", "sku_code": sku},
        {"type": "product_click", "event_id": "k3", "occurred_at": T0.isoformat(), "viewer_id": "c", "link_number": 9},
        {"type": "order_paid", "event_id": "k4", "occurred_at": T0.isoformat(), "viewer_id": "a", "order_id": "A",
         "sku_code": sku, "amount_fen": 29900},
    ]
    body = "\n".join(json.dumps(e) for e in events).encode()
    await client.post(f"/api/v1/sessions/{tenant.session_id}/events", content=body,
                      headers={**tenant.headers(), **NDJSON})
    figures = (await client.get(f"/api/v1/sessions/{tenant.session_id}/stats", headers=tenant.headers())).json()
    products = {p["product_id"]: p for p in figures["products"]}
    assert products[tenant.product_id]["product_name"] == "空气炸锅 AF5"
    assert sorted(products[tenant.product_id]["references"]) == ["#1", sku]
    assert products[tenant.product_id]["clicks"] == 2
    assert products[tenant.product_id]["paid_fen"] == 29900
    assert products[None]["references"] == ["#9"]  # link 9 is not on the shelf: kept, not guessed
