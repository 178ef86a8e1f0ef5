"""``livebridge nlp`` (the ``app`` Typer sub-app), through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from livebridge.text import cli
from livebridge.text.cli import app

OUTPUT_KEYS = {"intent", "aspects", "sentiment", "aspect_sentiments", "normalized"}


def run_analyze(model_dir: Path, stdin: bytes, *options: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(app, ["analyze", "--model-dir", str(model_dir), *options], input=stdin)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_analyze_keeps_input_order_across_chunks(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "ANALYZE_CHUNK", 7)
    comments = [f"{number}号链接" for number in range(1, 60)]
    records = run_analyze(model_dir, ("\n".join(comments) + "\n").encode())
    assert [record["normalized"] for record in records] == comments
    assert all(set(record) == OUTPUT_KEYS for record in records)


def test_analyze_gives_one_line_per_input_line_whatever_it_holds(model_dir: Path) -> None:
    stdin = "质量太差了\r\n\n有没有大码\n".encode() + b"\xff\xfe\n" + ("好" * 3000).encode()
    records = run_analyze(model_dir, stdin)
    assert len(records) == 5
    assert records[0]["intent"] == "complaint"
    assert records[0]["aspect_sentiments"] == {"quality": "negative"}
    assert records[1]["intent"] == "unknown"
    assert records[2] == {
        "intent": "question",
        "aspects": ["size"],
        "sentiment": "neutral",
        "aspect_sentiments": {"size": "neutral"},
        "normalized": "有没有大码",
    }
    assert records[3]["intent"] == "unknown"


def test_analyze_full_adds_confidence_and_link_number(model_dir: Path) -> None:
    [record] = run_analyze(model_dir, "3号链接多少钱\n".encode(), "--full")
    assert record["link_number"] == 3
    assert 0.5 < record["intent_confidence"] <= 1.0


def test_commands_without_models_fail_with_the_rebuild_command(tmp_path: Path) -> None:
    for command in (["analyze"], ["eval"]):
        result = CliRunner().invoke(app, [*command, "--model-dir", str(tmp_path)], input=b"x\n")
        assert result.exit_code == 1
        assert "livebridge nlp train" in result.output


def test_train_fails_cleanly_without_data(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["train", "--model-dir", str(tmp_path / "m"), "--data-dir", str(tmp_path / "no-data")]
    )
    assert result.exit_code == 1
    assert "no-data" in result.output


def test_eval_prints_every_task(eval_report: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    cli._print_report(eval_report)
    printed = capsys.readouterr().out
    for fragment in (
        "intent macro-F1",
        "aspect micro-F1",
        "comment sentiment accuracy",
        "review sentiment accuracy",
        "aspect-term sentiment accuracy",
        "price aspect F1",
        f"{eval_report['intent']['macro_f1']:.4f}",
    ):
        assert fragment in printed
    for label in ("question", "spam", "usage_installation"):
        assert label in printed
