"""``livebridge nlp``: train, evaluate and run the comment models from the command line."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import orjson
import typer
from rich.console import Console
from rich.table import Table

from livebridge.text.errors import TextModelError

if TYPE_CHECKING:
    from livebridge.text.analyzer import CommentAnalysis

# The commands import the models, training and evaluation modules when they run: those load
# scikit-learn, which the rest of the ``livebridge`` command line should not wait for.

__all__ = ["app"]

app = typer.Typer(help="Comment understanding: intent, aspects, sentiment (中文直播评论).", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)

ANALYZE_CHUNK = 1000
ModelDirOption = Annotated[
    Path | None, typer.Option("--model-dir", help="Model folder (default: $LIVEBRIDGE_MODEL_DIR or ./var/models).")
]
DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Shared data folder (default: $LIVEBRIDGE_SHARED_DATA_DIR or ../shared/data)."),
]


@app.command("train")
def train_command(
    model_dir: ModelDirOption = None,
    data_dir: DataDirOption = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed of all random choices (default: a fixed one, kept in the manifest).")
    ] = None,
) -> None:
    """Train the comment models and save them with a manifest."""
    from livebridge.text.training import train

    try:
        with console.status("training comment models…"):
            report = train(model_dir, data_dir, seed)
    except TextModelError as exc:
        raise _fail(str(exc)) from exc
    table = Table(title="comment models trained", show_header=False)
    table.add_row("folder", str(report.model_dir / "text"))
    table.add_row("seconds", f"{report.seconds:.1f}")
    table.add_row("artifact size", f"{report.artifact_bytes / 1_000_000:.1f} MB")
    for name, count in report.examples.items():
        table.add_row(name.replace("_", " "), f"{count:,}")
    console.print(table)


@app.command("eval")
def eval_command(
    model_dir: ModelDirOption = None,
    data_dir: DataDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Measure the models on the frozen test files and the held-back public data."""
    from livebridge.text.analyzer import CommentAnalyzer
    from livebridge.text.evaluation import evaluate

    try:
        report = evaluate(CommentAnalyzer.load(model_dir), data_dir)
    except TextModelError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
        return
    _print_report(report)


@app.command("analyze")
def analyze_command(
    model_dir: ModelDirOption = None,
    full: Annotated[bool, typer.Option("--full", help="Also print intent_confidence and link_number.")] = False,
) -> None:
    """Read one comment per line on stdin; write one JSON object per line, in input order."""
    from livebridge.text.analyzer import CommentAnalyzer

    try:
        analyzer = CommentAnalyzer.load(model_dir)
    except TextModelError as exc:
        raise _fail(str(exc)) from exc
    output = sys.stdout.buffer
    for chunk in _chunks(_stdin_lines(sys.stdin.buffer), ANALYZE_CHUNK):
        results = analyzer.analyze_batch(chunk)
        output.write(b"".join(orjson.dumps(_output_record(result, full)) + b"\n" for result in results))
        output.flush()


def _stdin_lines(stream: BinaryIO) -> Iterator[bytes]:
    for line in stream:
        yield line.rstrip(b"\r\n")


def _chunks(lines: Iterator[bytes], size: int) -> Iterator[list[bytes]]:
    while chunk := list(islice(lines, size)):
        yield chunk


def _output_record(result: CommentAnalysis, full: bool) -> dict[str, Any]:
    record = result.to_dict()
    if not full:
        del record["intent_confidence"], record["link_number"]
    return record


def _print_report(report: dict[str, Any]) -> None:
    from livebridge.text.evaluation import failed_goals

    intent, aspects, comment = report["intent"], report["aspects"], report["comment_sentiment"]
    aspect_sentiment, reviews = report["aspect_sentiment"], report["review_sentiment"]
    absa, asap = report["absa_aspect_sentiment"], report["asap_price"]
    sections = {
        f"authored test file ({intent['test_comments']} comments)": [
            ("intent macro-F1", intent["macro_f1"]),
            ("intent accuracy", intent["accuracy"]),
            ("aspect micro-F1", aspects["micro_f1"]),
            ("aspect micro precision", aspects["micro_precision"]),
            ("aspect micro recall", aspects["micro_recall"]),
            ("comment sentiment accuracy", comment["accuracy"]),
            ("comment sentiment macro-F1", comment["macro_f1"]),
            ("aspect sentiment (aspect, sentiment) micro-F1", aspect_sentiment["pair_micro_f1"]),
            ("aspect sentiment accuracy on detected aspects", aspect_sentiment["accuracy_on_detected_aspects"]),
        ],
        f"online_shopping_10_cats, held-back fifth ({reviews['held_back_reviews']:,} reviews)": [
            ("review sentiment accuracy", reviews["accuracy"]),
            ("review sentiment accuracy, full pipeline", reviews["pipeline_accuracy"]),
        ],
        f"ABSA camera/car/notebook/phone, held-back fifth ({absa['held_back_mentions']} terms)": [
            ("aspect-term sentiment accuracy", absa["accuracy"]),
            ("aspect-term sentiment macro-F1 (pos/neg)", absa["macro_f1_positive_negative"]),
        ],
        f"ASAP restaurant sample, out of domain ({asap['reviews']} reviews)": [
            ("price aspect F1", asap["price_f1"]),
            ("price sentiment accuracy on detected", asap["price_sentiment_accuracy_on_detected"]),
        ],
        "F1 per intent (authored test)": list(intent["per_class_f1"].items()),
        "F1 per aspect (authored test)": list(aspects["per_aspect_f1"].items()),
    }
    for title, rows in sections.items():
        table = Table(title=title, title_justify="left", show_header=False, min_width=60)
        table.add_column("metric", no_wrap=True)
        table.add_column("value", justify="right", no_wrap=True)
        for name, value in rows:
            table.add_row(name, f"{value:.4f}")
        console.print(table)
    failed = failed_goals(report)
    for name, goal in report["goals"].items():
        mark = "[red]below goal[/]" if name in failed else "[green]meets goal[/]"
        console.print(f"{name} = {goal['value']:.4f} (goal ≥ {goal['floor']}) {mark}")


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(1)
