"""Comment understanding as comments arrive: ingest → insight stored → on the dashboard's stream.

    .venv/bin/python bench/insight_latency.py [--seconds 10] [--rate 500] [--events 30000]

One server process (uvicorn, embedded SQLite queue and consumer threads, as `livebridge serve`) on a
fresh SQLite database in a temporary folder. It prints:
  latency   comments of a busy room (``--rate`` comments/s, five batches a second, simulated texts)
            for ``--seconds``: per batch, the delay from the API's acknowledgement to the insight
            stream (/sessions/{id}/live/insights, what tags the dashboard feed) having delivered
            all of the batch's insights — p50, p95, max;
  ingest    the HTTP batch API's events/s over ``--events`` realistic events (all types, batches of
            1,000, as bench/ingest.py) with the consumer off (LIVEBRIDGE_QUEUE_WORKERS=0) and on
            (2 threads understanding the comments meanwhile on the same two cores), the ratio,
            and how long after the last acknowledgement every comment was understood.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
from alembic import command as alembic_command
from sqlalchemy import func, select

from ingest import PASSWORD, Server, Target, make_target, post_all, realistic_lines
from livebridge.cli import alembic_config
from livebridge.config import Settings
from livebridge.db import Database
from livebridge.models import CommentInsight, LiveEventRow


def comment_lines(count: int, namespace: str) -> list[bytes]:
    """``count`` comment events now, their texts cycled from the simulator's busy session (simulated)."""
    texts = [
        orjson.loads(line)["text"] for line in realistic_lines(20_000, namespace) if b'"type":"comment"' in line[:20]
    ]
    now = datetime.now(UTC) - timedelta(seconds=5)
    return [
        orjson.dumps(
            {
                "type": "comment",
                "event_id": f"{namespace}-{index}",
                "occurred_at": now.isoformat(),
                "viewer_id": f"v{index % 997}",
                "text": texts[index % len(texts)],
                "is_simulated": True,
            }
        )
        for index in range(count)
    ]


class InsightStream:
    """Reads /sessions/{id}/live/insights; keeps (arrival, newest comment id understood so far)."""

    def __init__(self, url: str, target: Target) -> None:
        self.client = httpx.Client(base_url=url, timeout=30)
        self.client.get("/login")
        self.client.post(
            "/login",
            data={"email": target.owner_email, "password": PASSWORD, "csrf_token": self.client.cookies["lb_csrf"]},
        )
        self.arrivals: list[tuple[float, int]] = []
        self.ready = threading.Event()
        self._path = f"/sessions/{target.session_id}/live/insights"
        threading.Thread(target=self._listen, daemon=True).start()
        self.ready.wait(10)

    def _listen(self) -> None:
        # A session's comments are understood in id order, and each published message carries its
        # newest insights (at most 200 of a chunk): the newest id seen says how far understanding got.
        newest = 0
        try:
            with self.client.stream("GET", self._path, timeout=None) as response:
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        items = orjson.loads(line.split(":", 1)[1])["insights"]
                        newest = max([newest, *(item["id"] for item in items)])
                        self.arrivals.append((time.monotonic(), newest))
                        self.ready.set()
        except httpx.HTTPError:
            return  # closed at the end of the run

    def close(self) -> None:
        self.client.close()


def tag_latency(
    url: str, settings: Settings, target: Target, lines: list[bytes], rate: int, seconds: int
) -> list[float]:
    stream = InsightStream(url, target)
    headers = {"Authorization": f"Bearer {target.api_key}", "Content-Type": "application/x-ndjson"}
    per_batch = rate // 5
    acknowledgements: list[tuple[float, bytes]] = []  # (ack time, the batch's last line)
    started = time.monotonic()
    with httpx.Client(base_url=url, timeout=30) as poster:
        for index in range(seconds * 5):
            batch = lines[index * per_batch : (index + 1) * per_batch]
            response = poster.post(
                f"/api/v1/sessions/{target.session_id}/events", content=b"\n".join(batch), headers=headers
            )
            response.raise_for_status()
            acknowledgements.append((time.monotonic(), batch[-1]))
            pause = started + (index + 1) * 0.2 - time.monotonic()
            if pause > 0:
                time.sleep(pause)
    time.sleep(3)
    stream.close()
    row_ids = asyncio.run(event_row_ids(settings, target.session_id))
    delays = []
    for acked_at, last_line in acknowledgements:
        needed = row_ids[orjson.loads(last_line)["event_id"]]
        arrival = next((at for at, newest in stream.arrivals if newest >= needed), None)
        delays.append(float("inf") if arrival is None else max(0.0, arrival - acked_at))
    return delays


