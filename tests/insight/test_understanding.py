"""Understanding a session's comments: every comment gets exactly one insight, whatever its text;
products are linked by link number, name, alias, SKU code or the explained product; re-runs add
nothing; a missing model leaves the comments waiting, says how to rebuild it, and they are
understood once the model is there."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from livebridge.db import Database
from livebridge.insight import service, understanding
from livebridge.insight.repository import InsightRepository
from livebridge.text import INTENTS, MAX_CHARS
from livebridge.text.models import resolve_model_dir
from tests.factories import embedded_queue_only
from tests.insight.conftest import T0, Room, comment, comment_count, insights_by_event, push


async def test_products_are_linked_by_number_name_alias_sku_and_time(
    client: httpx.AsyncClient, database: Database, room: Room
) -> None:
    minute = timedelta(minutes=1)
    cases = {
        # explicit mentions beat the product being explained (the fryer, T0 … T0+10 min)
        "number": ("2号链接多少钱", T0 + minute, room.heater_id, "link_number"),
        "chinese-number": ("二号链接还有货吗", T0 + minute, room.heater_id, "link_number"),
        "alias": ("小太阳费电吗 一晚上多少度", T0 + 2 * minute, room.heater_id, "name"),
        "name": ("暖风机H2和别家比怎么样", T0 + 2 * minute, room.heater_id, "name"),
        "sku": (f"{room.heater_sku.lower()} 有黑色吗", T0 + 2 * minute, room.heater_id, "name"),
        "sku-upper-fullwidth": (f"{room.heater_sku.replace('H', 'Ｈ')}还有吗", T0 + 2 * minute, room.heater_id, "name"),
        # no explicit mention: the product on screen
        "explained": ("这个好用吗", T0 + 3 * minute, room.fryer_id, "explaining"),
        "link-not-on-shelf": ("9号链接怎么拍", T0 + 3 * minute, room.fryer_id, "explaining"),
        "date-not-link": ("3号发货吗", T0 + 4 * minute, room.fryer_id, "explaining"),
        "segment-end-is-exclusive": ("主播好漂亮", T0 + 10 * minute, None, None),
        "before-any-segment": ("这个好用吗", T0 - minute, None, None),
        "after-segment-alias": ("炸锅能烤红薯吗", T0 + 30 * minute, room.fryer_id, "name"),
        "sku-inside-longer-code": (f"{room.heater_sku}9 是什么", T0 + 30 * minute, None, None),
    }
    assert await push(client, room.tenant, [comment(key, text, at) for key, (text, at, _, _) in cases.items()]) == len(
        cases)
    await service.catch_up(database, room.tenant.session_id)  # in the scale-out run a worker may get there first
    insights = await insights_by_event(database, room.tenant.session_id)
    assert len(insights) == len(cases)
    for key, (_, _, product, rule) in cases.items():
        assert (insights[key].product_id, insights[key].product_link) == (product, rule), key


async def test_every_comment_gets_one_insight_even_empty_long_or_binary(
    client: httpx.AsyncClient, database: Database, room: Room
) -> None:
    texts = {
        "empty": "",
        "spaces": "   \t ",
        "long": "尺码偏大吗" * 2_000,  # 10,000 characters
        "binary": "\x01\x02\x1b[0m\ufffd\x7f\u200b",  # no NUL: PostgreSQL text columns cannot store it
        "symbols": "？？？！！！",
        "mixed": "這件ＸＬ多少錢 size guide please 😍",
        "spam": "加v看主页 领红包 13812345678",
    }
    events = [comment(key, text, T0 + timedelta(seconds=i)) for i, (key, text) in enumerate(texts.items())]
    accepted = await push(client, room.tenant, events)
    await service.catch_up(database, room.tenant.session_id)
    insights = await insights_by_event(database, room.tenant.session_id)
    assert len(insights) == accepted == await comment_count(database, room.tenant.session_id)
    assert {insights[key].intent for key in ("empty", "spaces", "symbols")} == {"unknown"}
    assert insights["binary"].intent in {"unknown", "chitchat", "spam"}  # "[0m" is left of the escape code
    assert insights["long"].intent in INTENTS
    assert len(insights["long"].normalized) <= MAX_CHARS
    assert insights["mixed"].normalized.startswith("这件xl多少钱")
    assert insights["spam"].intent == "spam"
    assert "<PHONE>" in insights["spam"].normalized


@embedded_queue_only
async def test_running_again_adds_nothing_and_new_comments_continue_from_the_cursor(
    client: httpx.AsyncClient, database: Database, room: Room
) -> None:
    batch = [comment(f"a{i}", f"{i}号链接有红色吗", T0 + timedelta(seconds=i)) for i in range(30)]
    await push(client, room.tenant, batch)
    first = await service.catch_up(database, room.tenant.session_id)
    again = await service.catch_up(database, room.tenant.session_id)
    assert (first.understood, again.understood) == (30, 0)
    await push(client, room.tenant, [comment("b1", "质量怎么样", T0)])
    assert (await service.catch_up(database, room.tenant.session_id)).understood == 1
    async with database.transaction(write=False) as session:
        missing = await InsightRepository(session).dangerously_comments_without_insight(
            room.tenant.session_id, 0, 10**12)
    assert missing == []
    assert len(await insights_by_event(database, room.tenant.session_id)) == 31


@embedded_queue_only
async def test_a_missing_model_leaves_comments_waiting_and_says_how_to_rebuild(
    client: httpx.AsyncClient, database: Database, room: Room, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(understanding, "RETRY_SECONDS", 0.0)
    model_dir = tmp_path / "models"
    without_model = Database(database.settings.model_copy(update={"model_dir": model_dir}))
    try:
        await push(client, room.tenant, [comment(f"m{i}", "160斤穿什么码", T0) for i in range(5)])
        result = await service.catch_up(without_model, room.tenant.session_id)
        assert result.understood == 0
        assert result.error is not None
        assert "livebridge nlp train" in result.error
        assert "livebridge nlp train" in caplog.text
        assert await insights_by_event(database, room.tenant.session_id) == {}
        assert room.tenant.session_id in await service.sessions_to_sweep(database)
        async with database.transaction(write=False) as session:
            status = await service.understanding_status(session, room.tenant.subject, room.tenant.session_id, model_dir)
        assert not status.available
        assert status.rebuild_command == "livebridge nlp train"

        shutil.copytree(resolve_model_dir() / "text", model_dir / "text")  # someone ran the rebuild
        assert (await service.catch_up(without_model, room.tenant.session_id)).understood == 5
        async with database.transaction(write=False) as session:
            status = await service.understanding_status(session, room.tenant.subject, room.tenant.session_id, model_dir)
        assert status.available
    finally:
        await without_model.dispose()


@embedded_queue_only
async def test_a_corrupt_model_is_reported_too(
    client: httpx.AsyncClient, database: Database, room: Room, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(understanding, "RETRY_SECONDS", 0.0)
    model_dir = tmp_path / "models"
    shutil.copytree(resolve_model_dir() / "text", model_dir / "text")
    (model_dir / "text" / "weights.npz").write_bytes(b"not a zip file")
    corrupt = Database(database.settings.model_copy(update={"model_dir": model_dir}))
    try:
        await push(client, room.tenant, [comment("c1", "好用吗", T0)])
        result = await service.catch_up(corrupt, room.tenant.session_id)
        assert result.understood == 0
        assert result.error is not None
        assert "cannot be used" in result.error
        assert "livebridge nlp train" in result.error
    finally:
        await corrupt.dispose()
