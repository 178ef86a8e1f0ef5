"""The ``livebridge`` command line (Typer + Rich)."""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.audit.cli import app as audit_app
from livebridge.authz import Permission, Subject, command_line_subject
from livebridge.config import get_settings
from livebridge.db import Database
from livebridge.demand.cli import app as demand_app
from livebridge.exceptions import AppError, ConfigurationError
from livebridge.geo.cli import app as geo_app
from livebridge.ingest.cli import app as import_app
from livebridge.insight.cli import app as insight_app
from livebridge.integrity.cli import app as integrity_app
from livebridge.models import ApiKeyRole, OrganizationKind, Role
from livebridge.replay.cli import replay as replay_command
from livebridge.scorecards.cli import app as scorecards_app
from livebridge.service_desk import cli as service_desk_cli
from livebridge.settlement.cli import app as settlement_app
from livebridge.simulate.cli import app as simulate_app
from livebridge.stats.cli import app as sessions_app
from livebridge.tenancy import service as tenancy_service
from livebridge.tenancy.schemas import ApiKeyCreate, ApiKeyCreated, TenantCreate, UserCreate
from livebridge.text.cli import app as nlp_app

app = typer.Typer(help="LiveBridge: S2B live-commerce platform (直播带货中台).", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
admin_app = typer.Typer(help="Platform administration: tenants and users.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys for machine clients.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.add_typer(apikey_app, name="apikey")
app.add_typer(import_app, name="import")
sessions_app.command("replay")(replay_command)
app.add_typer(sessions_app, name="sessions")
app.add_typer(simulate_app, name="simulate", help="Simulated live sessions (marked as simulated).")
app.add_typer(geo_app, name="geo", help="Chinese addresses → GB/T 2260 division codes.")
app.add_typer(nlp_app, name="nlp", help="Comment understanding models: train, eval, analyze.")
app.add_typer(service_desk_cli.tickets_app, name="tickets")
app.add_typer(settlement_app, name="settlement")
import_app.command("orders")(service_desk_cli.import_orders)
import_app.command("aftersales")(service_desk_cli.import_after_sales)
app.add_typer(integrity_app, name="integrity", help="Integrity: assess sessions, evaluate the detectors.")
app.add_typer(insight_app, name="insight")
app.add_typer(demand_app, name="demand", help="Demand topics (C2M): regroup comments, export reports.")
app.add_typer(audit_app, name="audit")
app.add_typer(scorecards_app, name="scorecards")

console = Console()
err_console = Console(stderr=True)
T = TypeVar("T")
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def run_in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one unit of work against the configured database; AppErrors become a clean exit."""

    async def runner() -> T:
        database = Database(get_settings())
        try:
            async with database.transaction() as session:
                return await work(session)
        finally:
            await database.dispose()

    try:
        return asyncio.run(runner())
    except AppError as exc:
        raise fail(f"{exc.message} ({exc.code})") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise fail(problems) from exc


def alembic_config(database_url: str | None = None) -> AlembicConfig:
    config = AlembicConfig(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


@app.callback()
def check_configuration() -> None:
    try:
        get_settings()
    except ConfigurationError as exc:
        raise fail(str(exc), code=2) from exc


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database to the newest schema (or to REVISION)."""
    alembic_command.upgrade(alembic_config(), revision)
    console.print(f"[green]database at {revision}[/]")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Migrate the database back to REVISION (``base`` empties it)."""
    alembic_command.downgrade(alembic_config(), revision)
    console.print(f"[yellow]database at {revision}[/]")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface; LIVEBRIDGE_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Port; LIVEBRIDGE_PORT")] = None,
    workers: Annotated[int | None, typer.Option(help="Processes; LIVEBRIDGE_WORKERS")] = None,
    migrate: Annotated[bool, typer.Option(help="Upgrade the schema first")] = True,
) -> None:
    """Serve the API and the console."""
    import uvicorn

    settings = get_settings()
    if migrate:
        alembic_command.upgrade(alembic_config(), "head")
    uvicorn.run(
        "livebridge.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_level="info",
        proxy_headers=True,
    )


@app.command()
def worker() -> None:
    """Run background tasks (the task queue's consumer) until stopped with Ctrl-C or SIGTERM.

    With LIVEBRIDGE_REDIS_URL set, run one or more of these next to the API processes; without
    it `serve` consumes the embedded SQLite queue itself.
    """
    from livebridge.worker.consumer import run_worker

    run_worker(get_settings())


@app.command()
def demo(
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the console afterwards")] = False,
) -> None:
    """Load the demo tenant (simulated data, marked as such). Running it again changes nothing."""
    from livebridge.demo.seed import DEMO_LOGINS, load_demo

    alembic_command.upgrade(alembic_config(), "head")
    created = run_in_transaction(load_demo)
    console.print("[green]demo tenant loaded[/]" if created else "[cyan]demo tenant already present[/]")
    table = Table(title="Demo logins (simulated data)")
    for column in ("role", "e-mail", "password"):
        table.add_column(column)
    for role, email, password in DEMO_LOGINS:
        table.add_row(role, email, password)
    console.print(table)
    if serve_after:
        settings = get_settings()
        console.print(f"console: [bold]http://{settings.host}:{settings.port}[/]")
        serve(host=None, port=None, workers=None, migrate=False)


def _password(value: str | None) -> str:
    return value if value is not None else getpass.getpass("password: ")


@admin_app.command("create-tenant")
def create_tenant(
    slug: str,
    name: str,
    owner_email: Annotated[str, typer.Option()],
    owner_name: Annotated[str, typer.Option()],
    owner_password: Annotated[str | None, typer.Option(help="Asked for when omitted")] = None,
    kind: Annotated[OrganizationKind, typer.Option()] = OrganizationKind.BRAND,
) -> None:
    """Create a tenant (a brand or a merchant) with its owner."""
    payload = TenantCreate(
        slug=slug,
        name=name,
        kind=kind,
        owner_email=owner_email,
        owner_name=owner_name,
        owner_password=_password(owner_password),
    )
    tenant = run_in_transaction(lambda s: tenancy_service.do_create_tenant(s, command_line_subject(), payload))
    console.print(f"[green]tenant {tenant.slug} created[/] (id {tenant.id})")


@admin_app.command("create-user")
def create_user(
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    email: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    role: Annotated[Role, typer.Option()],
    password: Annotated[str | None, typer.Option(help="Asked for when omitted")] = None,
    organization_id: Annotated[int | None, typer.Option()] = None,
    platform_admin: Annotated[bool, typer.Option(help="Also make the user a platform admin")] = False,
) -> None:
    """Add a user (new or existing) to a tenant with a role."""
    secret = _password(password)

    async def work(session: AsyncSession) -> int:
        found = await tenancy_service.access_tenant_by_slug(session, tenant)
        payload = UserCreate(
            tenant_id=found.id,
            email=email,
            display_name=name,
            password=secret,
            role=role,
            organization_id=organization_id,
        )
        membership = await tenancy_service.do_create_user(session, command_line_subject(), payload)
        if platform_admin:
            await tenancy_service.do_grant_platform_admin(session, command_line_subject(), membership.user_id)
        return membership.user_id

    user_id = run_in_transaction(work)
    console.print(f"[green]user {email} added to {tenant} as {role}[/] (user id {user_id})")


@apikey_app.command("create")
def create_api_key(
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    name: Annotated[str, typer.Option()],
    role: Annotated[ApiKeyRole, typer.Option()] = ApiKeyRole.INGEST,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create an API key; the key is printed this once."""

    async def work(session: AsyncSession) -> ApiKeyCreated:
        found = await tenancy_service.access_tenant_by_slug(session, tenant)
        subject = Subject(display_name="command line", tenant_id=found.id, permissions=frozenset(Permission))
        return await tenancy_service.do_create_api_key(session, subject, ApiKeyCreate(name=name, role=role))

    created = run_in_transaction(work)
    if as_json:
        typer.echo(json.dumps({"id": created.id, "prefix": created.prefix, "key": created.key}))
        return
    console.print(f"API key [bold]{created.name}[/] ({created.role}); copy it now, it is not shown again:")
    typer.echo(created.key)


def main() -> None:
    app()
