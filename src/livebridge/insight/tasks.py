"""Background tasks of comment insight (see livebridge.worker)."""

from __future__ import annotations

import logging
import time
from typing import Final

from livebridge.insight import service
from livebridge.insight.understanding import UnderstandingUnavailable, load_analyzer
from livebridge.worker.queue import every, huey, task
from livebridge.worker.runtime import TaskContext, run_task

logger = logging.getLogger(__name__)
QUEUED_MARK_SECONDS: Final = 10.0


def warm_up() -> None:
    """Load the comment models when a consumer thread starts, not when the first comment arrives."""

    async def work(context: TaskContext) -> None:
        try:
            load_analyzer(context.settings.model_dir)
        except UnderstandingUnavailable:
            return  # logged with the rebuild command; the comments wait for the sweep

    run_task(work)


huey.on_startup()(warm_up)


@task(retries=2, retry_delay=1)
def understand_session(session_id: int) -> None:
    """Understand the session's comments stored since the last run (enqueued after each ingest commit)."""
    huey.delete(_queued_key(session_id))  # from here on, a new batch enqueues a new run

    async def work(context: TaskContext) -> None:
        await service.catch_up(context.database, session_id, context.publish)

    run_task(work)


@every(seconds=60)
def sweep() -> None:
    """Catch up sessions whose comments may wait (models were missing, a task was lost, the comments
    came by a file import, which enqueues nothing), and check behind their cursors."""

    async def work(context: TaskContext) -> None:
        for session_id in await service.sessions_to_sweep(context.database):
            result = await service.catch_up(context.database, session_id, context.publish)
            behind = await service.verify_session(context.database, session_id, context.publish)
            if result.understood or behind:
                logger.info(
                    "sweep: session %d: %d new comments understood, %d found behind the cursor",
                    session_id,
                    result.understood,
                    behind,
                )

    run_task(work)


def _queued_key(session_id: int) -> str:
    return f"insight:queued:{session_id}"


def request_understanding(session_id: int) -> None:
    """Enqueue the understanding of a session's new comments. Call it after the transaction that
    stored them has committed (it blocks briefly on the queue: from async code, use a thread).

    Batches that arrive while a run is still queued join that run instead of queueing another
    (a busy room sends several batches a second). A mark older than ``QUEUED_MARK_SECONDS`` is
    not trusted: its run may have been lost.
    """
    key, now = _queued_key(session_id), time.time()
    if not huey.put_if_empty(key, now):
        marked_at = huey.get(key, peek=True)
        if isinstance(marked_at, float) and now - marked_at < QUEUED_MARK_SECONDS:
            return
        huey.put(key, now)
    understand_session(session_id)
