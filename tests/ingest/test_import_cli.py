"""`livebridge import events FILE`: NDJSON and CSV through the ingest service, with file line numbers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from livebridge.cli import app
from livebridge.config import get_settings
from tests.factories import TenantFixture


@pytest.fixture
def runner(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("LIVEBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("LIVEBRIDGE_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_ndjson_import_is_idempotent_and_names_bad_lines(runner: CliRunner, tenant: TenantFixture,
                                                         tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    lines = [json.dumps({"type": "like", "event_id": f"l{n}", "occurred_at": "2026-11-11T12:00:00Z", "count": 2})
             for n in range(7000)]
    lines.insert(5001, '{"type": "like"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["import", "events", str(path), "--tenant", tenant.slug, "--session", str(tenant.session_id)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "accepted 7000" in first.output
    assert "5002" in first.output
    assert "malformed_json" in first.output
    second = runner.invoke(app, args)
    assert "accepted 0" in second.output
    assert "duplicates 7000" in second.output


def test_csv_import(runner: CliRunner, tenant: TenantFixture, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "type,event_id,occurred_at,viewer_id,order_id,sku_code,quantity,amount_fen,text\n"
        "order_paid,o1,2026-11-11T20:00:00+08:00,v1,A1,AF5,2,59800,\n"
        "comment,c1,2026-11-11T20:00:01+08:00,v2,,,,,\"能便宜点吗,亲\"\n"
        "order_paid,o2,2026-11-11T20:00:02+08:00,v3,A2,AF5,1,299.00,\n",
        encoding="utf-8")
    result = runner.invoke(app, ["import", "events", str(path), "--tenant", tenant.slug,
                                 "--session", str(tenant.session_id)])
    assert result.exit_code == 0, result.output
    assert "accepted 2" in result.output
    assert "amount_fen" in result.output
    assert "understood 1 comments" in result.output  # imported comments are understood right away
    unknown = runner.invoke(app, ["import", "events", str(path), "--tenant", "nobody", "--session", "1"])
    assert unknown.exit_code == 1
