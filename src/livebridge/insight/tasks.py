"""Background tasks of comment insight (see livebridge.worker)."""

from __future__ import annotations

import logging

from livebridge.insight import service
from livebridge.worker.queue import every, task
from livebridge.worker.runtime import TaskContext, run_task

logger = logging.getLogger(__name__)


@task(retries=2, retry_delay=1)
def understand_session(session_id: int) -> None:
    """Understand the session's comments stored since the last run (enqueued after each ingest commit)."""

    async def work(context: TaskContext) -> None:
        await service.catch_up(context.database, session_id, context.publish)

    run_task(work)


@every(seconds=60)
def sweep() -> None:
    """Catch up sessions whose comments may wait: models were missing, a task was lost, or the
    comments came by a file import (which enqueues nothing)."""

    async def work(context: TaskContext) -> None:
        for session_id in await service.sessions_to_sweep(context.database):
            result = await service.catch_up(context.database, session_id, context.publish)
            if result.understood:
                logger.info("sweep: understood %d comments of session %d", result.understood, session_id)

    run_task(work)


def request_understanding(session_id: int) -> None:
    """Enqueue the understanding of a session's new comments. Call it after the transaction that
    stored them has committed (it blocks briefly on the queue: from async code, use a thread)."""
    understand_session(session_id)
