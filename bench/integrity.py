"""Every integrity detector on a session of about one million events.

    PYTHONPATH=src .venv/bin/python bench/integrity.py [--database]

The session is simulated (2 hours, 160,000 viewers, example shelf, seed 1) with injected bots,
a comment flood and brushed orders, and two earlier sessions in which 30 % of its audience came
back (for the cross-session detector). It prints the time to build the columns from the events
(what loading does), the time of ``assess`` (all detectors, the index and the figures; median
of three runs), each detector's share, with ``--database`` the time to read the stored session
from SQLite into columns, and the live refresh that keeps the columns and reads only new events
after appending 10 s of them; for scale the raw machine limit of
one NumPy sort of the same number of int64 values.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import numpy as np
from alembic import command as alembic_command

from livebridge.authz import Permission, Subject, command_line_subject
from livebridge.cli import alembic_config
from livebridge.config import Settings
from livebridge.db import Database
from livebridge.ingest.repository import EventRepository, RowBuilder
from livebridge.ingest.schemas import LiveEvent
from livebridge.ingest.service import opaque_viewer
from livebridge.integrity import authenticity
from livebridge.integrity import service as integrity_service
from livebridge.integrity.columns import SECOND, micros
from livebridge.integrity.evaluation import columns_of
from livebridge.integrity.inject import MINUTE_US, SCRIPTS, SECOND_US, Injector
from livebridge.integrity.viewers import PresenceHistory, first_entries
from livebridge.live import service as live_service
from livebridge.live.schemas import HostCreate, SessionCreate
from livebridge.models import Platform, SessionStatus
from livebridge.simulate import AudienceModel, Scenario, example_shelf, simulate
from livebridge.tenancy import service as tenancy_service
from livebridge.tenancy.schemas import TenantCreate

VIEWERS = 160_000
RUNS = 3
APPENDED_SECONDS = 10  # the events a live refresh finds new after the previous one


def clock(value: int) -> str:
    return str(value)


def session_events() -> list[LiveEvent]:
    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    scenario = Scenario(
        start=start,
        duration=timedelta(hours=2),
        shelf=example_shelf(),
        audience=AudienceModel(viewers=VIEWERS),
        seed=1,
    )
    events = list(simulate(scenario).events())
    inject = Injector(seed=1)
    origin = micros(start)
    made: list[LiveEvent] = []
    for i in range(3_000):
        bot = f"inj-bot-{i}"
        made += [inject.enter(bot, origin + 40 * MINUTE_US + i * 2_000), inject.leave(bot, origin + 70 * MINUTE_US)]
    for i in range(200):
        made.append(inject.comment(f"inj-water-{i % 40}", origin + i * 30 * SECOND_US, inject.variant(SCRIPTS[0], 1)))
    for k in range(30):
        made += inject.order(
            f"inj-brush-{k}", "inj-brusher", "NJ-C1", 49_900, origin + 50 * MINUTE_US + k * SECOND_US, None
        )
    return sorted([*events, *made], key=lambda event: event.occurred_at)


async def _store(database: Database, rows_of: list[LiveEvent], tenant_id: int, session_id: int) -> None:
    engine, viewer_key = database.engine.dialect.name, partial(opaque_viewer, tenant_id)
    builder = RowBuilder(tenant_id, session_id, datetime.now(UTC), engine, viewer_key)
    for offset in range(0, len(rows_of), 50_000):
        rows, _ = builder.rows(rows_of[offset : offset + 50_000])
        async with database.transaction() as session:
            await EventRepository(session).insert_new(rows)


async def database_load(events: list[LiveEvent], directory: Path, url: str) -> dict[str, float]:
    """Store the events in the (migrated) database as a live session, all but their last 20 s, and
    time: a full ``load_events``; the first refresh (``assess_session``: read everything, assess,
    store); 10 s more appended and read (kept columns + the new rows); 10 s more appended and the
    next refresh; the whole session read from scratch for comparison."""
    database = Database(Settings(database_url=url, var_dir=directory, secret_key="bench"))
    timings: dict[str, float] = {}  # seconds, and the events appended
    try:
        async with database.transaction() as session:
            tenant = await tenancy_service.do_create_tenant(
                session,
                command_line_subject(),
                TenantCreate(
                    slug="bench", name="bench", owner_email="o@bench.test", owner_name="o", owner_password="x" * 12
                ),
            )
            subject = Subject(display_name="bench", tenant_id=tenant.id, permissions=frozenset(Permission))
            host = await live_service.do_create_host(session, subject, HostCreate(name="h", platform=Platform.DOUYIN))
            live_session = await live_service.do_create_session(
                session,
                subject,
                SessionCreate(
                    title="bench",
                    platform=Platform.DOUYIN,
                    scheduled_start_at=events[0].occurred_at,
                    host_ids=[host.id],
                ),
            )
            await live_service.do_transition_session(
                session, subject, live_session.id, SessionStatus.LIVE, events[0].occurred_at
            )
        # Two slices of the last 2 × 10 s arrive after the first refresh: the first is read alone
        # (``load_events`` of the live session), the second by a whole refresh.
        cut = events[-1].occurred_at - timedelta(seconds=2 * APPENDED_SECONDS)
        middle = cut + timedelta(seconds=APPENDED_SECONDS)
        earlier = [e for e in events if e.occurred_at <= cut]
        first_slice = [e for e in events if cut < e.occurred_at <= middle]
        second_slice = [e for e in events if e.occurred_at > middle]
        began = time.perf_counter()
        await _store(database, earlier, tenant.id, live_session.id)
        timings["stored"] = time.perf_counter() - began
        began = time.perf_counter()
        async with database.transaction(write=False) as session:
            loaded = await integrity_service.load_events(session, subject, live_session.id)
        timings["full load"] = time.perf_counter() - began
        assert len(loaded) == len(earlier)
        began = time.perf_counter()
        async with database.transaction() as session:
            await integrity_service.assess_session(session, subject, live_session.id)
        timings["first refresh"] = time.perf_counter() - began
        await _store(database, first_slice, tenant.id, live_session.id)
        timings["first slice"] = len(first_slice)
        began = time.perf_counter()
        async with database.transaction(write=False) as session:
            kept = await integrity_service.load_events(session, subject, live_session.id, live=True)
        timings["incremental load"] = time.perf_counter() - began
        assert len(kept) == len(earlier) + len(first_slice)
        await _store(database, second_slice, tenant.id, live_session.id)
        timings["second slice"] = len(second_slice)
        began = time.perf_counter()
        async with database.transaction() as session:
            report = await integrity_service.assess_session(session, subject, live_session.id)
        timings["next refresh"] = time.perf_counter() - began
        assert report.events_seen == len(events)
        began = time.perf_counter()
        async with database.transaction(write=False) as session:
            fresh = await integrity_service.load_events(session, subject, live_session.id)
        timings["full load after"] = time.perf_counter() - began
        assert len(fresh) == len(events)
        return timings
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", action="store_true", help="also time reading the session from SQLite")
    arguments = parser.parse_args()
    began = time.perf_counter()
    events = session_events()
    generated = time.perf_counter() - began
    began = time.perf_counter()
    columns = columns_of(events)
    built = time.perf_counter() - began
    print(f"session: {len(columns):,} events (simulated in {generated:.1f} s), columns built in {built:.2f} s")

    # Two earlier sessions where 30 % of this audience came back at other times (for co_appearance).
    rng = np.random.default_rng(2)
    viewers, _ = first_entries(columns)
    history = []
    for number in range(2):
        back = rng.choice(viewers, size=viewers.size * 3 // 10, replace=False)
        offsets = rng.integers(0, 2 * 3600 * SECOND, back.size)
        history.append(PresenceHistory(number, columns.viewer_keys[back], offsets))
    timings: list[float] = []
    for _ in range(RUNS):
        began = time.perf_counter()
        result = authenticity.assess(columns, clock, history=history)
        timings.append(time.perf_counter() - began)
    median = statistics.median(timings)
    print(
        f"assess (all detectors + index + figures): median {median:.2f} s of {RUNS} runs "
        f"({len(columns) / median:,.0f} events/s); index {result.index}"
    )

    for detector in result.detectors:
        print(f"  {detector.detector:<20} {detector.seconds:6.2f} s  {detector.status}")
    print("  (comment_bursts includes the MinHash clustering the three comment detectors share)")

    values = np.random.default_rng(1).integers(0, 1 << 62, len(columns))
    began = time.perf_counter()
    np.sort(values)
    raw = time.perf_counter() - began
    if arguments.database:
        directory = Path(tempfile.mkdtemp(prefix="integrity-bench-"))
        try:
            url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
            alembic_command.upgrade(alembic_config(url), "head")
            stored = asyncio.run(database_load(events, directory, url))
        finally:
            shutil.rmtree(directory)
        print(
            f"SQLite: stored in {stored['stored']:.1f} s; load_events from scratch (query + columns) "
            f"{stored['full load']:.2f} s"
        )
        print(f"live refresh (assess_session: read, assess, store), first: {stored['first refresh']:.2f} s")
        print(
            f"{stored['first slice']:,.0f} events ({APPENDED_SECONDS} s) appended: load_events of the live session "
            f"{stored['incremental load']:.2f} s (kept columns + new rows)"
        )
        print(
            f"{stored['second slice']:,.0f} more events ({APPENDED_SECONDS} s) appended: next refresh "
            f"{stored['next refresh']:.2f} s; the whole session read from scratch {stored['full load after']:.2f} s"
        )
    print(f"raw limit: one np.sort of {len(columns):,} int64 takes {raw:.3f} s; assess = {median / raw:,.0f} sorts")


if __name__ == "__main__":
    main()
