"""Scorecard benchmark: how long a brand waits for its host ranking, comparison and Excel export.

    .venv/bin/python bench/scorecards.py [--sessions 24] [--viewers 6000]

Builds a fresh SQLite database with one tenant, 4 hosts and ``--sessions`` ended simulated sessions
(2 hours each, ``--viewers`` viewers, events through the real ingest service), then times, in the
same run: reading the period's paid orders alone (the SQL floor: one indexed scan), the ranking of
every host, the host × brand ranking, a comparison of 2 hosts and the Excel export. Medians of 5.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command as alembic_command

from livebridge.authz import Permission, Subject, command_line_subject
from livebridge.cli import alembic_config
from livebridge.config import Settings
from livebridge.db import Database
from livebridge.ingest.schemas import encode
from livebridge.ingest.service import MAX_BATCH_EVENTS, do_ingest
from livebridge.kit.pagination import PageParams
from livebridge.live import service as live_service
from livebridge.live.schemas import HostCreate, SessionCreate
from livebridge.models import Platform, SessionStatus
from livebridge.scorecards import service
from livebridge.scorecards.repository import ScorecardRepository
from livebridge.simulate.generator import generate_events
from livebridge.simulate.scenario import AudienceModel, Scenario, example_shelf
from livebridge.tenancy import service as tenancy_service
from livebridge.tenancy.schemas import TenantCreate

HOSTS = ("小暖", "阿杰说家电", "美食家琳琳", "老王测评")


async def build(database: Database, sessions: int, viewers: int) -> tuple[Subject, list[int], int]:
    async with database.transaction() as session:
        tenant = await tenancy_service.do_create_tenant(session, command_line_subject(), TenantCreate(
            slug=f"bench-{uuid.uuid4().hex[:8]}", name="bench", owner_email=f"{uuid.uuid4().hex[:8]}@bench.test",
            owner_name="bench", owner_password="bench-password"))
        subject = Subject(display_name="bench", tenant_id=tenant.id, permissions=frozenset(Permission))
        host_ids = [(await live_service.do_create_host(session, subject, HostCreate(
            name=name, platform=Platform.DOUYIN), is_simulated=True)).id for name in HOSTS]
    events = 0
    first = datetime.now(UTC).replace(hour=11, minute=0, second=0, microsecond=0) - timedelta(days=sessions + 1)
    for index in range(sessions):
        start = first + timedelta(days=index)
        async with database.transaction() as session:
            live = await live_service.do_create_session(session, subject, SessionCreate(
                title=f"bench {index}", platform=Platform.DOUYIN, scheduled_start_at=start,
                host_ids=[host_ids[index % len(host_ids)]]), is_simulated=True)
            await live_service.do_transition_session(session, subject, live.id, SessionStatus.LIVE, start)
            scenario = Scenario(start=start, duration=timedelta(hours=2), shelf=example_shelf(),
                                audience=AudienceModel(viewers=viewers), seed=index, id_namespace=f"b{live.id}")
            lines = [encode(event) for event in generate_events(scenario)]
            events += len(lines)
            for offset in range(0, len(lines), MAX_BATCH_EVENTS):
                chunk = lines[offset:offset + MAX_BATCH_EVENTS]
                await do_ingest(session, subject, live.id, list(enumerate(chunk, start=offset + 1)))
            await live_service.do_transition_session(
                session, subject, live.id, SessionStatus.ENDED, start + timedelta(hours=2))
    return subject, host_ids, events


async def median_ms(database: Database, work: Callable[[Any], Awaitable[Any]]) -> float:
    times = []
    for _ in range(5):
        async with database.transaction(write=False) as session:
            started = time.perf_counter()
            await work(session)
            times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


async def run(url: str, sessions: int, viewers: int) -> None:
    database = Database(Settings(database_url=url, secret_key="bench", environment="test"))
    try:
        started = time.perf_counter()
        subject, host_ids, events = await build(database, sessions, viewers)
        print(f"built {sessions} sessions, {events:,} simulated events in {time.perf_counter() - started:.0f} s")
        window = service.resolve_period(None, None, "Asia/Shanghai")
        async with database.transaction(write=False) as session:
            hosted = await ScorecardRepository(session).hosted_sessions(subject, window.start, window.end)
            session_ids = sorted({row[0] for row in hosted})
            orders = len(await ScorecardRepository(session).paid_orders(subject, session_ids))
        print(f"period {window.period.date_from} – {window.period.date_to}: {len(session_ids)} sessions, "
              f"{orders:,} paid orders")
        floor = await median_ms(database, lambda s: ScorecardRepository(s).paid_orders(subject, session_ids))
        figures = (
            ("read the paid orders alone (SQL floor)", floor),
            ("ranking of every host", await median_ms(
                database, lambda s: service.host_ranking(s, subject, window, PageParams()))),
            ("host × brand ranking", await median_ms(
                database, lambda s: service.host_ranking(s, subject, window, PageParams(), by_brand=True))),
            ("comparison of 2 hosts (with brand rows)", await median_ms(
                database, lambda s: service.compare_hosts(s, subject, host_ids[:2], window))),
            ("Excel export", await median_ms(database, lambda s: service.export_workbook(s, subject, window))),
        )
        print(f"  {'what':<44}{'ms (median of 5)':>18}")
        for label, value in figures:
            print(f"  {label:<44}{value:>18,.0f}")
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=24)
    parser.add_argument("--viewers", type=int, default=6_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        alembic_command.upgrade(alembic_config(url), "head")
        asyncio.run(run(url, args.sessions, args.viewers))


if __name__ == "__main__":
    main()
