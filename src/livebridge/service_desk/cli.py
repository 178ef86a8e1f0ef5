"""``livebridge import orders|aftersales FILE`` and ``livebridge tickets check-deadlines``."""

from __future__ import annotations

import asyncio
from datetime import datetime
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
from livebridge.kit.time import utcnow
from livebridge.models import ImportKind
from livebridge.orders import service as orders_service
from livebridge.orders.formats import read_rows
from livebridge.orders.schemas import ImportReport
from livebridge.service_desk import service
from livebridge.tenancy import service as tenancy_service

tickets_app = typer.Typer(help="Service tickets: deadlines and escalation.", no_args_is_help=True)
console = Console()
BATCH_ROWS = 500


def _tenant_subject(tenant_id: int) -> Subject:
    return Subject(display_name="command line", tenant_id=tenant_id, permissions=frozenset(Permission))


async def _import(path: Path, data: bytes, tenant_slug: str, kind: ImportKind) -> tuple[ImportReport, int]:
    database = Database(get_settings())
    report = ImportReport(kind=kind)
    opened = 0
    try:
        async with database.transaction(write=False) as session:
            tenant = await tenancy_service.access_tenant_by_slug(session, tenant_slug)
        subject = _tenant_subject(tenant.id)
        rows = list(read_rows(data, path.name))
        columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(path.name, total=len(rows))
            # One transaction per batch: an interrupted import keeps what it committed, and running
            # it again finds those rows unchanged.
            for start in range(0, len(rows), BATCH_ROWS):
                batch = rows[start : start + BATCH_ROWS]
                async with database.transaction() as session:
                    if kind == ImportKind.ORDERS:
                        result = await orders_service.do_import_orders(session, subject, batch)
                    else:
                        result = await orders_service.do_import_after_sales(session, subject, batch)
                        opened += len(await service.do_open_tickets(session, subject, result.changed_ids))
                report.add(result)
                progress.advance(task, len(batch))
        async with database.transaction() as session:
            await orders_service.do_record_import_run(session, subject, path.name, report)
    finally:
        await database.dispose()
    return report, opened


def _print_report(report: ImportReport, limit: int = 20) -> None:
    console.print(
        f"rows {report.rows}: [green]created {report.created}[/], updated {report.updated}, "
        f"unchanged {report.unchanged}, [yellow]flagged {report.flagged}[/], [red]refused {report.error_count}[/]"
    )
    if report.errors:
        table = Table(title=f"refused rows ({report.error_count})")
        for column in ("row", "code", "field", "message"):
            table.add_column(column)
        for error in report.errors[:limit]:
            table.add_row(str(error.row), error.code, error.field or "", error.message)
        console.print(table)
        if report.error_count > limit:
            console.print(f"… and {report.error_count - limit} more")


def _run_import(file: Path, tenant: str, kind: ImportKind) -> tuple[ImportReport, int]:
    try:
        return asyncio.run(_import(file, file.read_bytes(), tenant, kind))
    except (AppError, ValueError, UnicodeDecodeError) as exc:
        message = exc.message if isinstance(exc, AppError) else str(exc)
        console.print(f"[bold red]error:[/] {message}")
        raise typer.Exit(1) from exc


def import_orders(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV, .xlsx or NDJSON")],
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
) -> None:
    """Import orders (抖店-style export, docs/orders.md); re-importing the same file changes nothing."""
    report, _ = _run_import(file, tenant, ImportKind.ORDERS)
    _print_report(report)


def import_after_sales(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV, .xlsx or NDJSON")],
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
) -> None:
    """Import after-sale requests; those needing local service become tickets routed to dealers."""
    report, opened = _run_import(file, tenant, ImportKind.AFTER_SALES)
    _print_report(report)
    console.print(f"service tickets opened: {opened}")


async def _check(tenant_slug: str | None, now: datetime) -> list[tuple[str, service.BreachFound]]:
    database = Database(get_settings())
    try:
        return await service.check_deadlines_of_all_tenants(database, now, tenant_slug)
    finally:
        await database.dispose()


@tickets_app.command("check-deadlines")
def check_deadlines(
    tenant: Annotated[str | None, typer.Option(help="Tenant slug; all tenants when omitted")] = None,
    now: Annotated[datetime | None, typer.Option(help="Check as of this moment (ISO 8601); default: now")] = None,
) -> None:
    """Record missed response/resolution deadlines once (with the agreement's penalty) and escalate.

    The task queue runs the same check every five minutes (``livebridge.service_desk.tasks``);
    this command runs it now, or as of a given moment.
    """
    moment = now or utcnow()
    if moment.tzinfo is None:
        raise typer.BadParameter("give the time with its offset, e.g. 2026-11-23T20:00:00+08:00", param_hint="--now")
    try:
        found = asyncio.run(_check(tenant, moment))
    except AppError as exc:
        console.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(1) from exc
    table = Table(title=f"missed deadlines found at {moment.isoformat()} ({len(found)})")
    for column in ("tenant", "ticket", "deadline", "assignee", "penalty (fen)"):
        table.add_column(column)
    for slug, breach in found:
        table.add_row(slug, str(breach.ticket_id), breach.kind, str(breach.assignee_id), str(breach.penalty_fen))
    console.print(table)
