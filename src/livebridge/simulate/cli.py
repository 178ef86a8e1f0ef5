"""``livebridge simulate …``: generate a simulated live session; write it as NDJSON or post it to the API."""

from __future__ import annotations

import asyncio
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, BinaryIO, Final
from zoneinfo import ZoneInfo

import msgspec
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from livebridge.kit.money import format_yuan
from livebridge.simulate.generator import SessionFigures, Simulation, simulate
from livebridge.simulate.poster import PostError, PostOptions, PostReport, PostTarget, post_events
from livebridge.simulate.scenario import AudienceModel, Scenario, example_shelf, load_shelf

__all__ = ["app", "parse_speed", "parse_start"]

app = typer.Typer(no_args_is_help=True)
err_console = Console(stderr=True)
SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
_SPEED = re.compile(r"(?P<factor>\d+(?:\.\d+)?)x")
_WRITE_CHUNK: Final = 10_000


@app.callback()
def simulate_group() -> None:
    """Simulated live sessions (all events are marked simulated)."""
    # A callback keeps the commands sub-commands of ``livebridge simulate``.


def parse_speed(text: str) -> float | None:
    """``1x`` → 1.0, ``10x`` → 10.0, ``max`` → None (as fast as possible)."""
    if text.strip().lower() == "max":
        return None
    match = _SPEED.fullmatch(text.strip().lower())
    if match is None or float(match.group("factor")) <= 0:
        raise typer.BadParameter("use 1x, 10x, any <number>x, or max")
    return float(match.group("factor"))


def parse_start(text: str, *, duration: timedelta, speed: float | None, posting: bool) -> datetime:
    """``now``, an ISO time with a zone (a bare time is Asia/Shanghai), or ``auto``.

    ``auto`` starts now when posting in real time (the live demo) and otherwise ends now, so
    that no event lies in the future (the API refuses events more than 5 minutes ahead).
    """
    now = datetime.now(SHANGHAI).replace(microsecond=0)
    if text == "now" or (text == "auto" and posting and speed == 1.0):
        return now
    if text == "auto":
        return now - duration
    try:
        start = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"not a time: {text!r} (use now, auto or e.g. 2026-11-20T20:00+08:00)") from exc
    return start if start.tzinfo is not None else start.replace(tzinfo=SHANGHAI)


@app.command("shelf")
def shelf_command() -> None:
    """Print the built-in example shelf as JSON (a template for --shelf)."""
    typer.echo(msgspec.json.format(msgspec.json.encode({"products": example_shelf()}), indent=2).decode())


@app.command("run")
def run_command(
    minutes: Annotated[float, typer.Option(min=0.2, help="Session length")] = 120.0,
    viewers: Annotated[int, typer.Option(min=1, help="Distinct viewers over the session (场观)")] = 10_000,
    seed: Annotated[int, typer.Option(min=0, help="Same seed and options, same events")] = 1,
    shelf: Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="Shelf JSON; see `shelf`")] = None,
    start: Annotated[str, typer.Option(help="auto, now, or an ISO time (Asia/Shanghai if no zone)")] = "auto",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write NDJSON here ('-': stdout, default)")] = None,
    url: Annotated[str | None, typer.Option(help="Post to this API instead, e.g. http://127.0.0.1:8000")] = None,
    session_id: Annotated[str | None, typer.Option(help="Live session to post into")] = None,
    api_key: Annotated[str | None, typer.Option(envvar="LIVEBRIDGE_API_KEY", help="Ingest API key")] = None,
    speed: Annotated[str, typer.Option(help="When posting: 1x (real time), 10x, any <n>x, or max")] = "max",
    batch_size: Annotated[int, typer.Option(min=1, max=5_000)] = 1_000,
    use_gzip: Annotated[bool, typer.Option("--gzip/--no-gzip", help="Compress request bodies")] = False,
) -> None:
    """Simulate a live session: NDJSON to a file or stdout, or posted to the ingest API.

    The figures of the session (funnel, GMV) go to stderr, so stdout stays pure NDJSON.
    """
    pace = parse_speed(speed)
    duration = timedelta(minutes=minutes)
    target: PostTarget | None = None
    if url is not None:
        if out is not None:
            raise typer.BadParameter("--out writes a file, --url posts: give one of them")
        if session_id is None or api_key is None:
            raise typer.BadParameter("posting needs --session-id and --api-key (or LIVEBRIDGE_API_KEY)")
        target = PostTarget(base_url=url, session_id=session_id, api_key=api_key)
    posting = target is not None
    try:
        scenario = Scenario(
            start=parse_start(start, duration=duration, speed=pace, posting=posting),
            duration=duration,
            shelf=load_shelf(shelf) if shelf is not None else example_shelf(),
            audience=AudienceModel(viewers=viewers),
            seed=seed,
            # Posting the same scenario into two sessions of a tenant must not make duplicates.
            id_namespace=f"session:{session_id}" if posting else "",
        )
    except ValueError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    simulation = simulate(scenario)
    _print_figures(simulation)
    if target is None:
        _write(simulation, out)
        return
    options = PostOptions(batch_size=batch_size, speed=pace, use_gzip=use_gzip)
    try:
        report = _post(simulation, target, options)
    except PostError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    _print_report(report)


