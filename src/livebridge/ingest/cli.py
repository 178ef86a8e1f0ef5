"""``livebridge import …``: file imports through the same ingest service as the API."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from livebridge.authz import Permission, Subject
from livebridge.config import get_settings
from livebridge.db import Database
from livebridge.exceptions import AppError
from livebridge.ingest.bilibili import RoomImport, read_all
from livebridge.ingest.importer import read_batches
from livebridge.ingest.schemas import encode
from livebridge.ingest.service import MAX_BATCH_EVENTS, IngestResult, RejectedLine, do_ingest
from livebridge.insight import service as insight_service
from livebridge.live import service as live_service
from livebridge.live.schemas import SessionCreate
from livebridge.models import Platform, SessionStatus
from livebridge.tenancy import service as tenancy_service

app = typer.Typer(help="Import live events from files.", no_args_is_help=True)
console = Console()


async def _import_file(path: Path, tenant_slug: str, session_id: int) -> IngestResult:
    database = Database(get_settings())
    total = IngestResult()
    try:
        async with database.transaction(write=False) as session:
            tenant = await tenancy_service.access_tenant_by_slug(session, tenant_slug)
        subject = Subject(display_name="import", tenant_id=tenant.id, permissions=frozenset({Permission.INGEST_EVENTS}))
        line_count = sum(1 for _ in path.open("rb"))
        columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(path.name, total=line_count)
            # One transaction per batch: an interrupted import keeps what it committed, and running
            # it again counts those events as duplicates.
            for batch in read_batches(path):
                async with database.transaction() as session:
                    result = await do_ingest(session, subject, session_id, batch)
                total.add(result)
                progress.update(task, completed=batch[-1][0])
        report_understanding(await insight_service.catch_up(database, session_id))
    finally:
        await database.dispose()
    return total


def report_understanding(run: insight_service.CatchUp) -> None:
    """Imported comments are understood right away (the queue's sweep looks only at recent sessions)."""
    if run.error:
        console.print(f"[yellow]comments stored but not understood:[/] {run.error}")
    elif run.understood:
        console.print(f"understood {run.understood} comments (intent, aspects, sentiment, product)")


def print_rejections(rejected: list[RejectedLine], limit: int = 20) -> None:
    table = Table(title=f"rejected lines ({len(rejected)})")
    for column in ("line", "code", "message"):
        table.add_column(column)
    for item in rejected[:limit]:
        table.add_row(str(item.line), item.code, item.message)
    console.print(table)
    if len(rejected) > limit:
        console.print(f"… and {len(rejected) - limit} more")


async def _import_bilibili(data_dir: Path, tenant_slug: str) -> list[tuple[RoomImport, int, IngestResult]]:
    """Each captured room becomes an ended Bilibili session (found again on a re-import)."""
    database = Database(get_settings())
    reports: list[tuple[RoomImport, int, IngestResult]] = []
    try:
        async with database.transaction(write=False) as session:
            tenant = await tenancy_service.access_tenant_by_slug(session, tenant_slug)
        subject = Subject(display_name="import", tenant_id=tenant.id, permissions=frozenset(Permission))
        rooms = read_all(data_dir)
        with Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
        ) as progress:
            task = progress.add_task("Bilibili rooms", total=len(rooms))
            for room in rooms:
                session_id = await _session_for_room(database, subject, room)
                total = IngestResult()
                for start in range(0, len(room.events), MAX_BATCH_EVENTS):
                    chunk = room.events[start : start + MAX_BATCH_EVENTS]
                    lines = [(start + offset + 1, encode(event)) for offset, event in enumerate(chunk)]
                    async with database.transaction() as session:
                        result = await do_ingest(session, subject, session_id, lines)
                    total.add(result)
                await insight_service.catch_up(database, session_id)  # its real comments, understood
                reports.append((room, session_id, total))
                progress.advance(task)
    finally:
        await database.dispose()
    return reports


async def _session_for_room(database: Database, subject: Subject, room: RoomImport) -> int:
    room_id = str(room.room_id)
    async with database.transaction() as session:
        existing = await live_service.find_session_by_room(session, subject, Platform.BILIBILI, room_id)
        if existing is not None:
            return existing.id
        first, last = room.events[0].occurred_at, room.events[-1].occurred_at
        title = f"B站直播间 {room_id}" + (f" · {room.streamer}" if room.streamer else "")
        created = await live_service.do_create_session(
            session,
            subject,
            SessionCreate(
                title=title[:200], platform=Platform.BILIBILI, platform_room_id=room_id, scheduled_start_at=first
            ),
        )
        await live_service.do_transition_session(session, subject, created.id, SessionStatus.LIVE, first)
        await live_service.do_transition_session(
            session, subject, created.id, SessionStatus.ENDED, max(last, first + timedelta(seconds=1))
        )
        return created.id


@app.command("bilibili")
def import_bilibili(
    data_dir: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="bilibili-live-events-2021 folder")],
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
) -> None:
    """Import the real Bilibili live-room captures: one ended session per room; report what was not mapped."""
    try:
        reports = asyncio.run(_import_bilibili(data_dir, tenant))
    except AppError as exc:
        console.print(f"[bold red]error:[/] {exc.message} ({exc.code})")
        raise typer.Exit(1) from exc
    table = Table(title="Bilibili import (real data)")
    for column in ("room", "session", "events", "accepted", "duplicates", "rejected", "unmapped rows", "broken lines"):
        table.add_column(column)
    for room, session_id, result in reports:
        table.add_row(
            str(room.room_id),
            str(session_id),
            str(result.received),
            str(result.accepted),
            str(result.duplicates),
            str(len(result.rejected)),
            str(sum(u.rows for u in room.unmapped)),
            str(len(room.broken_lines)),
        )
    console.print(table)
    unmapped: dict[str, int] = {}
    for room, _, _ in reports:
        for item in room.unmapped:
            unmapped[f"{item.cmd}: {item.reason}"] = unmapped.get(f"{item.cmd}: {item.reason}", 0) + item.rows
    for reason, rows in sorted(unmapped.items(), key=lambda kv: -kv[1]):
        console.print(f"  not mapped: {rows:>7} × {reason}")


@app.command("events")
def import_events(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="NDJSON or CSV")],
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    session: Annotated[int, typer.Option("--session", help="Live session id")],
) -> None:
    """Import events from an NDJSON or CSV file (columns = event fields) into a session."""
    try:
        result = asyncio.run(_import_file(file, tenant, session))
    except AppError as exc:
        console.print(f"[bold red]error:[/] {exc.message} ({exc.code})")
        raise typer.Exit(1) from exc
    console.print(
        f"received {result.received}, [green]accepted {result.accepted}[/], "
        f"duplicates {result.duplicates}, [red]rejected {len(result.rejected)}[/]"
    )
    if result.rejected:
        print_rejections(result.rejected)
