"""The 30-second ``regroup`` task on the demo tenant: new comments placed into its existing topics.

Works on a copy of a database that ``livebridge demo`` filled (simulated data): the newest
``--new`` placed comments are taken out of their topics, then ``regroup_tenants`` is timed twice
in this fresh process (placing them, then with nothing new), after loading the sentence encoder,
with how long its write transactions held the database (SQLite's one write lock, which ingestion
waits for meanwhile).

    LIVEBRIDGE_DATABASE_URL=sqlite+aiosqlite:////tmp/demo.db PYTHONPATH=src .venv/bin/livebridge demo
    PYTHONPATH=src .venv/bin/python bench/demand_regroup_demo.py /tmp/demo.db [--new 300]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.config import Settings
from livebridge.db import Database
from livebridge.demand import service
from livebridge.demand.embedding import shared_encoder
from livebridge.demo.seed import DEMO_SLUG
from livebridge.models import DemandTopicMember, Tenant


class TimedDatabase(Database):
    """Adds up the time spent inside write transactions (from the lock taken to the commit)."""

    write_seconds = 0.0

    @asynccontextmanager
    async def transaction(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        if not write:
            async with super().transaction(write=False) as session:
                yield session
            return
        started = time.perf_counter()
        try:
            async with super().transaction() as session:
                yield session
        finally:
            self.write_seconds += time.perf_counter() - started


async def main(path: Path, new: int) -> None:
    database = TimedDatabase(Settings(database_url=f"sqlite+aiosqlite:///{path}", var_dir=path.parent, secret_key="b"))
    try:
        async with database.transaction() as session:
            tenant_id = (await session.execute(select(Tenant.id).where(Tenant.slug == DEMO_SLUG))).scalar_one()
            newest = (
                select(DemandTopicMember.event_row_id)
                .where(DemandTopicMember.tenant_id == tenant_id)
                .order_by(DemandTopicMember.event_row_id.desc())
                .limit(new)
            )
            taken = list((await session.execute(newest)).scalars())
            await session.execute(delete(DemandTopicMember).where(DemandTopicMember.event_row_id.in_(taken)))
        started = time.perf_counter()
        shared_encoder().encode(["加载模型"])
        print(f"loading the sentence encoder (once per process) {time.perf_counter() - started:.2f} s")
        for label in (f"regroup, {len(taken)} new comments", "regroup, nothing new"):
            encoded = shared_encoder().encoded
            database.write_seconds = 0.0
            started = time.perf_counter()
            [(_, result)] = await service.regroup_tenants(database, [tenant_id])
            print(
                f"{label:<30} {time.perf_counter() - started:6.2f} s  (writing {database.write_seconds:.2f} s)  "
                f"placed {result.comments_placed}, "
                f"topics created {result.topics_created}, active {result.topics_active}, "
                f"texts encoded {shared_encoder().encoded - encoded}"
            )
    finally:
        await database.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("database", type=Path, help="a SQLite file filled by `livebridge demo` (left unchanged)")
    parser.add_argument("--new", type=int, default=300)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "demo.db"
        shutil.copy(arguments.database, copy)
        asyncio.run(main(copy, arguments.new))