async def event_row_ids(settings: Settings, session_id: int) -> dict[str, int]:
    """The stored id of each comment of the session, by its event id."""
    database = Database(settings)
    try:
        async with database.transaction(write=False) as session:
            rows = await session.execute(
                select(LiveEventRow.event_id, LiveEventRow.id).where(LiveEventRow.session_id == session_id)
            )
            return {str(event_id): int(row_id) for event_id, row_id in rows.all()}
    finally:
        await database.dispose()


async def make_targets(settings: Settings, count: int) -> list[Target]:
    database = Database(settings)
    try:
        return [await make_target(database) for _ in range(count)]
    finally:
        await database.dispose()


async def understood_and_comments(settings: Settings, session_id: int) -> tuple[int, int]:
    database = Database(settings)
    try:
        return await _count(database, session_id)
    finally:
        await database.dispose()


async def _count(database: Database, session_id: int) -> tuple[int, int]:
    async with database.transaction(write=False) as session:
        understood = (
            await session.execute(select(func.count()).where(CommentInsight.session_id == session_id))
        ).scalar_one()
        comments = (
            await session.execute(
                select(func.count()).where(LiveEventRow.session_id == session_id, LiveEventRow.type == "comment")
            )
        ).scalar_one()
    return int(understood), int(comments)


def ingest_rate(database_url: str, work_dir: Path, target: Target, lines: list[bytes], consumers: int) -> float:
    server = Server(database_url, work_dir / f"var-{consumers}", queue_workers=consumers)
    try:
        return asyncio.run(post_all([server.url], target, lines))
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rate", type=int, default=500, help="comments per second in the latency run")
    parser.add_argument("--events", type=int, default=30_000, help="events per ingest-rate run")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lb-insight-bench-") as folder:
        work_dir = Path(folder)
        database_url = f"sqlite+aiosqlite:///{work_dir / 'bench.db'}"
        alembic_command.upgrade(alembic_config(database_url), "head")
        settings = Settings(database_url=database_url, var_dir=work_dir, secret_key="bench")
        latency_target, quiet_target, busy_target = asyncio.run(make_targets(settings, 3))

        print(f"latency: {arguments.rate} comments/s for {arguments.seconds} s…", flush=True)
        server = Server(database_url, work_dir / "var-latency", queue_workers=2)
        try:
            comments = comment_lines(arguments.rate * arguments.seconds, "bench-tags")
            delays = sorted(
                tag_latency(server.url, settings, latency_target, comments, arguments.rate, arguments.seconds)
            )
        finally:
            server.stop()

        print(f"ingest: {arguments.events:,} realistic events, consumer off and on…", flush=True)
        quiet = ingest_rate(database_url, work_dir, quiet_target, realistic_lines(arguments.events, "q"), 0)
        server = Server(database_url, work_dir / "var-busy", queue_workers=2)
        try:
            lines = realistic_lines(arguments.events, "b")
            # The consumer loads the models when it starts (about a second of CPU): let it finish.
            asyncio.run(post_all([server.url], busy_target, comment_lines(10, "warm"), per_server=1))
            while asyncio.run(understood_and_comments(settings, busy_target.session_id))[0] < 10:
                time.sleep(0.05)
            busy = asyncio.run(post_all([server.url], busy_target, lines))
            acked = time.monotonic()
            while True:
                understood, total = asyncio.run(understood_and_comments(settings, busy_target.session_id))
                if understood >= total or time.monotonic() - acked > 120:
                    break
                time.sleep(0.05)
            backlog_seconds = time.monotonic() - acked
        finally:
            server.stop()

    p50 = statistics.median(delays)
    p95 = delays[int(0.95 * (len(delays) - 1))]
    print(f"\ningest → intent tags on the dashboard stream, {arguments.rate} comments/s for {arguments.seconds} s:")
    print(f"  p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {delays[-1] * 1000:.0f} ms ({len(delays)} batches)")
    print(f"\nHTTP batch API, {arguments.events:,} realistic events (batches of 1,000, 2 concurrent requests):")
    print(f"  consumer off        {quiet:>10,.0f} events/s")
    print(f"  consumer on (2)     {busy:>10,.0f} events/s   ratio {busy / quiet:.2f}")
    print(f"  all {total:,} comments understood {backlog_seconds:.2f} s after the last acknowledgement")


if __name__ == "__main__":
    main()
