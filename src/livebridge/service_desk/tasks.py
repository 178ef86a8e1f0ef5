"""Background tasks of the service desk (see livebridge.worker)."""

from __future__ import annotations

import logging

from livebridge.kit.time import utcnow
from livebridge.service_desk import service
from livebridge.worker.queue import every
from livebridge.worker.runtime import TaskContext, run_task

logger = logging.getLogger(__name__)


@every(seconds=300)
def check_deadlines() -> None:
    """Every five minutes: record missed ticket deadlines (once each, with the penalty) and escalate."""

    async def work(context: TaskContext) -> None:
        found = await service.check_deadlines_of_all_tenants(context.database, utcnow())
        for slug, breach in found:
            logger.info(
                "deadline missed: tenant %s ticket %d (%s), penalty %d fen",
                slug,
                breach.ticket_id,
                breach.kind,
                breach.penalty_fen,
            )

    run_task(work)
