"""Engines and sessions: one transaction per request or task, committed at the edge.

SQLite (WAL) is the embedded default; PostgreSQL (asyncpg) is the scale-out path. Domain code never
asks which one it runs on, except for the bulk write paths in repositories.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from livebridge.config import Settings
from livebridge.exceptions import ServiceUnavailable

# A request that will write starts its SQLite transaction with BEGIN IMMEDIATE, so two writers
# queue on the lock (busy_timeout) instead of one failing when it upgrades a read lock.
SQLITE_IMMEDIATE = "livebridge_sqlite_immediate"
SQLITE_WRITER_WAIT_SECONDS = 15.0  # as long as busy_timeout: then the caller hears the database is busy


def _sqlite_path(url: str) -> Path | None:
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if not path or path.startswith(":memory:"):
        return None
    return Path(path.split("?", 1)[0])


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=15000",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(SQLITE_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engine(settings: Settings) -> AsyncEngine:
    if settings.is_sqlite:
        path = _sqlite_path(settings.database_url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(settings.database_url, echo=settings.database_echo)
        _configure_sqlite(engine)
        return engine
    return create_async_engine(
        settings.database_url, echo=settings.database_echo, pool_size=10, max_overflow=20, pool_pre_ping=True
    )


class Database:
    """Owns the engine and hands out transactional sessions."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = create_engine(settings)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        # SQLite has one write lock, and its busy handler polls with sleeps of up to 100 ms. Writers of
        # this process queue here instead and get the lock the moment the previous one commits.
        self._sqlite_writers = asyncio.Lock() if settings.is_sqlite else None

    @asynccontextmanager
    async def transaction(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block ends, rolled back on any error."""
        if write and self._sqlite_writers is not None:
            try:
                await asyncio.wait_for(self._sqlite_writers.acquire(), SQLITE_WRITER_WAIT_SECONDS)
            except TimeoutError as exc:
                raise ServiceUnavailable("the database is busy, try again", code="database_busy") from exc
            try:
                async with self._unit_of_work(write=True) as session:
                    yield session
            finally:
                self._sqlite_writers.release()
            return
        async with self._unit_of_work(write=write) as session:
            yield session

    @asynccontextmanager
    async def _unit_of_work(self, *, write: bool) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session:
            if write and self.settings.is_sqlite:
                await session.connection(execution_options={SQLITE_IMMEDIATE: True})
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()
