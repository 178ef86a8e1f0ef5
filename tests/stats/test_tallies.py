"""Distinct people and watch time kept from the new events only equal a count over all of them."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import datetime, timedelta

import httpx
import pytest

from livebridge.stats import service
from livebridge.stats.tallies import TALLIED, SessionTallies, TalliedEvent, TallyCache
from tests.factories import TenantFixture
from tests.stats.test_rollups import NDJSON, T0, random_events


def reference(events: list[TalliedEvent], until: datetime) -> tuple[dict[str, int], float | None]:
    """Every event at once: distinct people per type; each enter paired with the viewer's next leave
    in time order, a stay still open ending at ``until``; no watch time without any leave."""
    people = {kind: len({e.viewer_key or e.order_id for e in events if e.type == kind} - {None}) for kind in TALLIED}
    presence = sorted(
        (e for e in events if e.type in ("enter", "leave") and e.viewer_key), key=lambda e: (e.occurred_at, e.id)
    )
    if not any(e.type == "leave" for e in presence):
        return people, None
    entered: dict[str, datetime] = {}
    stays: list[float] = []
    for event in presence:
        assert event.viewer_key is not None
        if event.type == "enter":
            entered.setdefault(event.viewer_key, event.occurred_at)
        elif event.viewer_key in entered:
            stays.append((event.occurred_at - entered.pop(event.viewer_key)).total_seconds())
    stays.extend(max(0.0, (until - at).total_seconds()) for at in entered.values())
    return people, (sum(stays) / len(stays) if stays else None)


@pytest.mark.parametrize("seed", range(20))
def test_tallies_taken_batch_by_batch_equal_a_count_over_all_events(seed: int) -> None:
    rng = random.Random(seed)
    kinds = [*TALLIED, "enter", "leave", "enter", "leave"]
    events = [
        TalliedEvent(
            id=number,
            type=(kind := rng.choice(kinds)),
            viewer_key=None if kind.startswith("order") and rng.random() < 0.3 else f"v{rng.randrange(25)}",
            order_id=f"o{rng.randrange(40)}" if kind.startswith("order") else None,
            # Arrival (id) order is not time order: late and early events, and equal times.
            occurred_at=datetime(2026, 11, 11, 12) + timedelta(seconds=rng.randrange(0, 3600, 7)),
        )
        for number in range(1, 400)
    ]
    tallies = SessionTallies()
    until = datetime(2026, 11, 11, 13, 30)
    taken = 0
    while taken < len(events):
        step = rng.randrange(1, 60)
        tallies.take(events[taken : taken + step], window=0)
        taken += step
        people, watch = reference(events[:taken], until)
        assert {kind: tallies.distinct_people(kind) for kind in TALLIED} == people
        assert tallies.average_watch_seconds(until) == pytest.approx(watch)
        assert not tallies.missed_events(Counter(TALLIED[e.type] for e in events[:taken]))


def test_events_that_commit_below_the_newest_id_are_noticed() -> None:
    """On PostgreSQL a transaction may commit after one with higher ids: outside the window, the
    tally notices it is short of the rollups (and the service rebuilds it)."""
    at = datetime(2026, 11, 11, 12)
    early = [TalliedEvent(n, "enter", f"v{n}", None, at) for n in (1, 2)]
    late = TalliedEvent(3, "enter", "v3", None, at)
    tallies = SessionTallies()
    tallies.take([late], window=0)
    tallies.take(early, window=0)  # read again above id 3 they would never come: skipped here too
    assert tallies.distinct_people("enter") == 1
    assert tallies.missed_events({"enters": 3})
    within = SessionTallies()
    within.take([late], window=5)
    within.take([*early, late], window=5)  # re-read inside the window: counted once each
    assert within.distinct_people("enter") == 3
    assert not within.missed_events({"enters": 3})


async def test_the_dashboard_figures_kept_up_to_date_equal_figures_from_scratch(
    client: httpx.AsyncClient, tenant: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = random_events(random.Random(11), 1500)
    url = f"/api/v1/sessions/{tenant.session_id}"
    await client.post(f"{url}/start", json={"at": T0.isoformat()}, headers=tenant.headers())
    for start in range(0, len(events), 300):  # the figures are read between batches, as a dashboard does
        body = "\n".join(json.dumps(e) for e in events[start : start + 300]).encode()
        response = await client.post(f"{url}/events", content=body, headers={**tenant.headers(), **NDJSON})
        assert response.status_code == 200
        kept = (await client.get(f"{url}/stats", headers=tenant.headers())).json()
    await client.post(f"{url}/end", json={"at": (T0 + timedelta(minutes=15)).isoformat()}, headers=tenant.headers())
    kept = (await client.get(f"{url}/stats", headers=tenant.headers())).json()
    monkeypatch.setattr(service, "TALLIES", TallyCache())  # as in a new process: every event read at once
    scratch = (await client.get(f"{url}/stats", headers=tenant.headers())).json()
    assert kept["funnel"] == scratch["funnel"]
    assert kept["totals"] == scratch["totals"]
    assert kept["totals"]["unique_viewers"] > 0
    assert kept["totals"]["average_watch_seconds"] is not None
