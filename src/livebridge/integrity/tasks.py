"""Background tasks of integrity (see livebridge.worker): live sessions re-assessed every 10 s."""

from __future__ import annotations

import logging

from livebridge.integrity import service
from livebridge.worker.queue import every
from livebridge.worker.runtime import TaskContext, run_task

logger = logging.getLogger(__name__)


@every(seconds=10)
def refresh_live_sessions() -> None:
    """Every live session's authenticity index, flags and alert, at most ten seconds old."""

    async def work(context: TaskContext) -> None:
        refreshed = await service.refresh_live_sessions(context.database)
        if refreshed:
            logger.debug("integrity: %d live sessions re-assessed", refreshed)

    run_task(work)
