"""The task queue: an embedded consumer runs enqueued tasks on their own loop and database and
publishes to the web app's broadcaster; ``every`` fans a minute out into exact ticks, once."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from livebridge.config import Settings
from livebridge.models import Tenant
from livebridge.realtime.broadcaster import Broadcaster
from livebridge.worker import queue as queue_module
from livebridge.worker.consumer import start_embedded_consumer, stop_embedded_consumer
from livebridge.worker.queue import QueueNotConfiguredError, configure_queue, every, huey, schedule_ticks, task
from livebridge.worker.runtime import TaskContext, run_task
from tests.factories import embedded_queue_only


@task()
def publish_tenant_count(channel: str) -> None:
    async def work(context: TaskContext) -> None:
        async with context.database.transaction(write=False) as session:
            count = (await session.execute(select(func.count(Tenant.id)))).scalar_one()
        await context.publish(channel, str(count))

    run_task(work)


@embedded_queue_only
async def test_an_embedded_consumer_runs_a_task_and_publishes_through_the_app(app: FastAPI, settings: Settings) -> None:
    broadcaster: Broadcaster = app.state.broadcaster
    channel = f"test:{uuid.uuid4().hex}"
    messages = broadcaster.subscribe(channel)
    first = asyncio.ensure_future(anext(messages))
    await asyncio.sleep(0)  # the subscription exists before the task can publish
    consumer = start_embedded_consumer(settings, broadcaster, asyncio.get_running_loop())
    assert consumer is not None
    try:
        publish_tenant_count(channel)
        assert int(await asyncio.wait_for(first, timeout=10)) >= 0
    finally:
        await asyncio.to_thread(stop_embedded_consumer, consumer)
        await messages.aclose()  # type: ignore[attr-defined]


def test_ticks_of_a_minute() -> None:
    minute = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    ticks = queue_module._tick_times(minute, 10)
    assert ticks == [minute + timedelta(seconds=s) for s in (0, 10, 20, 30, 40, 50)]
    assert queue_module._tick_times(minute, 60) == [minute]
    assert queue_module._tick_times(minute + timedelta(minutes=1), 300) == []
    assert queue_module._tick_times(minute + timedelta(minutes=5), 300) == [minute + timedelta(minutes=5)]


def test_every_refuses_periods_that_do_not_fit_a_minute() -> None:
    with pytest.raises(ValueError, match="divisor of 60"):
        every(seconds=7)


@embedded_queue_only
def test_the_fan_out_covers_this_minute_and_the_next_once_across_schedulers(settings: Settings) -> None:
    configure_queue(settings)
    name = f"tests.tick.{uuid.uuid4().hex}"

    @every(seconds=10, name=name)
    def tick() -> None:
        return

    minute = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    now = minute + timedelta(seconds=25)  # the scheduler's check falls at any second of a minute
    assert schedule_ticks(name, tick, 10, now) == 3 + 6  # :30 :40 :50, then all of the next minute
    assert schedule_ticks(name, tick, 10, now) == 0  # a second scheduler in the same minute
    assert schedule_ticks(name, tick, 10, now + timedelta(minutes=1)) == 6  # only the minute after
    # Huey enqueues a task with an ETA; the consumer parks it in the schedule until then.
    etas = sorted(task.eta for task in huey.pending() if task.name == name)
    start = minute.replace(tzinfo=None)
    assert etas == [start + timedelta(seconds=s) for s in range(30, 180, 10)]


@embedded_queue_only
def test_a_minute_long_period_is_not_lost_between_checks(settings: Settings) -> None:
    configure_queue(settings)
    name = f"tests.minutely.{uuid.uuid4().hex}"

    @every(seconds=60, name=name)
    def minutely() -> None:
        return

    minute = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    for check in range(3):  # checks at :40 of three minutes in a row
        schedule_ticks(name, minutely, 60, minute + timedelta(minutes=check, seconds=40))
    etas = sorted(task.eta for task in huey.pending() if task.name == name)
    start = minute.replace(tzinfo=None)
    assert etas == [start + timedelta(minutes=m) for m in (1, 2, 3)]


def test_enqueueing_before_the_queue_is_configured_fails_loudly(settings: Settings) -> None:
    storage = huey.storage
    huey.storage = queue_module._UnconfiguredStorage(name="x")
    try:
        with pytest.raises(QueueNotConfiguredError, match="configure_queue"):
            publish_tenant_count("nowhere")
    finally:
        huey.storage = storage


@every(seconds=1)
def publish_each_second() -> None:
    async def work(context: TaskContext) -> None:
        await context.publish("test:every-second", str(time.time()))

    run_task(work)


@embedded_queue_only
async def test_a_consumer_runs_a_one_second_task_every_second(app: FastAPI, settings: Settings) -> None:
    configure_queue(settings)
    huey.flush()  # ticks other tests scheduled would all fall due at once when this consumer starts
    broadcaster: Broadcaster = app.state.broadcaster
    messages = broadcaster.subscribe("test:every-second")
    first = asyncio.ensure_future(anext(messages))
    await asyncio.sleep(0)
    consumer = start_embedded_consumer(settings, broadcaster, asyncio.get_running_loop())
    assert consumer is not None
    try:
        # Starting a consumer loads the task modules (and the comment models): slow on a loaded machine.
        runs = [float(await asyncio.wait_for(first, timeout=60))]
        while len(runs) < 4:
            runs.append(float(await asyncio.wait_for(anext(messages), timeout=5)))
        # Four runs, each within 5 s of the previous, spread over their ticks (not one burst).
        assert 2.0 <= runs[-1] - runs[0] < 10.0, runs
    finally:
        await asyncio.to_thread(stop_embedded_consumer, consumer)
        await messages.aclose()  # type: ignore[attr-defined]
