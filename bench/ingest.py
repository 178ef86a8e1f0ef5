"""Ingest benchmark: events/s through the HTTP batch API against the storage engine's own bulk insert.

    .venv/bin/python bench/ingest.py [--events 100000] [--postgres postgresql+asyncpg://…]

For each engine (SQLite; PostgreSQL when a URL is given or LIVEBRIDGE_TEST_POSTGRES_URL is set) it
builds a fresh database, generates realistic events with the simulator, then measures in one run:
  raw     the engine's own bulk insert of the same rows into the same table, with the application's
          connection settings: sqlite3 executemany in one transaction (SQLite has one writer) /
          asyncpg COPY over one connection per core at once: the limit of the machine;
  api×N   POST /api/v1/sessions/{id}/events with batches of 1,000 NDJSON events, N server processes
          (each on a port of its own, ``--connections`` to each, 4 by default: enough requests in
          flight that a server never waits for the client);
and prints events/s and the ratio api/raw. It runs three rounds, each measuring all three paths one
after the other with fresh events in fresh sessions, and compares each API rate with the engine's
rate of the same round: on this machine both vary by up to a factor of two from minute to minute
(checkpoints, caches, the neighbours on the host), so only rates measured together make a ratio.
Then, on a session that already holds a whole simulated 2-hour session, at 5,000 events/s sustained
for 10 s, the delay from a batch's acknowledgement to the live dashboard (SSE) showing it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from alembic import command as alembic_command

from livebridge.authz import Permission, Subject, command_line_subject
from livebridge.cli import alembic_config
from livebridge.config import Settings
from livebridge.db import SQLITE_PRAGMAS, Database
from livebridge.ingest.repository import EVENT_COLUMNS, EventRow, RowBuilder
from livebridge.ingest.schemas import decode_event, encode
from livebridge.ingest.service import opaque_viewer
from livebridge.live import service as live_service
from livebridge.live.schemas import SessionCreate
from livebridge.models import ApiKeyRole, Platform
from livebridge.simulate.generator import generate_events
from livebridge.simulate.scenario import AudienceModel, Scenario, example_shelf
from livebridge.tenancy import service as tenancy_service
from livebridge.tenancy.schemas import ApiKeyCreate, TenantCreate

BATCH = 1_000
ATTEMPTS = 3  # rounds of (engine's own insert, API with 1 process, API with 2)
PASSWORD = "bench-password"


@dataclass
class Target:
    tenant_id: int
    session_id: int
    api_key: str
    owner_email: str


def realistic_lines(count: int, namespace: str) -> list[bytes]:
    """Simulated events of a busy 2-hour session (simulator defaults, 60k viewers), as NDJSON lines."""
    scenario = Scenario(
        start=datetime.now(UTC) - timedelta(hours=3),
        duration=timedelta(hours=2),
        shelf=example_shelf(),
        audience=AudienceModel(viewers=60_000),
        seed=1,
        id_namespace=namespace,
    )
    lines: list[bytes] = []
    for event in generate_events(scenario):
        lines.append(encode(event))
        if len(lines) == count:
            break
    return lines


async def make_target(database: Database) -> Target:
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    async with database.transaction() as session:
        tenant = await tenancy_service.do_create_tenant(
            session,
            command_line_subject(),
            TenantCreate(
                slug=slug, name=slug, owner_email=f"owner@{slug}.bench", owner_name="bench", owner_password=PASSWORD
            ),
        )
        subject = Subject(display_name="bench", tenant_id=tenant.id, permissions=frozenset(Permission))
        key = await tenancy_service.do_create_api_key(
            session, subject, ApiKeyCreate(name="bench", role=ApiKeyRole.INGEST)
        )
        live = await live_service.do_create_session(
            session,
            subject,
            SessionCreate(title="bench", platform=Platform.DOUYIN, scheduled_start_at=datetime.now(UTC)),
        )
    return Target(tenant.id, live.id, key.key, f"owner@{slug}.bench")


def raw_rows(lines: list[bytes], target: Target, engine: str) -> list[EventRow]:
    """The rows as the engine's bulk path takes them (times as text on SQLite)."""
    viewer_key = partial(opaque_viewer, target.tenant_id)
    builder = RowBuilder(target.tenant_id, target.session_id, datetime.now(UTC), engine, viewer_key)
    return builder.rows(decode_event(line) for line in lines)[0]


