"""``livebridge sessions replay``: an ended session's replay report on the command line."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from livebridge.config import get_settings
from livebridge.db import Database
from livebridge.exceptions import AppError
from livebridge.replay.export import replay_workbook
from livebridge.replay.schemas import ReplayReport
from livebridge.replay.service import replay_report
from livebridge.tenancy import service as tenancy_service

console = Console()


async def _load(tenant_slug: str, session_id: int) -> ReplayReport:
    database = Database(get_settings())
    try:
        async with database.transaction(write=False) as session:
            subject = await tenancy_service.command_line_reader(session, tenant_slug)
            return await replay_report(session, subject, session_id)
    finally:
        await database.dispose()


def replay(
    session_id: int,
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    as_json: Annotated[bool, typer.Option("--json", help="The whole report as JSON")] = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Also write the report to this Excel file")] = None,
) -> None:
    """Print an ended session's replay report (复盘): advice, drop-offs, funnel against earlier sessions."""
    try:
        report = asyncio.run(_load(tenant, session_id))
    except AppError as exc:
        console.print(f"[bold red]error:[/] {exc.message} ({exc.code})")
        raise typer.Exit(1) from exc
    if xlsx is not None:
        xlsx.write_bytes(replay_workbook(report, get_settings().display_timezone))
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    console.print(f"[bold]{report.title}[/] 复盘" + ("（模拟数据）" if report.is_simulated else ""))
    for advice in report.advice:
        marker = {"warning": "[red]![/]", "info": "[blue]·[/]", "good": "[green]✓[/]"}[advice.severity]
        console.print(f" {marker} {advice.text}")
