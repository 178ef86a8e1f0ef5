"""``livebridge audit …``: verify the hash chains, take a checkpoint."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console

from livebridge.audit import service
from livebridge.authz import command_line_subject
from livebridge.config import get_settings
from livebridge.db import Database
from livebridge.exceptions import AppError
from livebridge.tenancy import service as tenancy_service

app = typer.Typer(help="The audit hash chain: verify it, take checkpoints.", no_args_is_help=True)
console = Console()


async def _verify(tenant_slug: str | None) -> list[tuple[str, service.VerifyReport]]:
    database = Database(get_settings())
    try:
        async with database.transaction(write=False) as session:
            if tenant_slug is not None:
                tenant = await tenancy_service.access_tenant_by_slug(session, tenant_slug)
                targets = [(tenant.id, tenant.slug)]
            else:
                slugs = {t.id: t.slug for t in await tenancy_service.list_all_tenants(session, command_line_subject())}
                targets = [
                    (tenant_id, slugs.get(tenant_id, "?")) for tenant_id in await service.tenants_with_chains(session)
                ]
            return [(slug, await service.verify_chain(session, tenant_id)) for tenant_id, slug in targets]
    finally:
        await database.dispose()


@app.command("verify")
def verify(
    tenant: Annotated[str | None, typer.Option(help="Tenant slug (default: every tenant with a chain)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per tenant")] = False,
) -> None:
    """Recompute every tenant's chain; name the first entry changed, removed or reordered. Exit 1 if any."""
    try:
        reports = asyncio.run(_verify(tenant))
    except AppError as exc:
        console.print(f"[bold red]error:[/] {exc.message} ({exc.code})")
        raise typer.Exit(2) from exc
    for slug, report in reports:
        if as_json:
            problem = asdict(report.problem) if report.problem else None
            typer.echo(
                json.dumps(
                    {
                        "tenant": slug,
                        "ok": report.ok,
                        "entries": report.entries,
                        "head_seq": report.head_seq,
                        "checkpoints": report.checkpoints,
                        "counts_by_kind": report.counts_by_kind,
                        "problem": problem,
                    },
                    ensure_ascii=False,
                )
            )
        elif report.problem is None:
            kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(report.counts_by_kind.items()))
            console.print(
                f"[green]OK[/] {slug}: {report.entries} entries ({kinds or 'none'}), "
                f"{report.checkpoints} checkpoints, head at {report.head_seq}"
            )
        else:
            console.print(
                f"[bold red]TAMPERED[/] {slug}: first bad entry {report.problem.seq} "
                f"({report.problem.kind}): {report.problem.message}"
            )
    if not reports:
        console.print("no audit chain yet")
    if any(not report.ok for _, report in reports):
        raise typer.Exit(1)


async def _checkpoint(tenant_slug: str) -> tuple[int, str]:
    database = Database(get_settings())
    try:
        async with database.transaction() as session:
            tenant = await tenancy_service.access_tenant_by_slug(session, tenant_slug)
            return await service.do_checkpoint(session, tenant.id)
    finally:
        await database.dispose()


@app.command("checkpoint")
def checkpoint(tenant: Annotated[str, typer.Option(help="Tenant slug")]) -> None:
    """Record the chain head now and print it: keep the printed hash somewhere outside this database."""
    try:
        seq, head_hash = asyncio.run(_checkpoint(tenant))
    except AppError as exc:
        console.print(f"[bold red]error:[/] {exc.message} ({exc.code})")
        raise typer.Exit(2) from exc
    typer.echo(f"{tenant} {seq} {head_hash}")
