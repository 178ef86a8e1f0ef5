"""Background work: the Huey task queue, its consumers and second-granular schedules.

Domains declare tasks in their own ``tasks.py``::

    from livebridge.worker.queue import every, task
    from livebridge.worker.runtime import run_task

    @task(retries=2, retry_delay=1)
    def do_something(row_id: int) -> None:
        run_task(lambda context: service.do_something(context.database, row_id))

    @every(seconds=10)                       # Huey's own periodic tasks are minute-granular
    def refresh() -> None: ...

    do_something(42)                         # enqueue (after the request's transaction committed)

and list the module in ``registry.TASK_MODULES`` so every consumer imports it. See
docs/adr/0002-task-queue-huey.md.
"""
