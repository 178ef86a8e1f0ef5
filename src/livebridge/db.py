"""Engines and sessions: one transaction per request or task, committed at the edge.

SQLite (WAL) is the embedded default; PostgreSQL (asyncpg) is the scale-out path. Domain code never
asks which one it runs on, except for the bulk write paths in repositories.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import time
from collections.abc import AsyncIterator, Sequence
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
# Every connection's settings (bench/ingest.py gives its raw insert the same ones). A 32 MiB page
# cache (SQLite's default is 2 MiB) keeps the event indexes' upper pages between ingest batches.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=15000",
    "PRAGMA cache_size=-32768",
)


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
        for pragma in SQLITE_PRAGMAS:
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


async def executemany(session: AsyncSession, sql: str, rows: Sequence[Sequence[Any]]) -> int:
    """Run one driver-level statement for each row in the session's transaction; return how many rows
    it changed. For the bulk write paths of repositories: on SQLite it is one call into the driver's
    thread (through SQLAlchemy a statement costs four: cursor, execute, fetch, close)."""
    connection = await session.connection()
    if connection.dialect.name == "sqlite":
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        cursor = await driver.executemany(sql, rows)
        return int(cursor.rowcount)
    result = await connection.exec_driver_sql(sql, list(rows))
    return int(result.rowcount)


class SqliteWriterGate:
    """The queue SQLite writers of LiveBridge wait in, so the write lock changes hands at once.

    SQLite's own busy handler polls with sleeps growing to 100 ms, so a writer often sleeps long after
    the lock is free. Writers of one process queue on an asyncio lock; writers of several processes
    (``serve --workers 2``) then take an advisory file lock beside the database, polled every
    millisecond. Anything else writing the file (a migration, the sqlite3 shell) still meets the
    busy timeout.
    """

    POLL_SECONDS = 0.001

    def __init__(self, database_path: Path | None) -> None:
        self._in_process = asyncio.Lock()
        self._lock_path = database_path.with_name(database_path.name + "-writer.lock") if database_path else None
        self._lock_file: int | None = None

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        deadline = time.monotonic() + SQLITE_WRITER_WAIT_SECONDS
        try:
            await asyncio.wait_for(self._in_process.acquire(), SQLITE_WRITER_WAIT_SECONDS)
        except TimeoutError as exc:
            raise ServiceUnavailable("the database is busy, try again", code="database_busy") from exc
        try:
            if self._lock_path is not None:
                await self._lock_across_processes(deadline)
            try:
                yield
            finally:
                if self._lock_file is not None:
                    fcntl.flock(self._lock_file, fcntl.LOCK_UN)
        finally:
            self._in_process.release()

    async def _lock_across_processes(self, deadline: float) -> None:
        if self._lock_file is None:
            assert self._lock_path is not None
            self._lock_file = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        while True:
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ServiceUnavailable("the database is busy, try again", code="database_busy") from None
                await asyncio.sleep(self.POLL_SECONDS)

    def close(self) -> None:
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None


class Database:
    """Owns the engine and hands out transactional sessions."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = create_engine(settings)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._sqlite_writers = SqliteWriterGate(_sqlite_path(settings.database_url)) if settings.is_sqlite else None

    @asynccontextmanager
    async def transaction(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block ends, rolled back on any error."""
        if write and self._sqlite_writers is not None:
            async with self._sqlite_writers.held(), self._unit_of_work(write=True) as session:
                yield session
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
        if self._sqlite_writers is not None:
            self._sqlite_writers.close()
