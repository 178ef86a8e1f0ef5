"""Test fixtures: a real database (SQLite by default, PostgreSQL when LIVEBRIDGE_DATABASE_URL says so).

The schema is built by the Alembic migrations, as in production. Tests stay independent by each
creating its own tenant, never by sharing rows.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command as alembic_command
from fastapi import FastAPI

from livebridge.app import create_app
from livebridge.cli import alembic_config
from livebridge.config import Settings
from livebridge.db import Database
from tests.factories import TenantFixture, make_tenant

POSTGRES_SCHEME = "postgresql+asyncpg://"


def _admin_execute(url: str, statement: str) -> None:
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(url.replace(POSTGRES_SCHEME, "postgresql://"))
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def fresh_database_url(tmp_dir: Path) -> Iterator[str]:
    """A new empty database: a file for SQLite, a new database on the configured PostgreSQL server."""
    configured = os.environ.get("LIVEBRIDGE_DATABASE_URL", "")
    if not configured.startswith(POSTGRES_SCHEME):
        yield f"sqlite+aiosqlite:///{tmp_dir / f'test-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"lbtest_{uuid.uuid4().hex[:10]}"
    _admin_execute(configured, f'CREATE DATABASE "{name}"')
    try:
        yield configured.rsplit("/", 1)[0] + "/" + name
    finally:
        _admin_execute(configured, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    generator = fresh_database_url(tmp_path_factory.mktemp("db"))
    url = next(generator)
    alembic_command.upgrade(alembic_config(url), "head")
    yield url
    next(generator, None)


@pytest.fixture(scope="session")
def scale_out_worker(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """CI's second run sets LIVEBRIDGE_REDIS_URL for the whole suite: background work then runs as in a
    scaled-out deployment, in a ``livebridge worker`` process on Redis, not in threads of the web process.
    """
    if not os.environ.get("LIVEBRIDGE_REDIS_URL"):
        yield
        return
    os.environ["LIVEBRIDGE_QUEUE_NAME"] = f"lbtest-{uuid.uuid4().hex[:10]}"  # this run's own queue
    var_dir = tmp_path_factory.mktemp("worker-var")
    env = {**os.environ, "LIVEBRIDGE_DATABASE_URL": database_url, "LIVEBRIDGE_SECRET_KEY": "test-secret",
           "LIVEBRIDGE_VAR_DIR": str(var_dir)}
    with (var_dir / "worker.log").open("w") as log:
        worker = subprocess.Popen([sys.executable, "-c", "from livebridge.cli import main; main()", "worker"],
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield
    finally:
        worker.terminate()
        worker.wait(timeout=30)


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory, scale_out_worker: None) -> Settings:
    return Settings(
        database_url=database_url, var_dir=tmp_path_factory.mktemp("var"), secret_key="test-secret",
        environment="test",
    )


@pytest.fixture(scope="session")
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture(scope="session")
def database(app: FastAPI) -> Database:
    db: Database = app.state.db
    return db


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def tenant(database: Database) -> TenantFixture:
    return await make_tenant(database)


@pytest.fixture
async def other_tenant(database: Database) -> TenantFixture:
    return await make_tenant(database)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``uvicorn livebridge.app:create_app`` in a process of its own, on a free loopback port."""

    def __init__(self, database_url: str, var_dir: Path, log_path: Path, **settings: str) -> None:
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "LIVEBRIDGE_DATABASE_URL": database_url, "LIVEBRIDGE_SECRET_KEY": "server-tests",
               "LIVEBRIDGE_VAR_DIR": str(var_dir), **{f"LIVEBRIDGE_{k.upper()}": v for k, v in settings.items()}}
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "livebridge.app:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(self.port)], env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/login", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not start; see {log_path}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self._log.close()


@pytest.fixture(scope="session")
def live_server(database_url: str, tmp_path_factory: pytest.TempPathFactory, scale_out_worker: None) -> Iterator[str]:
    server = ServerProcess(database_url, tmp_path_factory.mktemp("server-var"),
                           tmp_path_factory.mktemp("server-log") / "server.log")
    yield server.base_url
    server.stop()
