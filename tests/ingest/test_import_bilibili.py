"""`livebridge import bilibili`: a real room end to end, its figures checked against the raw CSVs."""

from __future__ import annotations

import asyncio
import csv
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from livebridge.cli import app
from livebridge.config import get_settings
from tests.factories import TenantFixture

SHARED = Path(os.environ.get("LIVEBRIDGE_SHARED_DATA_DIR", Path(__file__).resolve().parents[3] / "shared" / "data"))
CAPTURES = SHARED / "bilibili-live-events-2021"
ROOM = "1370218"

pytestmark = pytest.mark.skipif(not CAPTURES.exists(), reason="the shared Bilibili captures are not here")


@pytest.fixture
def runner(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("LIVEBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("LIVEBRIDGE_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _rows(name: str) -> list[dict[str, str]]:
    with (CAPTURES / ROOM / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


async def test_one_real_room_imports_with_the_csv_figures(runner: CliRunner, client: httpx.AsyncClient,
                                                          tenant: TenantFixture, tmp_path: Path) -> None:
    captures = tmp_path / "captures"
    captures.mkdir()
    (captures / ROOM).symlink_to(CAPTURES / ROOM)
    (captures / "RoomIdInfo.csv").symlink_to(CAPTURES / "RoomIdInfo.csv")
    command = ["import", "bilibili", str(captures), "--tenant", tenant.slug]
    # The command runs its own event loop: give it a thread of its own.
    result = await asyncio.to_thread(runner.invoke, app, command)
    assert result.exit_code == 0, result.output
    again = await asyncio.to_thread(runner.invoke, app, command)
    assert again.exit_code == 0

    sessions = (await client.get("/api/v1/sessions", params={"platform": "bilibili"},
                                 headers=tenant.headers())).json()["items"]
    assert [s["platform_room_id"] for s in sessions] == [ROOM]
    figures = (await client.get(f"/api/v1/sessions/{sessions[0]['id']}/stats", headers=tenant.headers())).json()

    danmaku = _rows("danmaku.csv")
    per_minute = Counter(row["_ExactTime"][:5] for row in danmaku)
    online_peak = max(int(row["_content_data_count"]) for row in _rows("ONLINE_RANK_COUNT.csv"))
    # An entry banner (ENTRY_EFFECT) counts as an enter unless the same viewer's INTERACT_WORD enter
    # lies within 10 s of it (docs/bilibili-import.md).
    word_enters = [(row["_content_data_uid"], int(row["_content_data_trigger_time"]))
                   for row in _rows("INTERACT_WORD.csv") if row["_content_data_msg_type"] == "1"]
    banners = [(row["_content_data_uid"], int(row["_content_data_trigger_time"])) for row in _rows("ENTRY_EFFECT.csv")]
    lone_banners = sum(1 for uid, at in banners
                       if not any(u == uid and abs(t - at) <= 10 * 10**9 for u, t in word_enters))
    enters = len(word_enters) + lone_banners

    assert figures["totals"]["comments"] == len(danmaku)
    assert figures["totals"]["online_peak"] == online_peak
    assert figures["totals"]["enters"] == enters
    # Minutes are stored in UTC; the capture's clock is Beijing time (UTC+8).
    shown = {f"{(int(m['minute'][11:13]) + 8) % 24:02d}:{m['minute'][14:16]}": m["comments"]
             for m in figures["minutes"] if m["comments"]}
    assert shown == dict(per_minute)
