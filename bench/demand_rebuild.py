"""End-to-end ``rebuild_topics`` on a scratch SQLite database: first grouping, increments, no-op.

Simulated demand, question and complaint comments (the simulator's authored templates, marked
simulated) are stored as comment events with their insights for one tenant with the example shelf's
products, then grouped. Printed per run: seconds and comments per second, beside the floor of the
same run: reading the eligible insights alone (the SQL part every rebuild pays).

    PYTHONPATH=src .venv/bin/python bench/demand_rebuild.py [--comments 5000] [--increment 500] [--semantic-weight 0]

The first rebuild of a process also loads the sentence encoder (printed apart); ``--semantic-weight
0`` groups by character n-grams alone, without the encoder (the grouping before embeddings).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command as alembic_command

from livebridge.authz import Permission, Subject, command_line_subject
from livebridge.catalog import service as catalog_service
from livebridge.catalog.schemas import ProductCreate, SkuCreate
from livebridge.cli import alembic_config
from livebridge.config import Settings
from livebridge.db import Database
from livebridge.demand import service
from livebridge.demand.embedding import shared_encoder
from livebridge.demand.grouping import GroupingSettings
from livebridge.demand.repository import InsightRepository
from livebridge.live import service as live_service
from livebridge.live.schemas import HostCreate, SessionCreate
from livebridge.models import CommentInsight, LiveEventRow, Platform
from livebridge.simulate.comments import CommentWriter
from livebridge.simulate.scenario import example_shelf
from livebridge.tenancy import service as tenancy_service
from livebridge.tenancy.schemas import TenantCreate
from livebridge.text import Intent, normalize

KINDS: tuple[Intent, ...] = ("demand", "question", "complaint")
START = datetime(2026, 11, 1, 12, tzinfo=UTC)


async def setup(database: Database) -> tuple[Subject, int, list[int]]:
    async with database.transaction() as session:
        tenant = await tenancy_service.do_create_tenant(
            session,
            command_line_subject(),
            TenantCreate(
                slug="bench",
                name="bench",
                owner_email="bench@example.invalid",
                owner_name="bench",
                owner_password="bench-password",
            ),
            is_simulated=True,
        )
        subject = Subject(display_name="bench", tenant_id=tenant.id, permissions=frozenset(Permission))
        products = [
            await catalog_service.do_create_product(
                session,
                subject,
                ProductCreate(
                    name=p.name,
                    category=p.category,
                    aliases=list(p.aliases),
                    skus=[SkuCreate(code=f"B-{i}", spec="x", price_fen=100)],
                ),
                is_simulated=True,
            )
            for i, p in enumerate(example_shelf())
        ]
        host = await live_service.do_create_host(session, subject, HostCreate(name="bench", platform=Platform.DOUYIN))
        live_session = await live_service.do_create_session(
            session,
            subject,
            SessionCreate(title="bench", platform=Platform.DOUYIN, scheduled_start_at=START, host_ids=[host.id]),
        )
    return subject, live_session.id, [p.id for p in products]


async def add(
    database: Database, subject: Subject, session_id: int, product_ids: list[int], count: int, rng: random.Random
) -> None:
    shelf = example_shelf()
    writer = CommentWriter(shelf, rng)
    async with database.transaction() as session:
        for _ in range(count):
            kind = rng.choice(KINDS)
            index = rng.randrange(len(shelf))
            text = writer.write(kind, shelf[index], is_explained=True).text
            moment = START + timedelta(seconds=rng.randrange(5400))
            viewer = f"v{rng.randrange(count)}"
            event = LiveEventRow(
                tenant_id=subject.tenant_id,
                session_id=session_id,
                source="bench",
                event_id=uuid.uuid4().hex,
                type="comment",
                occurred_at=moment,
                received_at=moment,
                viewer_key=viewer,
                text=text,
                is_simulated=True,
            )
            session.add(event)
            await session.flush()
            session.add(
                CommentInsight(
                    event_row_id=event.id,
                    tenant_id=subject.tenant_id,
                    session_id=session_id,
                    occurred_at=moment,
                    viewer_key=viewer,
                    normalized=normalize(text),
                    intent=kind,
                    intent_confidence=0.9,
                    aspects=[],
                    sentiment="negative" if kind == "complaint" else "neutral",
                    aspect_sentiments={},
                    product_id=product_ids[index],
                    product_link="explaining",
                    is_simulated=True,
                )
            )


async def timed_rebuild(
    database: Database, subject: Subject, label: str, comments: int, settings: GroupingSettings
) -> None:
    async with database.transaction(write=False) as session:
        started = time.perf_counter()
        await InsightRepository(session).eligible(subject)
        floor = time.perf_counter() - started
    async with database.transaction() as session:
        encoded = shared_encoder().encoded
        started = time.perf_counter()
        result = await service.rebuild_topics(session, subject, settings=settings, now=START + timedelta(days=1))
        elapsed = time.perf_counter() - started
    print(
        f"{label:<28} {elapsed:7.2f} s  {comments / elapsed:9,.0f} comments/s   "
        f"(reading the insights alone: {floor:.3f} s)  placed {result.comments_placed}, "
        f"topics created {result.topics_created}, active {result.topics_active}, "
        f"texts encoded {shared_encoder().encoded - encoded}"
    )


async def main(folder: str, comments: int, increment: int, settings: GroupingSettings) -> None:
    url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
    database = Database(Settings(database_url=url, var_dir=Path(folder), secret_key="bench"))
    try:
        rng = random.Random(11)
        subject, session_id, product_ids = await setup(database)
        await add(database, subject, session_id, product_ids, comments, rng)
        print(f"{comments} simulated comments over {len(product_ids)} products, SQLite, one process, {settings}")
        if settings.semantic_weight > 0:
            started = time.perf_counter()
            shared_encoder().encode(["加载模型"])
            print(f"loading the sentence encoder (once per process) {time.perf_counter() - started:.2f} s")
        await timed_rebuild(database, subject, "first rebuild", comments, settings)
        await timed_rebuild(database, subject, "no-op rebuild (nothing new)", comments, settings)
        await add(database, subject, session_id, product_ids, increment, rng)
        await timed_rebuild(database, subject, f"+{increment} new comments", comments + increment, settings)
    finally:
        await database.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=5000)
    parser.add_argument("--increment", type=int, default=500)
    parser.add_argument("--semantic-weight", type=float, default=GroupingSettings().semantic_weight)
    arguments = parser.parse_args()
    grouping = GroupingSettings(semantic_weight=arguments.semantic_weight)
    with tempfile.TemporaryDirectory() as scratch:
        # Alembic runs its own event loop: migrate before ours starts.
        alembic_command.upgrade(alembic_config(f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"), "head")
        asyncio.run(main(scratch, arguments.comments, arguments.increment, grouping))
