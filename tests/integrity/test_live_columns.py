"""A live session's columns kept between refreshes equal a from-scratch read after every step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import delete, select

from livebridge.db import Database
from livebridge.ingest.schemas import LiveEvent, encode
from livebridge.ingest.service import do_ingest
from livebridge.integrity import service
from livebridge.integrity.columns import ColumnsBuilder, SessionEvents
from livebridge.integrity.live_columns import LiveColumns, live_columns, read_columns
from livebridge.integrity.repository import IntegrityRepository
from livebridge.live import service as live_service
from livebridge.models import LiveEventRow, SessionStatus
from livebridge.simulate import AudienceModel, Scenario, example_shelf, simulate
from tests.factories import TenantFixture

FIELDS = ("time", "kind", "viewer", "sku", "order", "amount", "count", "text", "row_id")
NAMES = ("viewer_keys", "sku_codes", "order_ids")


def _events(start: datetime) -> list[LiveEvent]:
    scenario = Scenario(
        start=start,
        duration=timedelta(minutes=20),
        shelf=example_shelf(),
        audience=AudienceModel(viewers=1_500),
        seed=9,
        id_namespace="live-columns-test",
    )
    return list(simulate(scenario).events())


def _assert_same(kept: SessionEvents, fresh: SessionEvents) -> None:
    assert len(kept) == len(fresh)
    for name in (*FIELDS, *NAMES):
        assert np.array_equal(getattr(kept, name), getattr(fresh, name)), name


async def _ingest(database: Database, tenant: TenantFixture, events: list[LiveEvent], first_line: int) -> None:
    lines = [encode(event) for event in events]
    async with database.transaction() as session:
        await do_ingest(session, tenant.subject, tenant.session_id, list(enumerate(lines, start=first_line)))


async def _both(database: Database, tenant: TenantFixture) -> tuple[SessionEvents, SessionEvents]:
    """(the columns a live refresh gives, the columns read from scratch)."""
    async with database.transaction(write=False) as session:
        kept = await service.load_events(session, tenant.subject, tenant.session_id, live=True)
        fresh = await read_columns(IntegrityRepository(session), tenant.subject, tenant.session_id, ColumnsBuilder())
    return kept, fresh.events()


async def test_kept_columns_equal_a_fresh_read_at_every_step(database: Database, tenant: TenantFixture) -> None:
    start = datetime.now(UTC) - timedelta(minutes=30)
    async with database.transaction() as session:
        await live_service.do_transition_session(session, tenant.subject, tenant.session_id, SessionStatus.LIVE, start)
    events = _events(start)
    # Four appends; the third also brings events older than ones already read (late deliveries),
    # which must land in time order with the codes a single read would give them.
    cuts = [0, len(events) // 4, len(events) // 2, 3 * len(events) // 4, len(events)]
    late = events[cuts[1] : cuts[1] + 200]
    steps = [events[cuts[0] : cuts[1]], events[cuts[1] + 200 : cuts[2]], late + events[cuts[2] : cuts[3]]]
    steps.append(events[cuts[3] :])
    line = 1
    builders = []
    async with database.transaction(write=False) as session:
        key = (str((await session.connection()).engine.url), tenant.tenant_id, tenant.session_id)
    for step in steps:
        await _ingest(database, tenant, step, line)
        line += len(step)
        kept, fresh = await _both(database, tenant)
        _assert_same(kept, fresh)
        builders.append(live_columns.kept(key))
    assert len(kept) == len(events)
    # The same columns grew step by step: nothing was read twice.
    assert builders[0] is not None
    assert all(builder is builders[0] for builder in builders)

    # A row removed below the last id read: the tally differs, and the columns are rebuilt.
    async with database.transaction() as session:
        victim = (
            (
                await session.execute(
                    select(LiveEventRow.id)
                    .where(LiveEventRow.session_id == tenant.session_id)
                    .order_by(LiveEventRow.id)
                )
            )
            .scalars()
            .first()
        )
        await session.execute(delete(LiveEventRow).where(LiveEventRow.id == victim))
    kept, fresh = await _both(database, tenant)
    _assert_same(kept, fresh)
    assert len(kept) == len(events) - 1
    assert live_columns.kept(key) is not builders[0]

    # Once the session has ended its assessment reads it whole and the kept columns are dropped.
    async with database.transaction() as session:
        await live_service.do_transition_session(
            session, tenant.subject, tenant.session_id, SessionStatus.ENDED, start + timedelta(minutes=25)
        )
        await service.assess_session(session, tenant.subject, tenant.session_id)
    assert live_columns.kept(key) is None


async def test_memory_is_bounded_least_recently_refreshed_first(database: Database, tenant: TenantFixture) -> None:
    start = datetime.now(UTC) - timedelta(minutes=30)
    events = _events(start)[:3_000]
    await _ingest(database, tenant, events, 1)
    cache = LiveColumns(max_events=4_000)
    async with database.transaction(write=False) as session:
        repository = IntegrityRepository(session)
        for database_name in ("a", "b"):
            await cache.load(repository, tenant.subject, database_name, tenant.session_id)
        assert len(cache) == 1  # 6,000 events would not fit: the older one went
        assert cache.kept(("b", tenant.tenant_id, tenant.session_id)) is not None
        small = LiveColumns(max_events=1_000)
        loaded = await small.load(repository, tenant.subject, "a", tenant.session_id)
        assert len(loaded) == len(events)
        assert len(small) == 0
