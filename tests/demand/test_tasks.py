"""The background task places newly understood comments into topics, and only runs for tenants with news."""

from __future__ import annotations

import asyncio
from datetime import datetime

from livebridge.config import Settings
from livebridge.db import Database
from livebridge.demand import tasks
from livebridge.demand.repository import TopicRepository
from livebridge.worker.queue import configure_queue, huey
from livebridge.worker.runtime import close_thread_state, configure_runtime
from tests.demand.factories import Said, add_comments, subject_of
from tests.factories import TenantFixture


async def _placed(database: Database, tenant: TenantFixture) -> int:
    async with database.transaction(write=False) as session:
        return len(await TopicRepository(session).members(subject_of(tenant.tenant_id)))


async def _scored_at(database: Database, tenant: TenantFixture) -> list[datetime | None]:
    async with database.transaction(write=False) as session:
        return [t.scored_at for t in await TopicRepository(session).active(subject_of(tenant.tenant_id))]


def _regroup_on_a_worker_thread() -> None:
    try:
        tasks.regroup.call_local()
    finally:
        close_thread_state()


async def test_regroup_places_new_comments_tenant_by_tenant(
    database: Database, settings: Settings, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    configure_queue(settings)
    configure_runtime(settings)
    for fixture in (tenant, other_tenant):
        await add_comments(database, fixture.tenant_id, fixture.session_id, fixture.product_id,
                           [Said("出个大号的吧", viewer="a"), Said("出个大号的吧", viewer="b", minute=1)])
    await asyncio.to_thread(_regroup_on_a_worker_thread)
    assert await _placed(database, tenant) == 2
    assert await _placed(database, other_tenant) == 2
    marked = huey.get(f"demand:grouped-through:{tenant.tenant_id}", peek=True)
    scored_before = await _scored_at(database, other_tenant)

    await add_comments(database, tenant.tenant_id, tenant.session_id, tenant.product_id,
                       [Said("出个大号的吧!", viewer="c", minute=2)])
    await asyncio.to_thread(_regroup_on_a_worker_thread)
    assert await _placed(database, tenant) == 3
    assert huey.get(f"demand:grouped-through:{tenant.tenant_id}", peek=True) > marked
    # The other tenant had nothing new: it was not rebuilt again (its scores were not recomputed).
    assert await _scored_at(database, other_tenant) == scored_before
