"""``livebridge scorecards …``: the host ranking of a period, and its Excel export."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from livebridge.authz import Permission, Subject
from livebridge.config import get_settings
from livebridge.db import Database
from livebridge.exceptions import AppError
from livebridge.kit.money import format_yuan
from livebridge.kit.pagination import PageParams
from livebridge.scorecards import service
from livebridge.scorecards.schemas import RepurchaseRate, ScorecardRanking
from livebridge.tenancy import service as tenancy_service

app = typer.Typer(help="Host scorecards: ranking and Excel export.", no_args_is_help=True)
console = Console()


def _subject(tenant_id: int) -> Subject:
    return Subject(display_name="command line", tenant_id=tenant_id, permissions=frozenset({Permission.READ}))


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


async def _ranking(tenant_slug: str, date_from: date | None, date_to: date | None) -> ScorecardRanking:
    settings = get_settings()
    database = Database(settings)
    try:
        async with database.transaction(write=False) as session:
            tenant = await tenancy_service.access_tenant_by_slug(session, tenant_slug)
            window = service.resolve_period(date_from, date_to, settings.display_timezone)
            return await service.host_ranking(session, _subject(tenant.id), window, PageParams(page=1, page_size=200))
    finally:
        await database.dispose()


def _rate(bp: int | None) -> str:
    return "暂无" if bp is None else f"{bp / 100:.2f}%"


def _repurchase(rate: RepurchaseRate | None) -> str:
    return "暂无" if rate is None else f"{rate.rate_bp / 100:.2f}% ({rate.repeat_buyers}/{rate.cohort})"


@app.command("rank")
def rank(
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    date_from: Annotated[datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First day")] = None,
    date_to: Annotated[datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day, included")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The ranking as JSON")] = False,
) -> None:
    """Rank the hosts with a session in the period (default: the last 30 days) by the tenant's weights."""
    try:
        ranking = asyncio.run(_ranking(tenant, _day(date_from), _day(date_to)))
    except AppError as exc:
        console.print(f"[bold red]error:[/] {exc.message} ({exc.code})")
        raise typer.Exit(1) from exc
    if as_json:
        typer.echo(ranking.model_dump_json(indent=2))
        return
    table = Table(title=f"主播成绩单 {ranking.period.date_from} – {ranking.period.date_to}")
    for column in (
        "#",
        "主播",
        "得分",
        "场次",
        "净成交额",
        "订单",
        "退款率",
        "转化率",
        "30天复购",
        "90天复购",
        "真实性",
    ):
        table.add_column(column)
    for card in ranking.items:
        table.add_row(
            str(card.rank),
            card.host_name,
            f"{card.score:.1f}",
            str(card.sessions),
            f"¥{format_yuan(card.net_gmv_fen)}",
            str(card.orders),
            _rate(card.refund_rate_bp),
            _rate(card.conversion_bp),
            _repurchase(card.repurchase_30d),
            _repurchase(card.repurchase_90d),
            "暂无" if card.authenticity_index is None else str(card.authenticity_index),
        )
    console.print(table)
    if ranking.excluded_metrics:
        console.print(f"not in the score (no host has a value): {', '.join(ranking.excluded_metrics)}")


async def _export(tenant_slug: str, date_from: date | None, date_to: date | None) -> bytes:
    settings = get_settings()
    database = Database(settings)
    try:
        async with database.transaction(write=False) as session:
            tenant = await tenancy_service.access_tenant_by_slug(session, tenant_slug)
            window = service.resolve_period(date_from, date_to, settings.display_timezone)
            return await service.export_workbook(session, _subject(tenant.id), window)
    finally:
        await database.dispose()


@app.command("export")
def export(
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    out: Annotated[Path, typer.Option(help="The .xlsx file to write")],
    date_from: Annotated[datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First day")] = None,
    date_to: Annotated[datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day, included")] = None,
) -> None:
    """Write the ranking, host × brand rows and weights to an Excel workbook."""
    try:
        body = asyncio.run(_export(tenant, _day(date_from), _day(date_to)))
    except AppError as exc:
        console.print(f"[bold red]error:[/] {exc.message} ({exc.code})")
        raise typer.Exit(1) from exc
    out.write_bytes(body)
    typer.echo(f"wrote {out} ({len(body):,} bytes)")