def raw_sqlite(path: Path, values: list[EventRow]) -> float:
    columns = EVENT_COLUMNS
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in SQLITE_PRAGMAS:  # the application's settings, foreign keys included
        connection.execute(pragma)
    started = time.perf_counter()
    connection.execute("BEGIN")
    connection.executemany(
        f"INSERT INTO live_events ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", values
    )
    connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return len(values) / elapsed


async def raw_postgres(url: str, rows: list[EventRow]) -> float:
    """COPY over one connection per core at once: one COPY keeps only one backend busy."""
    streams = os.cpu_count() or 1
    connections = [await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://")) for _ in range(streams)]
    parts = [rows[index::streams] for index in range(streams)]
    started = time.perf_counter()
    await asyncio.gather(
        *(
            connection.copy_records_to_table("live_events", records=part, columns=EVENT_COLUMNS)
            for connection, part in zip(connections, parts, strict=True)
        )
    )
    elapsed = time.perf_counter() - started
    for connection in connections:
        await connection.close()
    return len(rows) / elapsed


async def analyze_events(url: str) -> None:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    await connection.execute("ANALYZE live_events")
    await connection.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, database_url: str, var_dir: Path, *, queue_workers: int = 0) -> None:
        """A `uvicorn` process on a free port. By default without the embedded task consumer: the ingest
        path alone (bench/insight_latency.py runs it with comment understanding beside it)."""
        self.url = f"http://127.0.0.1:{free_port()}"
        env = {
            **os.environ,
            "LIVEBRIDGE_DATABASE_URL": database_url,
            "LIVEBRIDGE_SECRET_KEY": "bench",
            "LIVEBRIDGE_VAR_DIR": str(var_dir),
            "LIVEBRIDGE_QUEUE_WORKERS": str(queue_workers),
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "livebridge.app:create_app",
                "--factory",
                "--port",
                self.url.rsplit(":", 1)[1],
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
        )
        for _ in range(150):
            try:
                if httpx.get(f"{self.url}/login", timeout=1).status_code == 200:
                    time.sleep(0.5)  # let it finish starting
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


async def post_all(urls: list[str], target: Target, lines: list[bytes], per_server: int = 2) -> float:
    """Post the lines in batches over ``per_server`` connections to each server; events/s."""
    batches = [b"\n".join(lines[i : i + BATCH]) for i in range(0, len(lines), BATCH)]
    headers = {"Authorization": f"Bearer {target.api_key}", "Content-Type": "application/x-ndjson"}
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)
    accepted = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal accepted
        while not queue.empty():
            body = queue.get_nowait()
            response = await client.post(f"/api/v1/sessions/{target.session_id}/events", content=body, headers=headers)
            response.raise_for_status()
            accepted += response.json()["accepted"]

    limits = httpx.Limits(max_connections=per_server)
    clients = [httpx.AsyncClient(base_url=url, timeout=60, limits=limits) for url in urls]
    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for client in clients for _ in range(per_server)))
        elapsed = time.perf_counter() - started
    finally:
        for client in clients:
            await client.aclose()
    assert accepted == len(lines), f"accepted {accepted} of {len(lines)}"
    return len(lines) / elapsed


