"""The Bilibili capture reader: hand-made CSVs for each rule, then the real 2021 captures checked
against figures computed here straight from the CSV files (so a mapping bug cannot hide)."""

from __future__ import annotations

import csv
import hashlib
import os
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest

from livebridge.ingest.bilibili import BrokenLine, RoomImport, read_all, read_room
from livebridge.ingest.schemas import (
    Comment,
    Enter,
    EventType,
    Follow,
    Gift,
    LiveEvent,
    OnlineCount,
    Share,
    decode_event,
    encode,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
SHARED_DATA = Path(os.environ.get("LIVEBRIDGE_SHARED_DATA_DIR") or Path(__file__).resolve().parents[3] / "shared/data")
CAPTURES = SHARED_DATA / "bilibili-live-events-2021"

DANMAKU = """\
_DeltaTime,_ExactTime,_Date,_color,_content,_name,_msg_type,
14.32,19:34:57,2021.12.30,54eed8,开门,近卫の扇,danmaku,
15.00,19:34:58,2021.12.30,ffffff,好,的,吧,观众甲,danmaku,
16.00,19:34:59,2021.12.30,ffffff,第一行
第二行,观众乙,danmaku,
17.00,19:35:00,2021.12.30,ffffff,开门,近卫の扇,danmaku,
17.00,19:35:00,2021.12.30,ffffff,开门,近卫の扇,danmaku,
18.00,19:35:01,2021.12.30,ffffff,截断
19.00,19:35:02,2021.12.30,ffffff,"引号开头,观众丙,danmaku,
20.00,19:35:03,2021.12.30,ffffff,x,观众丙,other,
"""
INTERACT_WORD = """\
_DeltaTime,_ExactTime,_Date,_content_cmd,_content_data_uname,_content_data_uid,_content_data_trigger_time,\
_content_data_timestamp,_content_data_msg_type,_content_data_identities,_content_data_fans_medal_medal_name,_msg_type,
2.64,19:34:45,2021.12.30,INTERACT_WORD,blutgott,1001,1640864082317509600,1640864083,1,[3, 1],抱抱家,other,
5.39,19:34:48,2021.12.30,INTERACT_WORD,观众乙,1002,1640864085024980700,1640864086,2,[1],,other,
6.00,19:34:49,2021.12.30,INTERACT_WORD,观众丙,1003,1640864086000000000,1640864087,3,[1],,other,
7.00,19:34:50,2021.12.30,INTERACT_WORD,观众丁,1004,1640864087000000000,1640864088,7,[1],,other,
8.00,19:34:51,2021.12.30,INTERACT_WORD,无名,0,1640864088000000000,1640864089,1,[1],,other,
"""
ENTRY_EFFECT = """\
_DeltaTime,_ExactTime,_Date,_content_cmd,_content_data_copy_writing,_content_data_trigger_time,_content_data_uid,_msg_type,
3.00,19:34:46,2021.12.30,ENTRY_EFFECT,欢迎 <%blutgott%> 进入直播间,1640864085317509600,1001,other,
90.00,19:36:12,2021.12.30,ENTRY_EFFECT,欢迎舰长 <%舰长甲%> 进入直播间,1640864170500000000,2001,other,
"""
SEND_GIFT = """\
_DeltaTime,_ExactTime,_Date,_content_cmd,_content_data_uname,_content_data_uid,_content_data_total_coin,\
_content_data_timestamp,_content_data_tid,_content_data_rnd,_content_data_num,_content_data_giftName,\
_content_data_coin_type,_content_data_batch_combo_id,_msg_type,
21.07,19:35:03,2021.12.30,SEND_GIFT,近卫の扇,1001,1000,1640864103,1640864103110000004,1640864103110000004,10,牛哇牛哇,gold,b1,gift,
22.00,19:35:04,2021.12.30,SEND_GIFT,观众乙,1002,200,1640864104,1640864104110000001,1640864104110000001,2,辣条,silver,b2,gift,
23.00,19:35:05,2021.12.30,SEND_GIFT,观众丙,1003,15,1640864105,0,555,1,半分,gold,b3,gift,
24.00,19:35:06,2021.12.30,SEND_GIFT,观众丁,1004,100,1640864106,1640864106110000009,0,1,钻石,diamond,b4,gift,
"""
COMBO_SEND = """\
_DeltaTime,_ExactTime,_Date,_content_cmd,_content_data_uid,_content_data_gift_name,_content_data_combo_total_coin,\
_content_data_batch_combo_id,_msg_type,
43.70,19:35:26,2021.12.30,COMBO_SEND,1001,牛哇牛哇,1000,b1,other,
44.70,19:35:27,2021.12.30,COMBO_SEND,1009,牛哇牛哇,1000,b9,other,
"""
ONLINE_RANK_COUNT = """\
_DeltaTime,_ExactTime,_Date,_content_cmd,_content_data_count,_msg_type,
3.67,19:34:46,2021.12.30,ONLINE_RANK_COUNT,3773,other,
8.99,19:34:51,2021.12.30,ONLINE_RANK_COUNT,3780,other,
14.01,19:34:56,2021.12.30,ONLINE_RANK_COUNT,3775,other,
"""
PREPARING = """\
_DeltaTime,_ExactTime,_Date,_content_cmd,_content_roomid,_msg_type,
924.96,19:50:07,2021.12.30,PREPARING,123,other,
"""
WIDGET_BANNER = """\
_DeltaTime,_ExactTime,_Date,_content_cmd,_content_data_list,_msg_type,
1.00,19:34:44,2021.12.30,WIDGET_BANNER,[{'a': 1}, {'b': 2}],other,
"""


def write_room(data_dir: Path, room_id: int, files: dict[str, str]) -> Path:
    room_dir = data_dir / str(room_id)
    room_dir.mkdir(parents=True)
    for name, text in files.items():
        (room_dir / name).write_text(text, encoding="utf-8")
    return room_dir


@pytest.fixture
def sample_room(tmp_path: Path) -> Path:
    (tmp_path / "RoomIdInfo.csv").write_text("123,测试主播,测试分类\n", encoding="utf-8")
    return write_room(tmp_path, 123, {
        "danmaku.csv": DANMAKU,
        "INTERACT_WORD.csv": INTERACT_WORD,
        "ENTRY_EFFECT.csv": ENTRY_EFFECT,
        "SEND_GIFT.csv": SEND_GIFT,
        "COMBO_SEND.csv": COMBO_SEND,
        "ONLINE_RANK_COUNT.csv": ONLINE_RANK_COUNT,
        "PREPARING.csv": PREPARING,
        "WIDGET_BANNER.csv": WIDGET_BANNER,
    })


def at(clock: str, microsecond: int = 0) -> datetime:
    hour, minute, second = map(int, clock.split(":"))
    return datetime(2021, 12, 30, hour, minute, second, microsecond, tzinfo=SHANGHAI)


EventT = TypeVar("EventT", bound=LiveEvent)


def of_type(room: RoomImport, event_class: type[EventT]) -> list[EventT]:
    return [event for event in room.events if isinstance(event, event_class)]


def test_danmaku_rows_become_comments_with_broken_lines_rejoined_or_reported(sample_room: Path) -> None:
    room = read_room(sample_room)

    comments = of_type(room, Comment)
    assert [comment.text for comment in comments] == ["开门", "好,的,吧", "第一行\n第二行", "开门", "开门", '"引号开头']
    assert comments[0].occurred_at == at("19:34:57")
    assert comments[0].viewer_id == comments[3].viewer_id == "bili-name:" + _sha1_prefix("近卫の扇")
    assert comments[1].viewer_id != comments[0].viewer_id
    assert all("近卫" not in comment.viewer_id and "近卫" not in comment.event_id for comment in comments)
    assert comments[3].event_id != comments[4].event_id  # identical rows stay two comments
    assert room.rejoined_rows["danmaku.csv"] == 2
    assert [line for line in room.broken_lines if line.file == "danmaku.csv"] == [
        BrokenLine("danmaku.csv", 8, "5 fields where the header has 8"),
        BrokenLine("danmaku.csv", 10, "danmaku: _msg_type is 'other', not 'danmaku'"),
    ]


def test_interactions_map_by_msg_type_with_the_platform_time(sample_room: Path) -> None:
    room = read_room(sample_room)

    enters = of_type(room, Enter)
    assert enters[0].viewer_id == "bili:1001"
    assert enters[0].occurred_at == at("19:34:42", 317509)  # trigger_time, not the poll time 19:34:45
    assert enters[0].event_id == "bili:123:iw:1001:1640864083:1"
    assert of_type(room, Follow)[0].viewer_id == "bili:1002"
    assert of_type(room, Share)[0].viewer_id == "bili:1003"
    assert room.rejoined_rows["INTERACT_WORD.csv"] == 1  # the `[3, 1]` identities list
    unmapped = {(item.file, item.cmd): item.rows for item in room.unmapped}
    assert unmapped["INTERACT_WORD.csv", "INTERACT_WORD msg_type=7"] == 1
    assert BrokenLine("INTERACT_WORD.csv", 6, "INTERACT_WORD: uid '0' is not a Bilibili user id") in room.broken_lines


def test_entry_effects_are_enters_unless_the_same_entry_came_as_interact_word(sample_room: Path) -> None:
    room = read_room(sample_room)

    assert [enter.viewer_id for enter in of_type(room, Enter)] == ["bili:1001", "bili:2001"]
    assert of_type(room, Enter)[1].occurred_at == at("19:36:10", 500000)
    unmapped = {(item.file, item.cmd): item.rows for item in room.unmapped}
    assert unmapped["ENTRY_EFFECT.csv", "ENTRY_EFFECT"] == 1


def test_gifts_are_valued_in_fen_from_gold_coins_and_silver_is_free(sample_room: Path) -> None:
    room = read_room(sample_room)

    gifts = of_type(room, Gift)
    assert [(gift.gift_name, gift.quantity, gift.value_fen) for gift in gifts] == [
        ("牛哇牛哇", 10, 100),  # 1000 gold = ¥1
        ("辣条", 2, 0),
        ("半分", 1, 2),  # 15 gold = 1.5 fen, half rounds up
    ]
    assert gifts[0].event_id == "bili:123:gift:1640864103110000004"
    assert gifts[2].event_id == "bili:123:gift:555"  # tid 0: the rnd
    assert gifts[0].occurred_at == at("19:35:03")
    assert gifts[0].viewer_id == "bili:1001"
    assert room.gift_value_fen == 102
    reasons = {item.cmd: item.reason for item in room.unmapped}
    assert reasons["SEND_GIFT coin_type=diamond"] == "unknown coin type: value unknown"
    assert "1 of 2 have no SEND_GIFT row" in reasons["COMBO_SEND"]


def test_online_counts_and_the_room_report(sample_room: Path) -> None:
    room = read_room(sample_room)

    assert [(event.occurred_at, event.count) for event in of_type(room, OnlineCount)] == [
        (at("19:34:46"), 3773), (at("19:34:51"), 3780), (at("19:34:56"), 3775)
    ]
    assert room.peak_online_count == 3780
    assert (room.room_id, room.streamer, room.category) == (123, "测试主播", "测试分类")
    assert room.counts == {
        EventType.ENTER: 2, EventType.COMMENT: 6, EventType.GIFT: 3, EventType.FOLLOW: 1, EventType.SHARE: 1,
        EventType.ONLINE_COUNT: 3,
    }
    assert room.first_event_at == at("19:34:42", 317509)
    assert room.last_event_at == at("19:36:10", 500000)
    assert [event.occurred_at for event in room.events] == sorted(event.occurred_at for event in room.events)
    unmapped = {(item.file, item.cmd): item for item in room.unmapped}
    assert unmapped["PREPARING.csv", "PREPARING"].rows == 1
    assert unmapped["WIDGET_BANNER.csv", "WIDGET_BANNER"].reason == "no mapping for this cmd"
    assert room.duplicate_rows == {}


def test_every_event_is_valid_on_the_wire(sample_room: Path) -> None:
    for event in read_room(sample_room).events:
        assert decode_event(encode(event)) == event
        assert event.source == "bilibili"
        assert event.is_simulated is False


def test_reading_twice_gives_the_same_ids(sample_room: Path) -> None:
    first, second = read_room(sample_room), read_room(sample_room)

    assert [event.event_id for event in first.events] == [event.event_id for event in second.events]
    assert first.events == second.events
    assert len({event.event_id for event in first.events}) == len(first.events)


def test_rows_without_any_time_are_reported_not_guessed(tmp_path: Path) -> None:
    room_dir = write_room(tmp_path, 545342, {
        "ONLINE_RANK_COUNT.csv": "_content_cmd,_content_data_count,_msg_type,\n"
                                 "ONLINE_RANK_COUNT,9999,other,\nONLINE_RANK_COUNT,10005,other,\n",
    })

    room = read_room(room_dir)

    assert room.events == []
    assert room.streamer is None
    assert [(item.cmd, item.rows) for item in room.unmapped] == [("ONLINE_RANK_COUNT", 2)]


def test_read_all_takes_every_room_folder_in_id_order(tmp_path: Path) -> None:
    write_room(tmp_path, 900, {"ONLINE_RANK_COUNT.csv": ONLINE_RANK_COUNT})
    write_room(tmp_path, 45, {"ONLINE_RANK_COUNT.csv": ONLINE_RANK_COUNT})
    (tmp_path / "notes").mkdir()

    assert [room.room_id for room in read_all(tmp_path)] == [45, 900]


def _sha1_prefix(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]


# ---- The real captures, against figures computed here with the csv module ----------------------------


@pytest.fixture(scope="module")
def real_rooms() -> dict[int, RoomImport]:
    if not CAPTURES.is_dir():
        pytest.skip(f"{CAPTURES} not found (set LIVEBRIDGE_SHARED_DATA_DIR)")
    return {room.room_id: room for room in read_all(CAPTURES)}


def csv_rows(path: Path) -> list[dict[str, str]]:
    """Rows keyed by header; the columns read here all come before any column that may hold commas."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


def test_all_rooms_are_read_and_no_line_is_broken(real_rooms: dict[int, RoomImport]) -> None:
    folders = {int(path.name) for path in CAPTURES.iterdir() if path.is_dir()}
    assert set(real_rooms) == folders
    assert all(room.broken_lines == [] and room.duplicate_rows == {} for room in real_rooms.values())


def test_comments_per_minute_match_the_danmaku_files(real_rooms: dict[int, RoomImport]) -> None:
    for room_id, room in real_rooms.items():
        expected = Counter(f"{row['_Date']} {row['_ExactTime'][:5]}" for row in csv_rows(
            CAPTURES / str(room_id) / "danmaku.csv"))
        mapped = Counter(f"{comment.occurred_at.astimezone(SHANGHAI):%Y.%m.%d %H:%M}"
                         for comment in of_type(room, Comment))
        assert mapped == expected, room_id
    assert sum(len(of_type(room, Comment)) for room in real_rooms.values()) == 315


def test_peak_online_rank_count_matches_each_room(real_rooms: dict[int, RoomImport]) -> None:
    for room_id, room in real_rooms.items():
        rows = csv_rows(CAPTURES / str(room_id) / "ONLINE_RANK_COUNT.csv")
        if rows and "_ExactTime" in rows[0]:
            assert room.peak_online_count == max(int(row["_content_data_count"]) for row in rows), room_id
            assert len(of_type(room, OnlineCount)) == len(rows)
        else:  # 545342 recorded no time for these rows
            assert room.peak_online_count is None
            unmapped = {item.cmd: item.rows for item in room.unmapped}
            assert unmapped.get("ONLINE_RANK_COUNT", 0) == len(rows), room_id
    assert real_rooms[1370218].peak_online_count == 4023


def test_enters_follows_and_shares_match_interact_word_and_entry_effect(real_rooms: dict[int, RoomImport]) -> None:
    for room_id, room in real_rooms.items():
        interactions = csv_rows(CAPTURES / str(room_id) / "INTERACT_WORD.csv")
        by_type = Counter(row["_content_data_msg_type"] for row in interactions)
        enter_times: defaultdict[str, list[int]] = defaultdict(list)
        for row in interactions:
            if row["_content_data_msg_type"] == "1":
                enter_times[row["_content_data_uid"]].append(int(row["_content_data_trigger_time"]))
        banners = csv_rows(CAPTURES / str(room_id) / "ENTRY_EFFECT.csv")
        banner_only = [
            row for row in banners
            if not any(abs(int(row["_content_data_trigger_time"]) - t) <= 10 * 10**9
                       for t in enter_times[row["_content_data_uid"]])
        ]
        assert len(of_type(room, Enter)) == by_type["1"] + len(banner_only), room_id
        assert len(of_type(room, Follow)) == by_type["2"], room_id
        assert len(of_type(room, Share)) == by_type["3"], room_id
        assert {enter.viewer_id for enter in of_type(room, Enter)} == (
            {f"bili:{row['_content_data_uid']}" for row in interactions if row["_content_data_msg_type"] == "1"}
            | {f"bili:{row['_content_data_uid']}" for row in banner_only}
        )
    assert len(of_type(real_rooms[545342], Enter)) == 25251


def test_gift_counts_and_values_match_send_gift(real_rooms: dict[int, RoomImport]) -> None:
    for room_id, room in real_rooms.items():
        rows = [row for path in sorted((CAPTURES / str(room_id)).glob("SEND_GIFT*.csv")) for row in csv_rows(path)]
        gold = [int(row["_content_data_total_coin"]) for row in rows if row["_content_data_coin_type"] == "gold"]
        assert len(of_type(room, Gift)) == len(rows), room_id
        assert room.gift_value_fen * 10 == sum(gold), room_id  # every gold total is a whole fen here
        assert sum(gift.quantity for gift in of_type(room, Gift)) == sum(int(row["_content_data_num"]) for row in rows)
    assert real_rooms[545342].gift_value_fen == 50580


def test_combo_send_is_reported_with_how_many_lack_a_send_gift(real_rooms: dict[int, RoomImport]) -> None:
    room_dir = CAPTURES / "545342"
    batches = {row["_content_data_batch_combo_id"] for path in room_dir.glob("SEND_GIFT*.csv")
               for row in csv_rows(path)}
    combos = csv_rows(room_dir / "COMBO_SEND.csv")
    lacking = sum(row["_content_data_batch_combo_id"] not in batches for row in combos)
    combo = next(item for item in real_rooms[545342].unmapped if item.cmd == "COMBO_SEND")
    assert combo.rows == len(combos)
    assert f"{lacking} of {len(combos)} have no SEND_GIFT row" in combo.reason


def test_real_events_are_ordered_pseudonymous_and_valid(real_rooms: dict[int, RoomImport]) -> None:
    viewer_id = re.compile(r"bili:[1-9]\d*|bili-name:[0-9a-f]{16}")
    event_id = re.compile(r"bili:\d+:(dm|iw|ee|gift|orc):[0-9A-Za-z:\-]+")
    for room in real_rooms.values():
        times = [event.occurred_at for event in room.events]
        assert times == sorted(times)
        assert all(time.utcoffset() == timedelta(hours=8) for time in times)
        assert all(event_id.fullmatch(event.event_id) for event in room.events)
        assert all(viewer_id.fullmatch(event.viewer_id) for event in room.events if event.viewer_id)
        assert len({event.event_id for event in room.events}) == len(room.events)
    sample = real_rooms[1370218].events[:500]
    assert [decode_event(encode(event)) for event in sample] == sample
