"""How a task runs: on its worker thread's own event loop, with that thread's own database engine.

Huey calls tasks as plain functions on consumer threads; the domain code is async. Each consumer
thread keeps one event loop and one ``Database`` for its life (an async engine belongs to one
loop), made on first use and disposed of when the consumer stops. A task opens its own
transaction(s) through ``context.database``; nothing is shared with the web requests.

Live notifications: in the embedded mode the consumer threads live in the web process, so a task
publishes through the web app's broadcaster on the web app's loop; a ``livebridge worker`` process
publishes through its own broadcaster (Redis pub/sub when ``LIVEBRIDGE_REDIS_URL`` is set).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from livebridge.config import Settings
from livebridge.db import Database
from livebridge.realtime.broadcaster import Broadcaster, create_broadcaster
from livebridge.worker.queue import huey

__all__ = ["TaskContext", "close_thread_state", "configure_runtime", "run_task"]

T = TypeVar("T")


@dataclass(frozen=True)
class _Target:
    settings: Settings
    # The web app's broadcaster and loop (embedded mode), or None: each thread makes its own.
    app_broadcaster: Broadcaster | None
    app_loop: asyncio.AbstractEventLoop | None


_target: _Target | None = None
_local = threading.local()


def configure_runtime(
    settings: Settings, *, broadcaster: Broadcaster | None = None, loop: asyncio.AbstractEventLoop | None = None
) -> None:
    """Say which settings tasks of this process use, and (embedded mode) the web app's broadcaster and loop."""
    global _target
    _target = _Target(settings, broadcaster, loop)


class TaskContext:
    """What a task gets: the settings, this thread's database, and a way to notify live dashboards."""

    def __init__(self, target: _Target) -> None:
        self.settings = target.settings
        self.database = Database(target.settings)
        self._target = target
        self._own_broadcaster = None if target.app_broadcaster else create_broadcaster(target.settings.redis_url)

    async def publish(self, channel: str, message: str) -> None:
        if self._own_broadcaster is not None:
            await self._own_broadcaster.publish(channel, message)
            return
        broadcaster, loop = self._target.app_broadcaster, self._target.app_loop
        if broadcaster is None or loop is None:
            raise RuntimeError("no broadcaster to publish through")
        future = asyncio.run_coroutine_threadsafe(broadcaster.publish(channel, message), loop)
        await asyncio.wrap_future(future)

    async def close(self) -> None:
        await self.database.dispose()
        if self._own_broadcaster is not None:
            await self._own_broadcaster.close()


@dataclass
class _ThreadState:
    loop: asyncio.AbstractEventLoop
    context: TaskContext


def _thread_state() -> _ThreadState:
    state: _ThreadState | None = getattr(_local, "state", None)
    if state is None:
        if _target is None:
            raise RuntimeError("the task runtime is not configured: call configure_runtime(settings) first")
        loop = asyncio.new_event_loop()
        state = _ThreadState(loop, TaskContext(_target))
        _local.state = state
    return state


def run_task(work: Callable[[TaskContext], Awaitable[T]]) -> T:
    """Run one task's async work on this thread's loop and return its result."""
    state = _thread_state()
    return state.loop.run_until_complete(work(state.context))


def close_thread_state() -> None:
    """Dispose of the stopping consumer thread's engine, broadcaster and loop."""
    state: _ThreadState | None = getattr(_local, "state", None)
    if state is None:
        return
    _local.state = None
    state.loop.run_until_complete(state.context.close())
    state.loop.close()


huey.on_shutdown()(close_thread_state)
