"""Huey consumers: threads inside the web process (embedded mode) or a ``livebridge worker`` process.

Both poll the queue quickly enough for the live paths: Redis blocks on the queue (a task starts
at once); the SQLite queue is polled with a back-off that never waits more than
``MAX_POLL_SECONDS``, so a task enqueued by a request starts within about a quarter of a second.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from huey.consumer import Consumer

from livebridge.config import Settings
from livebridge.realtime.broadcaster import Broadcaster
from livebridge.worker.queue import configure_queue, huey
from livebridge.worker.registry import load_task_modules
from livebridge.worker.runtime import configure_runtime

__all__ = ["EmbeddedConsumer", "run_worker", "start_embedded_consumer", "stop_embedded_consumer"]

logger = logging.getLogger(__name__)
FIRST_POLL_SECONDS: Final = 0.02
MAX_POLL_SECONDS: Final = 0.25
SHUTDOWN_SECONDS: Final = 10.0


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A consumer that leaves the process's signals alone: the web server owns them."""

    def _set_signal_handlers(self) -> None:
        return


def _consumer(settings: Settings, consumer_class: type[Consumer]) -> Consumer:
    return consumer_class(
        huey,
        workers=max(settings.queue_workers, 1),
        initial_delay=FIRST_POLL_SECONDS,
        max_delay=MAX_POLL_SECONDS,
        shutdown_timeout=SHUTDOWN_SECONDS,
    )


def start_embedded_consumer(
    settings: Settings, broadcaster: Broadcaster, loop: asyncio.AbstractEventLoop
) -> Consumer | None:
    """Start consumer threads in this (web) process; ``None`` when it should not run any.

    With Redis the ``livebridge worker`` processes consume; with ``LIVEBRIDGE_QUEUE_WORKERS=0``
    nothing does here (another process runs ``livebridge worker`` on the same SQLite queue).
    """
    if settings.redis_url or settings.queue_workers == 0:
        return None
    configure_queue(settings)
    configure_runtime(settings, broadcaster=broadcaster, loop=loop)
    load_task_modules()
    consumer = _consumer(settings, EmbeddedConsumer)
    consumer.start()
    logger.info("task consumer: %d thread(s) on %s", settings.queue_workers, settings.queue_path)
    return consumer


def stop_embedded_consumer(consumer: Consumer) -> None:
    """Let running tasks finish (up to ``SHUTDOWN_SECONDS``), then stop the threads.

    It blocks: call it off the web app's loop (``asyncio.to_thread``), which running tasks may
    still be publishing through.
    """
    consumer.stop(graceful=True)


def run_worker(settings: Settings) -> None:
    """Consume until SIGINT/SIGTERM: the ``livebridge worker`` command."""
    configure_queue(settings)
    configure_runtime(settings)
    load_task_modules()
    consumer = _consumer(settings, Consumer)
    consumer.run()