def dashboard_latency(url: str, target: Target, lines: list[bytes], rate: int, seconds: int) -> list[float]:
    """Post ``rate`` events/s for ``seconds``; per batch, the delay from its 200 to the SSE snapshot counting it."""
    client = httpx.Client(base_url=url, timeout=30)
    client.get("/login")
    client.post(
        "/login", data={"email": target.owner_email, "password": PASSWORD, "csrf_token": client.cookies["lb_csrf"]}
    )
    seen: list[tuple[float, int]] = []  # (arrival, events counted)
    ready = threading.Event()
    stop = threading.Event()

    def listen() -> None:
        try:
            follow()
        except httpx.TransportError:
            if not stop.is_set():  # the server closing the stream at the end is expected
                raise

    def follow() -> None:
        with client.stream("GET", f"/sessions/{target.session_id}/live/stream", timeout=None) as response:
            event = None
            for line in response.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event == "stats":
                    totals = orjson.loads(line.split(":", 1)[1])["stats"]["totals"]
                    counted = sum(
                        totals[k]
                        for k in (
                            "enters",
                            "leaves",
                            "comments",
                            "clicks",
                            "cart_adds",
                            "orders",
                            "paid_orders",
                            "refunds",
                            "follows",
                            "shares",
                            "gifts",
                        )
                    )
                    seen.append((time.monotonic(), counted))
                    ready.set()

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    ready.wait(10)
    baseline = seen[-1][1]
    headers = {"Authorization": f"Bearer {target.api_key}", "Content-Type": "application/x-ndjson"}
    acknowledgements: list[tuple[float, int]] = []  # (ack time, counted events expected after it)
    counted_types = (
        b'"enter"',
        b'"leave"',
        b'"comment"',
        b'"product_click"',
        b'"cart_add"',
        b'"order_created"',
        b'"order_paid"',
        b'"order_refunded"',
        b'"follow"',
        b'"share"',
        b'"gift"',
    )
    expected = baseline
    per_batch = rate // 5  # five batches a second
    started = time.monotonic()
    with httpx.Client(base_url=url, timeout=30) as poster:
        for index in range(seconds * 5):
            batch = lines[index * per_batch : (index + 1) * per_batch]
            expected += sum(1 for line in batch if any(t in line[:40] for t in counted_types))
            response = poster.post(
                f"/api/v1/sessions/{target.session_id}/events", content=b"\n".join(batch), headers=headers
            )
            response.raise_for_status()
            acknowledgements.append((time.monotonic(), expected))
            pause = started + (index + 1) * 0.2 - time.monotonic()
            if pause > 0:
                time.sleep(pause)
    time.sleep(2)
    stop.set()
    client.close()
    delays = []
    for acked_at, needed in acknowledgements:
        arrival = next((at for at, counted in seen if counted >= needed), None)
        delays.append(float("inf") if arrival is None else max(0.0, arrival - acked_at))
    return delays


def fresh_postgres(url: str) -> str:
    name = f"lbbench_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        await connection.execute(f'CREATE DATABASE "{name}"')
        await connection.close()

    asyncio.run(create())
    return url.rsplit("/", 1)[0] + "/" + name


