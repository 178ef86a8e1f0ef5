"""``livebridge simulate``: NDJSON out, or posted to a real HTTP endpoint."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from livebridge.ingest.schemas import OnlineCount, decode_event
from livebridge.simulate import load_shelf
from livebridge.simulate.cli import app, parse_speed, parse_start
from tests.simulate.conftest import API_KEY, FakeIngest

SMALL = ["run", "--minutes", "2", "--viewers", "120", "--seed", "5", "--start", "2026-11-20T20:00"]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_stdout_is_pure_ndjson_and_the_figures_go_to_stderr() -> None:
    code, stdout, stderr = run(*SMALL)
    assert code == 0, stderr
    events = [decode_event(line) for line in stdout.splitlines()]
    assert events
    assert all(event.is_simulated for event in events)
    assert events[0].occurred_at.isoformat() == "2026-11-20T20:00:00+08:00"  # a bare time is Asia/Shanghai
    assert isinstance(events[-1], OnlineCount)
    assert "viewers (UV)" in stderr


def test_same_options_same_file(tmp_path: Path) -> None:
    first, second = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    assert run(*SMALL, "--out", str(first))[0] == 0
    assert run(*SMALL, "-o", str(second))[0] == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes().count(b"\n") > 100


def test_a_shelf_file_from_the_shelf_command(tmp_path: Path) -> None:
    code, stdout, _ = run("shelf")
    assert code == 0
    shelf_file = tmp_path / "shelf.json"
    shelf_file.write_text(stdout.replace("NJ-AF5-W", "MY-SKU-1"), encoding="utf-8")
    assert any(sku.code == "MY-SKU-1" for product in load_shelf(shelf_file) for sku in product.skus)
    code, stdout, stderr = run(*SMALL, "--viewers", "2000", "--shelf", str(shelf_file))
    assert code == 0, stderr
    assert "NJ-AF5-W" not in stdout


def test_a_bad_shelf_file_is_a_clear_error(tmp_path: Path) -> None:
    shelf_file = tmp_path / "shelf.json"
    shelf_file.write_text('{"products": []}', encoding="utf-8")
    code, _, stderr = run(*SMALL, "--shelf", str(shelf_file))
    assert code == 2
    assert "the shelf is empty" in stderr


def test_posting_to_a_real_server(ingest: FakeIngest, ingest_server: str) -> None:
    code, stdout, stderr = run(*SMALL, "--url", ingest_server, "--session-id", "12", "--api-key", API_KEY,
                               "--speed", "max", "--gzip", "--batch-size", "300")
    assert code == 0, stderr
    assert stdout == ""
    received = sum(len(request.event_ids) for request in ingest.requests)
    assert received == len(ingest.seen) > 300
    assert all(request.gzipped and request.session_id == "12" for request in ingest.requests)
    assert f"accepted {received:,}" in " ".join(stderr.split())


def test_posting_is_refused_without_a_session_or_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIVEBRIDGE_API_KEY", raising=False)
    code, _, stderr = run(*SMALL, "--url", "http://127.0.0.1:9", "--session-id", "12")
    assert code == 2
    assert "--api-key" in stderr


def test_out_and_url_exclude_each_other(tmp_path: Path) -> None:
    code, _, stderr = run(*SMALL, "--url", "http://127.0.0.1:9", "--session-id", "1", "--api-key", "k",
                          "-o", str(tmp_path / "x.ndjson"))
    assert code == 2
    assert "--url" in stderr


def test_a_refused_key_fails_the_command(ingest_server: str) -> None:
    code, _, stderr = run(*SMALL, "--url", ingest_server, "--session-id", "12", "--api-key", "wrong")
    assert code == 1
    assert "401" in stderr


def test_speeds_and_starts() -> None:
    assert (parse_speed("1x"), parse_speed("10x"), parse_speed("MAX"), parse_speed("2.5x")) == (1.0, 10.0, None, 2.5)
    for wrong in ("fast", "0x", "10"):
        with pytest.raises(typer.BadParameter):
            parse_speed(wrong)
    hour = timedelta(hours=1)
    live = parse_start("auto", duration=hour, speed=1.0, posting=True)
    replay = parse_start("auto", duration=hour, speed=10.0, posting=True)
    assert live - replay == hour  # a replay ends now: nothing it posts lies in the future
    assert parse_start("2026-11-20T12:00:00Z", duration=hour, speed=None, posting=False).utcoffset() == timedelta(0)
    with pytest.raises(typer.BadParameter):
        parse_start("tonight", duration=hour, speed=None, posting=False)
