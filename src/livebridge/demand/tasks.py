"""Background tasks of the demand collector (see livebridge.worker).

``regroup`` places newly understood comments into topics soon after the insight worker wrote them;
``refresh_rankings`` re-scores every tenant's topics now and then, because scores decay with age
and viewers may be flagged (integrity) after their comments were placed. Both are idempotent.
"""

from __future__ import annotations

import logging

from livebridge.demand import service
from livebridge.worker.queue import every, huey
from livebridge.worker.runtime import TaskContext, run_task

logger = logging.getLogger(__name__)


def _mark_key(tenant_id: int) -> str:
    return f"demand:grouped-through:{tenant_id}"


@every(seconds=30)
def regroup() -> None:
    """Rebuild the topics of each tenant whose newest eligible comment is newer than at its last rebuild."""

    async def work(context: TaskContext) -> None:
        latest = await service.latest_comment_ids(context.database)
        changed = [t for t, newest in sorted(latest.items()) if huey.get(_mark_key(t), peek=True) != newest]
        for tenant_id, result in await service.regroup_tenants(context.database, changed):
            huey.put(_mark_key(tenant_id), latest[tenant_id])
            logger.info(
                "demand: tenant %d, %d comments placed, %d new topics",
                tenant_id,
                result.comments_placed,
                result.topics_created,
            )

    run_task(work)


@every(seconds=600)
def refresh_rankings() -> None:
    """Scores decay with time and exclusions change: every tenant with topics is rebuilt every ten minutes."""

    async def work(context: TaskContext) -> None:
        await service.regroup_tenants(context.database, await service.tenants_with_topics(context.database))

    run_task(work)