def run_engine(label: str, database_url: str, count: int, work_dir: Path, connections: int) -> dict[str, Any]:
    alembic_command.upgrade(alembic_config(database_url), "head")
    settings = Settings(database_url=database_url, var_dir=work_dir, secret_key="bench")
    targets, latency_target = asyncio.run(_targets(settings))
    engine = "sqlite" if label == "SQLite" else "postgresql"
    # Separate server processes on ports of their own, the client spreading its connections over them as
    # a load balancer would (with `uvicorn --workers 2` the kernel may hand all connections to one).
    single = [Server(database_url, work_dir)]
    pair = [Server(database_url, work_dir), Server(database_url, work_dir)]
    rounds: list[dict[str, float]] = []
    try:
        for attempt, (raw_target, single_target, pair_target) in enumerate(targets):
            print(
                f"[{label}] round {attempt + 1} of {ATTEMPTS}: {count:,} fresh simulated events per path…", flush=True
            )
            rows = raw_rows(realistic_lines(count, f"bench-raw{attempt}"), raw_target, engine)
            if engine == "sqlite":
                raw = raw_sqlite(Path(database_url.split(":///", 1)[1]), rows)
            else:
                raw = asyncio.run(raw_postgres(database_url, rows))
            measured = {"raw": raw}
            for key, servers, target in (("api1", single, single_target), ("api2", pair, pair_target)):
                lines = realistic_lines(count, f"bench-{key}-{attempt}")
                measured[key] = asyncio.run(post_all([server.url for server in servers], target, lines, connections))
            rounds.append(measured)
    finally:
        for server in (*single, *pair):
            server.stop()
    server = Server(database_url, work_dir)
    try:
        # Late in a busy session: the dashboard's figures cover every event of the session so far.
        earlier = realistic_lines(10**9, "bench-live-earlier")
        asyncio.run(post_all([server.url], latency_target, earlier, connections))
        if engine == "postgresql":
            # Statistics as autovacuum gathers them within a minute of such a load (this database is
            # seconds old): without any, the planner cannot tell that few events lie above an id.
            asyncio.run(analyze_events(database_url))
        delays = dashboard_latency(server.url, latency_target, realistic_lines(50_000, "bench-live"), 5_000, 10)
    finally:
        server.stop()
    return {"rounds": rounds, "latency": delays, "earlier": len(earlier)}


async def _targets(settings: Settings) -> tuple[list[tuple[Target, Target, Target]], Target]:
    """Tenants with a session each: per round one for the engine's own insert and one per API set-up,
    and one for the dashboard."""
    database = Database(settings)
    try:
        rounds = [
            (await make_target(database), await make_target(database), await make_target(database))
            for _ in range(ATTEMPTS)
        ]
        return rounds, await make_target(database)
    finally:
        await database.dispose()


def report(label: str, results: dict[str, Any], connections: int) -> None:
    rounds: list[dict[str, float]] = results["rounds"]
    print(
        f"\n{label}: events/s (batches of {BATCH:,}, realistic simulated events, "
        f"{connections} connections per server process)"
    )
    print(f"  {'path':<34}" + "".join(f"{f'round {n}':>18}" for n in range(1, len(rounds) + 1)) + f"{'median':>10}")
    paths = (
        ("raw", "raw engine bulk insert"),
        ("api1", "HTTP batch API, 1 process"),
        ("api2", "HTTP batch API, 2 processes"),
    )
    for key, name in paths:
        cells = "".join(f"{m[key]:>10,.0f} {m[key] / m['raw']:>6.2f} " for m in rounds)
        print(f"  {name:<34}{cells}{statistics.median(m[key] / m['raw'] for m in rounds):>10.2f}")
    print("  (each cell: events/s and its ratio to the engine's own insert in the same round; median of the ratios)")
    delays = sorted(results["latency"])
    p95 = delays[int(len(delays) * 0.95) - 1]
    print(
        f"  dashboard at 5,000 events/s for 10 s, the session already holding {results['earlier']:,} events "
        f"(a whole simulated 2-hour session):\n    ack → SSE figures p50 {statistics.median(delays) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {delays[-1] * 1000:.0f} ms ({len(delays)} batches)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("LIVEBRIDGE_TEST_POSTGRES_URL"))
    parser.add_argument("--connections", type=int, default=4, help="requests in flight per server process")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; sqlite {sqlite3.sqlite_version}")
    with tempfile.TemporaryDirectory() as tmp:
        work_dir = Path(tmp)
        engines = [("SQLite", f"sqlite+aiosqlite:///{work_dir / 'bench.db'}")]
        if args.postgres:
            engines.append(("PostgreSQL", fresh_postgres(args.postgres)))
        for label, url in engines:
            report(label, run_engine(label, url, args.events, work_dir, args.connections), args.connections)


if __name__ == "__main__":
    main()
