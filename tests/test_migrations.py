"""Migrations build the schema from empty on this run's engine, match the models, and go back down."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command as alembic_command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from livebridge.cli import alembic_config
from livebridge.config import Settings
from livebridge.db import create_engine
from livebridge.models import Base
from tests.conftest import fresh_database_url


def _inspect(url: str) -> tuple[set[str], list[object]]:
    async def run() -> tuple[set[str], list[object]]:
        engine = create_engine(Settings(database_url=url))

        def read(connection: Connection) -> tuple[set[str], list[object]]:
            tables = set(inspect(connection).get_table_names())
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            return tables, list(diff)

        async with engine.connect() as connection:
            result = await connection.run_sync(read)
        await engine.dispose()
        return result

    return asyncio.run(run())


def test_upgrade_from_empty_matches_models_and_downgrades(tmp_path: Path) -> None:
    generator = fresh_database_url(tmp_path)
    url = next(generator)
    try:
        config = alembic_config(url)
        alembic_command.upgrade(config, "head")
        tables, diff = _inspect(url)
        assert set(Base.metadata.tables) <= tables
        assert diff == [], f"models and migrations differ: {diff}"

        alembic_command.downgrade(config, "base")
        tables, _ = _inspect(url)
        assert tables <= {"alembic_version"}

        alembic_command.upgrade(config, "head")
        tables, _ = _inspect(url)
        assert set(Base.metadata.tables) <= tables
    finally:
        next(generator, None)
