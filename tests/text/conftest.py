"""Fixtures of the text tests: the comment models are trained once per session, through the CLI.

Training reads the shared data folder (``$LIVEBRIDGE_SHARED_DATA_DIR`` or ../shared/data); tests
that need trained models are skipped when it is absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from livebridge.text import CommentAnalyzer
from livebridge.text.cli import app
from livebridge.text.datasets import resolve_data_dir
from livebridge.text.errors import TrainingDataError


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    try:
        return resolve_data_dir()
    except TrainingDataError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory, shared_data_dir: Path) -> Path:
    folder = tmp_path_factory.mktemp("models")
    result = CliRunner().invoke(app, ["train", "--model-dir", str(folder), "--data-dir", str(shared_data_dir)])
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="session")
def analyzer(model_dir: Path) -> CommentAnalyzer:
    return CommentAnalyzer.load(model_dir)


@pytest.fixture(scope="session")
def eval_report(model_dir: Path, shared_data_dir: Path) -> dict[str, Any]:
    result = CliRunner().invoke(
        app, ["eval", "--json", "--model-dir", str(model_dir), "--data-dir", str(shared_data_dir)]
    )
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report
