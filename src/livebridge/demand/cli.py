"""``livebridge demand …``: regroup comments into demand topics, export the R&D report."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from livebridge.authz import Permission, Subject
from livebridge.config import get_settings
from livebridge.db import Database
from livebridge.demand import reports, service
from livebridge.demand.schemas import RebuildRead
from livebridge.exceptions import AppError
from livebridge.kit.pagination import PageParams
from livebridge.models import DemandTopic
from livebridge.tenancy import service as tenancy_service
from livebridge.web.i18n import get_translations

app = typer.Typer(help="Demand topics and C2M reports.", no_args_is_help=True)
console = Console()


def _subject(tenant_id: int) -> Subject:
    return Subject(display_name="command line", tenant_id=tenant_id, permissions=frozenset(Permission))


async def _rebuild(tenant_slug: str) -> tuple[RebuildRead, list[DemandTopic]]:
    database = Database(get_settings())
    try:
        async with database.transaction() as session:
            tenant = await tenancy_service.access_tenant_by_slug(session, tenant_slug)
            result = await service.rebuild_topics(session, _subject(tenant.id))
        async with database.transaction(write=False) as session:
            top = await service.list_topics(session, _subject(tenant.id), PageParams(page=1, page_size=10))
        return result, top.items
    finally:
        await database.dispose()


@app.command("rebuild")
def rebuild(tenant: Annotated[str, typer.Option(help="Tenant slug")]) -> None:
    """Place new demand, question and complaint comments into topics; refresh figures and ranking."""
    try:
        result, top = asyncio.run(_rebuild(tenant))
    except AppError as exc:
        console.print(f"[bold red]error:[/] {exc.message} ({exc.code})")
        raise typer.Exit(1) from exc
    console.print(
        f"comments considered {result.comments_considered}, excluded {result.comments_excluded}, "
        f"newly placed {result.comments_placed}; topics created {result.topics_created}, active {result.topics_active}"
    )
    table = Table(title="top topics")
    for column in ("id", "topic", "kind", "viewers", "buyers", "comments", "score"):
        table.add_column(column)
    for topic in top:
        table.add_row(
            str(topic.id),
            topic.label,
            topic.kind,
            str(topic.viewer_count),
            str(topic.buyer_count),
            str(topic.comment_count),
            f"{topic.score:.2f}",
        )
    console.print(table)


async def _report(tenant_slug: str, product_id: int | None, locale: str) -> bytes:
    settings = get_settings()
    database = Database(settings)
    try:
        async with database.transaction(write=False) as session:
            tenant = await tenancy_service.access_tenant_by_slug(session, tenant_slug)
            report = await reports.build_report(
                session, _subject(tenant.id), brand_name=tenant.name, product_id=product_id
            )
        return reports.report_workbook(report, get_translations(locale).gettext, settings.display_timezone)
    finally:
        await database.dispose()


@app.command("report")
def report(
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    output: Annotated[Path, typer.Option(help="Where to write the .xlsx")],
    product: Annotated[int | None, typer.Option(help="One product's report (default: the whole brand)")] = None,
    locale: Annotated[str, typer.Option(help="zh_CN or en")] = "zh_CN",
) -> None:
    """Write the ranked demands and proposals as an Excel workbook."""
    try:
        content = asyncio.run(_report(tenant, product, locale))
    except AppError as exc:
        console.print(f"[bold red]error:[/] {exc.message} ({exc.code})")
        raise typer.Exit(1) from exc
    output.write_bytes(content)
    console.print(f"[green]report written to {output}[/]")