def _write(simulation: Simulation, out: Path | None) -> None:
    encoder = msgspec.json.Encoder()

    def write_to(stream: BinaryIO) -> None:
        chunk = []
        for event in simulation.events():
            chunk.append(event)
            if len(chunk) == _WRITE_CHUNK:
                stream.write(encoder.encode_lines(chunk))
                chunk = []
        stream.write(encoder.encode_lines(chunk))

    if out is None or str(out) == "-":
        write_to(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    with out.open("wb") as stream:
        write_to(stream)
    err_console.print(f"[green]{len(simulation):,} events written to {out}[/]")


def _post(simulation: Simulation, target: PostTarget, options: PostOptions) -> PostReport:
    with Progress(
        TextColumn("posting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err_console
    ) as progress:
        task = progress.add_task("events", total=len(simulation))
        return asyncio.run(post_events(
            simulation.events(), target, options, on_batch=lambda report: progress.update(task, completed=report.events)
        ))


def _print_figures(simulation: Simulation) -> None:
    figures: SessionFigures = simulation.figures
    scenario = simulation.scenario
    table = Table(title=f"simulated session (seed {scenario.seed}, {len(simulation):,} events, all marked simulated)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    start = scenario.start.astimezone(SHANGHAI)
    rows = [
        ("start", f"{start:%Y-%m-%d %H:%M:%S%z}"),
        ("minutes", f"{scenario.duration_s / 60:g}"),
        ("explanations", f"{len(simulation.schedule)}"),
        ("viewers (UV) / visits (PV)", f"{figures.viewers:,} / {figures.visits:,}"),
        ("online: peak / average", f"{figures.peak_online:,} / {figures.average_online:,.0f}"),
        ("commenters / comments", f"{figures.commenters:,} ({figures.comment_share:.1%}) / {figures.comments:,}"),
        ("likes", f"{figures.likes:,}"),
        ("clickers / clicks", f"{figures.clickers:,} ({figures.click_through:.1%}) / {figures.clicks:,}"),
        ("buyers (click→order)", f"{figures.buyers:,} ({figures.click_to_order:.1%})"),
        ("orders created / paid", f"{figures.orders_created:,} / {figures.orders_paid:,} ({figures.pay_rate:.1%})"),
        ("orders refunded", f"{figures.orders_refunded:,} ({figures.refund_rate:.1%})"),
        ("GMV paid / refunded (¥)", f"{format_yuan(figures.gmv_fen)} / {format_yuan(figures.refunded_fen)}"),
        ("GPM (¥ per 1,000 views)", format_yuan(figures.gpm_fen)),
    ]
    for name, value in rows:
        table.add_row(name, value)
    err_console.print(table)


def _print_report(report: PostReport) -> None:
    err_console.print(
        f"[green]posted {report.events:,} events in {report.batches:,} batches, {report.elapsed_s:.1f} s "
        f"({report.events_per_s:,.0f} events/s)[/]: accepted {report.accepted:,}, duplicates {report.duplicates:,}, "
        f"rejected {report.rejected:,}, retries {report.retries:,}"
    )
    for rejection in report.first_rejections[:10]:
        where = f"batch {rejection.batch} line {rejection.line} ({rejection.event_id})"
        err_console.print(f"  {where}: {rejection.code} {rejection.message}")
