"""``livebridge scorecards rank`` and ``export`` on the hand-made world."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from livebridge.cli import app
from livebridge.config import get_settings
from tests.scorecards.conftest import World


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("LIVEBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("LIVEBRIDGE_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


async def test_rank_and_export_commands(world: World, cli: CliRunner, tmp_path: Path) -> None:
    period = ["--from", "2026-08-01", "--to", "2026-08-31"]
    ranked = await asyncio.to_thread(
        cli.invoke, app, ["scorecards", "rank", "--tenant", world.tenant.slug, *period, "--json"])
    assert ranked.exit_code == 0, ranked.output
    items = json.loads(ranked.output)["items"]
    assert [(i["host_name"], i["net_gmv_fen"]) for i in items] == [("小暖", 20_000), ("阿杰说家电", 8_000)]
    table = await asyncio.to_thread(cli.invoke, app, ["scorecards", "rank", "--tenant", world.tenant.slug, *period])
    assert "小暖" in table.output
    out = tmp_path / "cards.xlsx"
    exported = await asyncio.to_thread(
        cli.invoke, app, ["scorecards", "export", "--tenant", world.tenant.slug, "--out", str(out), *period])
    assert exported.exit_code == 0, exported.output
    assert load_workbook(out)["主播排名"]["B2"].value == "小暖"
    reversed_ = await asyncio.to_thread(
        cli.invoke, app, ["scorecards", "rank", "--tenant", world.tenant.slug, "--from", "2026-09-01",
                          "--to", "2026-08-01"])
    assert reversed_.exit_code == 1
    assert "period_reversed" in reversed_.output
