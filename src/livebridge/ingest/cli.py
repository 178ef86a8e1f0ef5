"""``livebridge import …``: file imports through the same ingest service as the API."""

from __future__ import annotations

import asyncio
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
from livebridge.ingest.importer import read_batches
from livebridge.ingest.service import IngestResult, RejectedLine, do_ingest
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
                total.received += result.received
                total.accepted += result.accepted
                total.duplicates += result.duplicates
                total.rejected.extend(result.rejected)
                progress.update(task, completed=batch[-1][0])
    finally:
        await database.dispose()
    return total


def print_rejections(rejected: list[RejectedLine], limit: int = 20) -> None:
    table = Table(title=f"rejected lines ({len(rejected)})")
    for column in ("line", "code", "message"):
        table.add_column(column)
    for item in rejected[:limit]:
        table.add_row(str(item.line), item.code, item.message)
    console.print(table)
    if len(rejected) > limit:
        console.print(f"… and {len(rejected) - limit} more")


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
