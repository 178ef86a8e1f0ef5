"""``livebridge sessions …``: a session's figures on the command line."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from livebridge.config import get_settings
from livebridge.db import Database
from livebridge.exceptions import AppError
from livebridge.kit.money import format_yuan
from livebridge.stats.schemas import SessionStats
from livebridge.stats.service import session_stats
from livebridge.tenancy import service as tenancy_service

app = typer.Typer(help="Live sessions: figures.", no_args_is_help=True)
console = Console()


async def _load(tenant_slug: str, session_id: int) -> SessionStats:
    database = Database(get_settings())
    try:
        async with database.transaction(write=False) as session:
            subject = await tenancy_service.command_line_reader(session, tenant_slug)
            return await session_stats(session, subject, session_id)
    finally:
        await database.dispose()


@app.command("stats")
def stats(
    session_id: int,
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    as_json: Annotated[bool, typer.Option("--json", help="Totals and the per-minute series as JSON")] = False,
) -> None:
    """Print a session's totals, funnel, per-minute series and per-product figures."""
    try:
        figures = asyncio.run(_load(tenant, session_id))
    except AppError as exc:
        console.print(f"[bold red]error:[/] {exc.message} ({exc.code})")
        raise typer.Exit(1) from exc
    if as_json:
        typer.echo(figures.model_dump_json(indent=2))
        return
    totals = figures.totals
    console.print(f"[bold]{figures.title}[/] ({figures.status})")
    console.print(
        f"进房 {totals.enters}  峰值在线 {totals.online_peak}  评论 {totals.comments}  订单 {totals.orders}  "
        f"支付 {totals.paid_orders} ¥{format_yuan(totals.paid_fen)}  退款 ¥{format_yuan(totals.refund_fen)}  "
        f"GPM ¥{format_yuan(totals.gpm_fen or 0)}"
    )
    funnel = Table(title="漏斗")
    for column in ("step", "viewers", "rate"):
        funnel.add_column(column)
    for step in figures.funnel:
        rate = f"{step.rate_from_previous:.1%}" if step.rate_from_previous is not None else "—"
        funnel.add_row(step.label, str(step.viewers), rate)
    console.print(funnel)
