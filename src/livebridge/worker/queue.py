"""The one Huey instance every domain's tasks register with, and where its queue is stored.

The storage is chosen when a process configures the queue (``configure_queue``): SQLite in
``var/queue.db`` when ``LIVEBRIDGE_REDIS_URL`` is unset, Redis when it is set. Until then
enqueueing fails loudly instead of losing the task.

Huey's own periodic tasks are checked once a minute. ``every(seconds=10)`` gives shorter periods:
a once-a-minute fan-out task schedules the runs of the rest of this minute and of the next one at
their exact times (the scheduler enqueues scheduled tasks within a second of their time). The
fan-out claims each minute with ``put_if_empty``, so several schedulers (several ``livebridge
worker`` or API processes) still run each tick once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final, ParamSpec, Protocol, cast

from huey import Huey, crontab
from huey.storage import BaseStorage, RedisStorage, SqliteStorage

from livebridge.config import Settings

__all__ = [
    "QueueNotConfiguredError",
    "QueuedTask",
    "configure_queue",
    "every",
    "huey",
    "queue_backend",
    "schedule_ticks",
    "task",
]

P = ParamSpec("P")


class QueueNotConfiguredError(RuntimeError):
    """A task was enqueued in a process that never called ``configure_queue``."""


class _UnconfiguredStorage(BaseStorage):  # type: ignore[misc]
    def _refuse(self, *_args: Any, **_kwargs: Any) -> Any:
        raise QueueNotConfiguredError("the task queue is not configured: call configure_queue(settings) first")

    enqueue = dequeue = add_to_schedule = read_schedule = put_data = put_if_empty = _refuse


huey: Final = Huey("livebridge", results=False, utc=True, storage_class=_UnconfiguredStorage)


class QueuedTask(Protocol[P]):
    """A function registered with the queue: calling it enqueues a run (Huey's ``TaskWrapper``)."""

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Any: ...

    def call_local(self, *args: P.args, **kwargs: P.kwargs) -> Any: ...

    def schedule(
        self,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
        *,
        eta: datetime | None = None,
        delay: float | None = None,
    ) -> Any: ...


def task(
    *, retries: int = 0, retry_delay: float = 0, name: str | None = None
) -> Callable[[Callable[P, None]], QueuedTask[P]]:
    """``@task()``: Huey's ``huey.task`` with types. Tasks must be idempotent (at-least-once delivery)."""

    def decorate(function: Callable[P, None]) -> QueuedTask[P]:
        return cast("QueuedTask[P]", huey.task(retries=retries, retry_delay=retry_delay, name=name)(function))

    return decorate


def configure_queue(settings: Settings) -> None:
    """Point the queue at Redis (``LIVEBRIDGE_REDIS_URL``) or at the SQLite file in ``var/``."""
    huey.name = settings.queue_name
    if settings.redis_url:
        huey.storage = RedisStorage(name=settings.queue_name, url=settings.redis_url)
    else:
        settings.queue_path.parent.mkdir(parents=True, exist_ok=True)
        huey.storage = SqliteStorage(name=settings.queue_name, filename=str(settings.queue_path))


def queue_backend() -> str:
    """``redis``, ``sqlite`` or ``unconfigured``: what this process enqueues into."""
    if isinstance(huey.storage, RedisStorage):
        return "redis"
    if isinstance(huey.storage, SqliteStorage):
        return "sqlite"
    return "unconfigured"


def _tick_times(minute: datetime, seconds: int) -> list[datetime]:
    """The run times of a task of period ``seconds`` that fall in the minute starting at ``minute``."""
    if seconds <= 60:
        return [minute + timedelta(seconds=offset) for offset in range(0, 60, seconds)]
    minute_of_day = minute.hour * 60 + minute.minute
    return [minute] if minute_of_day % (seconds // 60) == 0 else []


def schedule_ticks(task_name: str, run: QueuedTask[[]], seconds: int, now: datetime) -> int:
    """Schedule the runs of ``run`` still ahead in the minute of ``now`` and all of the next minute.

    The fan-out runs once a minute but at any second of it (the scheduler's clock starts with the
    consumer), so it schedules one minute ahead: every minute is covered by the check before it.
    Each minute is claimed in the queue's key-value store and only its first claimant schedules
    it; the claim of two minutes ago is dropped so claims do not pile up. Returns the runs scheduled.
    """
    current = now.replace(second=0, microsecond=0)
    scheduled = 0
    for minute in (current, current + timedelta(minutes=1)):
        if not huey.put_if_empty(f"every:{task_name}:{minute:%Y%m%d%H%M}", b"1"):
            continue
        huey.delete(f"every:{task_name}:{minute - timedelta(minutes=2):%Y%m%d%H%M}")
        for eta in _tick_times(minute, seconds):
            if eta >= now - timedelta(seconds=1):
                run.schedule(eta=eta)
                scheduled += 1
    return scheduled


def every(seconds: int, *, name: str | None = None) -> Callable[[Callable[[], None]], QueuedTask[[]]]:
    """Run the decorated function every ``seconds`` seconds, once across all consumers.

    ``seconds`` divides 60 (1, 2, 5, 10, 15, 30, 60) or is a whole number of minutes dividing a
    day (120, 300, 3600, …). The function takes no arguments and should be idempotent (Huey
    delivers at least once).
    """
    if not (seconds > 0 and (60 % seconds == 0 or (seconds % 60 == 0 and 86_400 % seconds == 0))):
        raise ValueError(f"every(seconds={seconds}): use a divisor of 60 or whole minutes dividing a day")

    def decorate(function: Callable[[], None]) -> QueuedTask[[]]:
        task_name = name or f"{function.__module__}.{function.__qualname__}"
        run = task(name=task_name)(function)

        def fan_out() -> None:
            schedule_ticks(task_name, run, seconds, datetime.now(UTC))

        huey.periodic_task(crontab(), name=f"{task_name}.fan_out")(fan_out)
        return run

    return decorate
