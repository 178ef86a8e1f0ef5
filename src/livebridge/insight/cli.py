"""``livebridge insight …``: understand waiting comments now, and report what the comments say."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from livebridge.authz import Permission, Subject
from livebridge.config import get_settings
from livebridge.db import Database
from livebridge.exceptions import AppError
from livebridge.insight import service
from livebridge.insight.schemas import InsightDistribution
from livebridge.models import Platform
from livebridge.tenancy import service as tenancy_service

app = typer.Typer(help="Comment insight: intents, aspects and products of live comments.", no_args_is_help=True)
console = Console()

TenantOption = Annotated[str, typer.Option(help="Tenant slug")]
SessionOption = Annotated[list[int] | None, typer.Option("--session", help="Session id (repeatable); default: all")]
PlatformOption = Annotated[Platform | None, typer.Option(help="Only the sessions of this platform")]


async def _sessions(
    database: Database, tenant: str, sessions: list[int] | None, platform: Platform | None
) -> tuple[Subject, list[tuple[int, str]]]:
    async with database.transaction(write=False) as session:
        found = await tenancy_service.access_tenant_by_slug(session, tenant)
        subject = Subject(display_name="command line", tenant_id=found.id, permissions=frozenset({Permission.READ}))
        listed = await service.tenant_session_ids(session, subject, platform)
    if sessions:
        wanted = set(sessions)
        missing = wanted - {session_id for session_id, _ in listed}
        if missing:
            raise typer.BadParameter(f"no session {', '.join(map(str, sorted(missing)))} in tenant {tenant}")
        listed = [item for item in listed if item[0] in wanted]
    return subject, listed


def _run(work: Coroutine[Any, Any, None]) -> None:
    try:
        asyncio.run(work)
    except AppError as exc:
        console.print(f"[bold red]error:[/] {exc.message} ({exc.code})")
        raise typer.Exit(1) from exc


@app.command("process")
def process(tenant: TenantOption, session: SessionOption = None, platform: PlatformOption = None) -> None:
    """Understand the tenant's waiting comments now, in this process (the worker does it in the background)."""

    async def work() -> None:
        database = Database(get_settings())
        try:
            _, sessions = await _sessions(database, tenant, session, platform)
            for session_id, title in sessions:
                result = await service.catch_up(database, session_id)
                if result.error:
                    console.print(f"[bold red]error:[/] {result.error}")
                    raise typer.Exit(1)
                console.print(f"session {session_id} {title}: {result.understood} comments understood")
        finally:
            await database.dispose()

    _run(work())


def _print(distribution: InsightDistribution, title: str) -> None:
    total = distribution.understood or 1
    intents = Table(
        title=f"{title}: intents of {distribution.understood:,} comments ({distribution.sessions} sessions)"
    )
    for column in ("intent", "comments", "share"):
        intents.add_column(column, justify="right" if column != "intent" else "left")
    for intent, count in distribution.intents.items():
        intents.add_row(intent, f"{count:,}", f"{count / total:.1%}")
    console.print(intents)
    aspects = Table(title="aspects (a comment may name several)")
    for column in ("aspect", "comments", "share"):
        aspects.add_column(column, justify="right" if column != "aspect" else "left")
    for aspect, count in distribution.aspects.items():
        aspects.add_row(aspect, f"{count:,}", f"{count / total:.1%}")
    console.print(aspects)
    if distribution.waiting:
        console.print(
            f"[yellow]{distribution.waiting:,} comments are not understood yet[/] "
            "(run `livebridge insight process`, or start `livebridge serve` / `livebridge worker`)"
        )


@app.command("report")
def report(
    tenant: TenantOption,
    session: SessionOption = None,
    platform: PlatformOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object instead of tables")] = False,
) -> None:
    """Print the intent distribution and aspect counts of a tenant's (or some sessions') comments."""

    async def work() -> None:
        database = Database(get_settings())
        try:
            subject, sessions = await _sessions(database, tenant, session, platform)
            async with database.transaction(write=False) as db_session:
                distribution = await service.distribution(db_session, subject, [i for i, _ in sessions])
        finally:
            await database.dispose()
        if as_json:
            typer.echo(distribution.model_dump_json(indent=2))
        else:
            _print(distribution, tenant + (f" · {platform}" if platform else ""))

    _run(work())
