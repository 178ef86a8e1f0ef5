"""Test fixtures: a real database (SQLite by default, PostgreSQL when LIVEBRIDGE_DATABASE_URL says so).

The schema is built by the Alembic migrations, as in production. Tests stay independent by each
creating its own tenant, never by sharing rows.
"""

from __future__ import annotations

import asyncio
import os
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
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
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
