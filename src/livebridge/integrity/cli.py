"""``livebridge integrity …``: assess a session (once, or every 10 s while it is live), evaluate the detectors."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from livebridge.authz import Permission, Subject
from livebridge.config import get_settings
from livebridge.db import Database
from livebridge.exceptions import AppError
from livebridge.integrity import service
from livebridge.integrity.evaluation import SPLITS, EvalReport, run_evaluation, share
from livebridge.integrity.schemas import IntegrityReport
from livebridge.kit.money import format_yuan
from livebridge.tenancy import service as tenancy_service

app = typer.Typer(help="Integrity: authenticity of sessions, and the detectors' evaluation.", no_args_is_help=True)
console = Console(width=140)
BILIBILI_DIR = "bilibili-live-events-2021"


async def _assess(tenant_slug: str, session_id: int) -> IntegrityReport:
    database = Database(get_settings())
    try:
        async with database.transaction() as session:
            tenant = await tenancy_service.access_tenant_by_slug(session, tenant_slug)
            subject = Subject(
                display_name="command line", tenant_id=tenant.id, permissions=frozenset({Permission.READ})
            )
            return await service.assess_session(session, subject, session_id)
    finally:
        await database.dispose()


def _print(report: IntegrityReport) -> None:
    f = report.figures
    index = "不足以判断 (not enough data)" if report.authenticity_index is None else str(report.authenticity_index)
    console.print(f"[bold]{report.title}[/] ({report.status})  真实度指数 {index}  事件 {report.events_seen}")
    for reason in report.top_reasons:
        console.print(f"  · {reason.message}")
    table = Table("", "报告 reported", "核验 verified")
    table.add_row("峰值在线", f"{f.peak_online.reported:g}", f"{f.peak_online.verified:g}")
    table.add_row("平均在线", f"{f.average_online.reported:g}", f"{f.average_online.verified:g}")
    table.add_row("评论", f"{f.comments.reported:g}", f"{f.comments.verified:g}")
    table.add_row("订单", f"{f.orders.reported:g}", f"{f.orders.verified:g}")
    table.add_row(
        "GMV 净退款 / 净可疑", f"¥{format_yuan(f.gmv_net_refunds_fen)}", f"¥{format_yuan(f.gmv_net_flagged_fen)}"
    )
    console.print(table)
    for detector in report.detectors:
        if detector.status != "ok":
            console.print(f"  [yellow]{detector.detector}: {detector.status}[/] {detector.note}")


@app.command("assess")
def assess_command(
    session_id: int,
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    watch: Annotated[bool, typer.Option(help="Re-assess every 10 s until the session is no longer live")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run every detector on a session's events, store the result and print it."""
    while True:
        try:
            report = asyncio.run(_assess(tenant, session_id))
        except AppError as exc:
            console.print(f"[bold red]error:[/] {exc.message} ({exc.code})")
            raise typer.Exit(1) from exc
        if as_json:
            typer.echo(report.model_dump_json(indent=2))
        else:
            _print(report)
        if not watch or report.status != "live":
            return
        time.sleep(service.REFRESH_EVERY.total_seconds())


def _print_eval(report: EvalReport, seconds: float) -> None:
    chosen = SPLITS[report.split]
    table = Table(title=f"split {report.split}: rooms {', '.join(chosen['rooms'])}; seeds {chosen['seeds']}")
    for column in ("detector", "trials", "not judged", "TP", "FP", "FN", "precision", "recall", "F1"):
        table.add_column(column)
    for name, score in sorted(report.scores.items()):
        table.add_row(
            name,
            str(score.trials),
            str(score.not_judged),
            str(score.true_positives),
            str(score.false_positives),
            str(score.false_negatives),
            f"{score.precision:.3f}",
            f"{score.recall:.3f}",
            f"{score.f1:.3f}",
        )
    console.print(table)
    console.print(
        f"alarm rate, untouched real rooms: viewers {report.alarm_viewers[0]}/{report.alarm_viewers[1]} "
        f"= {share(report.alarm_viewers):.2%}, comments {report.alarm_comments[0]}/{report.alarm_comments[1]} "
        f"= {share(report.alarm_comments):.2%}"
    )
    console.print(
        f"alarm rate, untouched simulated order streams: orders {report.alarm_orders[0]}/{report.alarm_orders[1]} "
        f"= {share(report.alarm_orders):.2%}"
    )
    found, trials = report.brushing_by_rule
    console.print(
        f"brushing injections that were brushing by the rule at their fixed size (3/5/8 orders per account): "
        f"{found}/{trials}; the others were topped up until orders ÷ buyers reached 3 in their hour"
    )
    console.print(f"run time {seconds:.1f} s")


@app.command("eval")
def eval_command(
    split: Annotated[str, typer.Option(help="tune (where thresholds were chosen) or test (reported)")] = "test",
    data_dir: Annotated[Path | None, typer.Option(help="The Bilibili captures; default: shared data dir")] = None,
) -> None:
    """Inject bots, comment floods and brushed orders into real rooms / simulated orders; print P, R, F1."""
    if split not in SPLITS:
        console.print(f"[bold red]error:[/] split must be one of {', '.join(SPLITS)}")
        raise typer.Exit(2)
    directory = data_dir or get_settings().shared_data_dir / BILIBILI_DIR
    if not directory.is_dir():
        console.print(f"[bold red]error:[/] no Bilibili captures at {directory}")
        raise typer.Exit(2)
    started = time.perf_counter()
    report = run_evaluation(directory, split)
    _print_eval(report, time.perf_counter() - started)
