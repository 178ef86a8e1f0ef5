"""``livebridge settlement run|approve|export``: dealer statements from the command line."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Permission, Subject
from livebridge.config import get_settings
from livebridge.db import Database
from livebridge.exceptions import AppError
from livebridge.kit.money import format_yuan
from livebridge.models import SettlementStatement
from livebridge.settlement import service
from livebridge.tenancy import service as tenancy_service

app = typer.Typer(help="Dealer settlement statements (exact to the fen).", no_args_is_help=True)
console = Console()
Tenant = Annotated[str, typer.Option(help="Tenant slug")]
T = TypeVar("T")


async def _in_tenant(tenant_slug: str, work: Callable[[AsyncSession, Subject], Awaitable[T]]) -> T:
    database = Database(get_settings())
    try:
        async with database.transaction() as session:
            tenant = await tenancy_service.access_tenant_by_slug(session, tenant_slug)
            subject = Subject(display_name="command line", tenant_id=tenant.id, permissions=frozenset(Permission))
            return await work(session, subject)
    finally:
        await database.dispose()


def _run(tenant: str, work: Callable[[AsyncSession, Subject], Awaitable[T]]) -> T:
    try:
        return asyncio.run(_in_tenant(tenant, work))
    except AppError as exc:
        console.print(f"[bold red]error:[/] {exc.message} ({exc.code})")
        raise typer.Exit(1) from exc


@app.command("run")
def run_period(
    tenant: Tenant,
    start: Annotated[str, typer.Option(help="First day, e.g. 2026-10-01")],
    end: Annotated[str, typer.Option(help="The day after the last, e.g. 2026-11-01")],
    dealer: Annotated[int | None, typer.Option(help="One dealer's organization id; all when omitted")] = None,
) -> None:
    """Compute the draft statements of a closed period (approved ones stay as they are)."""

    async def work(session: AsyncSession, subject: Subject) -> service.SettleResult:
        return await service.do_settle_period(
            session,
            subject,
            date.fromisoformat(start),
            date.fromisoformat(end),
            dealer_ids=None if dealer is None else [dealer],
        )

    result = _run(tenant, work)
    table = Table(title=f"statements {start} – {end}")
    for column in ("id", "dealer", "status", "lines", "commission", "clawback", "fees", "penalties", "adjust", "net"):
        table.add_column(column)
    for s in result.statements:
        table.add_row(
            str(s.id),
            str(s.dealer_id),
            s.status,
            str(s.line_count),
            format_yuan(s.commission_fen),
            format_yuan(s.clawback_fen),
            format_yuan(s.ticket_fee_fen),
            format_yuan(s.penalty_fen),
            format_yuan(s.adjustment_fen),
            format_yuan(s.net_fen),
        )
    console.print(table)


@app.command("approve")
def approve(tenant: Tenant, statement_id: int) -> None:
    """Recompute a draft on today's data and lock it."""

    async def work(session: AsyncSession, subject: Subject) -> SettlementStatement:
        return await service.do_approve(session, subject, statement_id)

    _run(tenant, work)
    console.print(f"[green]statement {statement_id} approved and locked[/]")


@app.command("export")
def export(tenant: Tenant, statement_id: int, output: Annotated[Path, typer.Argument(help=".csv or .xlsx")]) -> None:
    """Write a statement's lines to a CSV or Excel file."""

    async def work(session: AsyncSession, subject: Subject) -> bytes:
        if output.suffix.lower() == ".csv":
            return await service.export_csv(session, subject, statement_id)
        return await service.export_xlsx(session, subject, statement_id)

    data = _run(tenant, work)
    output.write_bytes(data)
    console.print(f"[green]{output}[/] written")
