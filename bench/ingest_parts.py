"""Where a batch's time goes on the ingest path, one step at a time, in one process (no HTTP).

    .venv/bin/python bench/ingest_parts.py [--events 50000] [--postgres postgresql+asyncpg://…]

Per batch of 1,000 realistic events (median over the batches): the steps of ``prepare_body``
(decoding, the batch's rows, the rollup counts) and the write transaction of ``store_batch`` (the
rows, rollups, audit chain, commit), run one after the other, against the engine's own insert of
the same 1,000 rows in a transaction of their own. What bench/ingest.py measures through HTTP is
these steps plus the request and response, with several batches at once.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from alembic import command as alembic_command
from sqlalchemy.ext.asyncio import AsyncSession

from ingest import BATCH, Target, fresh_postgres, make_target, realistic_lines
from livebridge.authz import Permission, Subject
from livebridge.cli import alembic_config
from livebridge.config import Settings
from livebridge.db import Database
from livebridge.ingest import schemas, service
from livebridge.ingest.repository import EVENT_COLUMNS, RowBuilder
from livebridge.kit.time import utcnow


def timed(results: dict[str, list[float]], name: str, step: Callable[..., Any], *args: Any) -> Any:
    started = time.perf_counter()
    value = step(*args)
    results.setdefault(name, []).append((time.perf_counter() - started) * 1000)
    return value


async def raw_batch(session: AsyncSession, rows: list[tuple[Any, ...]]) -> None:
    """The engine's own insert of one batch: sqlite3 executemany / asyncpg COPY, nothing else."""
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    if connection.dialect.name == "sqlite":
        columns = ", ".join(EVENT_COLUMNS)
        marks = ", ".join("?" * len(EVENT_COLUMNS))
        await driver.executemany(f"INSERT INTO live_events ({columns}) VALUES ({marks})", rows)
    else:
        await driver.copy_records_to_table("live_events", records=rows, columns=EVENT_COLUMNS)


async def measure(database: Database, count: int) -> dict[str, list[float]]:
    engine = database.engine.dialect.name
    api_target: Target = await make_target(database)
    raw_target: Target = await make_target(database)
    subject = Subject(display_name="bench", tenant_id=api_target.tenant_id, permissions=frozenset(Permission))
    results: dict[str, list[float]] = {}
    api_lines = realistic_lines(count, "parts-api")
    raw_lines = realistic_lines(count, "parts-raw")
    for start in range(0, count, BATCH):
        body = b"\n".join(api_lines[start : start + BATCH])
        tenant, session_id = api_target.tenant_id, api_target.session_id
        now = utcnow()
        events = timed(results, "decode (msgspec, one call)", schemas.decode_clean_body, body, False)
        builder = RowBuilder(tenant, session_id, now, engine, partial(service.opaque_viewer, tenant))
        rows, seconds = timed(results, "rows of the batch", builder.rows, events)
        timed(results, "rollup counts", service.rollup_increments, rows, seconds)
        prepare = partial(service.prepare_body, tenant, session_id, body, False, engine)
        batch = timed(results, "prepare_body (all of the above)", prepare)
        started = time.perf_counter()
        async with database.transaction() as session:
            await service.store_batch(session, subject, session_id, batch)
        results.setdefault("store_batch + commit", []).append((time.perf_counter() - started) * 1000)

        raw_events = [schemas.decode_event(line) for line in raw_lines[start : start + BATCH]]
        raw_builder = RowBuilder(raw_target.tenant_id, raw_target.session_id, now, engine, lambda viewer: viewer)
        raw_rows = raw_builder.rows(raw_events)[0]
        started = time.perf_counter()
        async with database.transaction() as session:
            await raw_batch(session, raw_rows)
        results.setdefault("engine's own insert + commit", []).append((time.perf_counter() - started) * 1000)
    return results


async def run(url: str, work_dir: Path, count: int) -> None:
    database = Database(Settings(database_url=url, var_dir=work_dir, secret_key="bench"))
    try:
        results = await measure(database, count)
    finally:
        await database.dispose()
    print(f"\n{database.engine.dialect.name}: ms per batch of {BATCH:,} events (median of {count // BATCH} batches)")
    for name, values in results.items():
        print(f"  {name:<36}{statistics.median(values):>8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        urls = [f"sqlite+aiosqlite:///{tmp}/parts.db"] + ([fresh_postgres(args.postgres)] if args.postgres else [])
        for url in urls:
            alembic_command.upgrade(alembic_config(url), "head")
            asyncio.run(run(url, Path(tmp), args.events))


if __name__ == "__main__":
    main()
