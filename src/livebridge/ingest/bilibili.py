"""Read the 2021 Bilibili live captures (one folder of CSV files per room) as our live events.

Each ``<room id>/`` folder holds one CSV per Bilibili message ``cmd`` (``danmaku.csv`` for comments,
``SEND_GIFT.2.csv`` for a second layout of the same cmd). The collector wrote the CSVs without any
quoting, so a comma or a newline inside a value splits it; rows are read by hand and such values
are joined back where the file has one column that can hold them. The mapping, time, value and id
rules are in docs/bilibili-import.md.

Run ``python -m livebridge.ingest.bilibili <data dir>`` to print the per-room report.
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo

import msgspec

from livebridge.ingest.schemas import (
    MAX_COMMENT_CHARS,
    Comment,
    Enter,
    EventType,
    Follow,
    Gift,
    Like,
    LiveEvent,
    OnlineCount,
    Share,
)

__all__ = [
    "SOURCE",
    "BrokenLine",
    "RoomImport",
    "RoomInfo",
    "UnmappedRows",
    "read_all",
    "read_room",
    "read_room_info",
]

SOURCE: Final = "bilibili"
CAPTURE_TIME_ZONE: Final = ZoneInfo("Asia/Shanghai")
ROOM_INFO_FILE: Final = "RoomIdInfo.csv"
GOLD_COINS_PER_FEN: Final = 10  # 1000 gold coins (金瓜子) = ¥1 = 100 fen
# An ENTRY_EFFECT this close to an INTERACT_WORD enter of the same viewer is the same entry.
ENTRY_EFFECT_SAME_ENTRY: Final = timedelta(seconds=10)

_INTERACTION_EVENTS: Final[Mapping[str, type[Enter | Follow | Share | Like]]] = {
    "1": Enter,
    "2": Follow,
    "3": Share,
    "4": Follow,  # special follow (特别关注)
    "5": Follow,  # mutual follow (互相关注)
    "6": Like,
}
_UNMAPPED_REASONS: Final = {
    "ONLINE_RANK_V2": "gold-rank snapshot: the top contributors by score, not a viewer action",
    "ROOM_REAL_TIME_MESSAGE_UPDATE": "room totals (followers, fan club size); no event type for room-level totals",
    "PREPARING": "the stream stopped (room back to 'preparing'); no stream-end event type",
    "ANCHOR_LOT_START": "the streamer's lottery (天选时刻) opened; no event type",
    "ANCHOR_LOT_END": "the streamer's lottery closed; no event type",
    "ANCHOR_LOT_AWARD": "the streamer's lottery winners; no event type",
}
_NO_MAPPING: Final = "no mapping for this cmd"
_NO_TIME_COLUMN: Final = "no time column in this capture (neither _ExactTime nor a platform timestamp)"
_TRIGGER_TIME: Final = "_content_data_trigger_time"  # nanoseconds since the epoch
_TIMESTAMP: Final = "_content_data_timestamp"  # seconds since the epoch
_POLL_ROW_START: Final = re.compile(r"\d+(?:\.\d+)?,\d\d:\d\d:\d\d,\d{4}\.\d\d\.\d\d,")


@dataclass(frozen=True, slots=True)
class RoomInfo:
    streamer: str
    category: str


@dataclass(frozen=True, slots=True)
class BrokenLine:
    """A row that could not be read; ``line`` is the 1-based physical line in ``file`` (header = 1)."""

    file: str
    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class UnmappedRows:
    file: str
    cmd: str
    rows: int
    reason: str


@dataclass(slots=True)
class RoomImport:
    """One room's events in time order, and what was left out and why."""

    room_id: int
    streamer: str | None
    category: str | None
    events: list[LiveEvent]
    unmapped: list[UnmappedRows]
    broken_lines: list[BrokenLine]
    rejoined_rows: dict[str, int]  # per file: rows whose value held commas or newlines
    duplicate_rows: dict[str, int]  # per file: rows giving the event_id of an earlier row

    @property
    def first_event_at(self) -> datetime | None:
        return self.events[0].occurred_at if self.events else None

    @property
    def last_event_at(self) -> datetime | None:
        return self.events[-1].occurred_at if self.events else None

    @property
    def counts(self) -> dict[EventType, int]:
        counter = Counter(EventType(str(event.__struct_config__.tag)) for event in self.events)
        return {event_type: counter[event_type] for event_type in EventType if counter[event_type]}

    @property
    def gift_value_fen(self) -> int:
        return sum(event.value_fen for event in self.events if isinstance(event, Gift))

    @property
    def peak_online_count(self) -> int | None:
        return max((event.count for event in self.events if isinstance(event, OnlineCount)), default=None)


def read_all(data_dir: Path) -> list[RoomImport]:
    """Every ``<room id>/`` folder of ``data_dir``, by room id."""
    room_info = read_room_info(data_dir / ROOM_INFO_FILE)
    room_dirs = [path for path in data_dir.iterdir() if path.is_dir() and path.name.isdigit()]
    return [read_room(room_dir, room_info) for room_dir in sorted(room_dirs, key=lambda path: int(path.name))]


def read_room_info(path: Path) -> dict[int, RoomInfo]:
    """``RoomIdInfo.csv``: ``room id, streamer, category`` without a header; empty when absent."""
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as file:
        return {
            int(row[0]): RoomInfo(streamer=row[1], category=row[2])
            for row in csv.reader(file)
            if len(row) >= 3 and row[0].isdigit()
        }


def read_room(room_dir: Path, room_info: Mapping[int, RoomInfo] | None = None) -> RoomImport:
    """Map one room folder; ``room_info`` defaults to the ``RoomIdInfo.csv`` next to the folder."""
    room_id = int(room_dir.name)
    if room_info is None:
        room_info = read_room_info(room_dir.parent / ROOM_INFO_FILE)
    info = room_info.get(room_id)
    reader = _RoomReader(room_id)
    for path in sorted(room_dir.glob("*.csv")):
        reader.read_file(path)
    return reader.finish(streamer=info.streamer if info else None, category=info.category if info else None)


class _RowError(Exception):
    """A row that cannot become an event; the message says why."""


@dataclass(frozen=True, slots=True)
class _Unmapped:
    cmd: str
    reason: str


@dataclass(frozen=True, slots=True)
class _CommaColumn:
    """The one column of a file whose values may hold commas (and newlines) the collector did not quote."""

    name: str
    is_list: bool  # a Python list repr such as ``[3, 1]``: must still look like one once joined


_COMMA_COLUMNS: Final = {
    "danmaku": _CommaColumn("_content", is_list=False),
    "INTERACT_WORD": _CommaColumn("_content_data_identities", is_list=True),
}


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    values: dict[str, str]
    rejoined: bool


@dataclass(slots=True)
class _Capture:
    """One CSV file split into rows."""

    header: list[str]
    rows: list[_Row] = field(default_factory=list)
    broken: list[BrokenLine] = field(default_factory=list)


def _physical_lines(path: Path) -> list[str]:
    # Split by hand, not with the csv module: nothing is quoted, so a `"` is plain text and must
    # not start a quoted field that would swallow the lines after it.
    lines = path.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _count_rows(path: Path, cmd: str) -> int:
    """Rows of a file that is not mapped: its lines that start a row (values are not checked)."""
    lines = _physical_lines(path)
    if not lines:
        return 0
    starts_row = _row_start_test(lines[0].split(","), cmd)
    return sum(1 for line in lines[1:] if line and starts_row(line))


def _read_capture(path: Path, cmd: str) -> _Capture:
    lines = _physical_lines(path)
    if not lines:
        return _Capture(header=[])
    capture = _Capture(header=lines[0].split(","))
    width = len(capture.header)
    comma_column = _COMMA_COLUMNS.get(cmd)
    comma_index = -1
    if comma_column and comma_column.name in capture.header:
        comma_index = capture.header.index(comma_column.name)
    starts_row = _row_start_test(capture.header, cmd)
    index = 1
    while index < len(lines):
        line_number = index + 1
        fields = lines[index].split(",")
        index += 1
        rejoined = False
        # A newline inside a value: the rest of the row is on the next line(s).
        while len(fields) < width and index < len(lines) and not starts_row(lines[index]):
            continuation = lines[index].split(",")
            fields[-1] += "\n" + continuation[0]
            fields.extend(continuation[1:])
            index += 1
            rejoined = True
        surplus = len(fields) - width
        if surplus > 0 and comma_column and comma_index >= 0:
            joined = ",".join(fields[comma_index : comma_index + surplus + 1])
            if not comma_column.is_list or (joined.startswith("[") and joined.endswith("]")):
                fields[comma_index : comma_index + surplus + 1] = [joined]
                rejoined = True
        if len(fields) != width:
            reason = f"{len(fields)} fields where the header has {width}"
            capture.broken.append(BrokenLine(path.name, line_number, reason))
            continue
        capture.rows.append(_Row(line_number, dict(zip(capture.header, fields, strict=True)), rejoined))
    return capture


def _row_start_test(header: list[str], cmd: str) -> Callable[[str], bool]:
    """Tells a row's first line from the continuation of a value that held a newline."""
    if header and header[0] == "_DeltaTime":
        return lambda line: _POLL_ROW_START.match(line) is not None
    if header and header[0] == "_content_cmd":
        return lambda line: line.startswith(cmd + ",")
    return lambda line: True  # unknown layout: never join lines


_Mapper = Callable[[Mapping[str, str]], LiveEvent | _Unmapped]


@dataclass(frozen=True, slots=True)
class _FileMapping:
    mapper: _Mapper
    platform_time_columns: tuple[str, ...] = ()  # preferred over the poll time (_Date + _ExactTime)

    def has_time(self, header: list[str]) -> bool:
        return "_ExactTime" in header or any(column in header for column in self.platform_time_columns)


@dataclass(frozen=True, slots=True)
class _Mapped:
    event: LiveEvent
    file_order: int
    line: int
    file: str


class _RoomReader:
    def __init__(self, room_id: int) -> None:
        self.room_id = room_id
        self.mapped: list[_Mapped] = []
        self.unmapped: Counter[tuple[str, str, str]] = Counter()  # (file, cmd, reason) → rows
        self.broken: list[BrokenLine] = []
        self.rejoined: Counter[str] = Counter()
        self.occurrences: Counter[str] = Counter()
        self.gift_batches: set[str] = set()
        self.combo_captures: list[tuple[str, _Capture]] = []
        self.files_read = 0
        self.mappings = {
            "danmaku": _FileMapping(self._comment),
            "INTERACT_WORD": _FileMapping(self._interaction, (_TRIGGER_TIME, _TIMESTAMP)),
            "ENTRY_EFFECT": _FileMapping(self._entry_effect, (_TRIGGER_TIME,)),
            "SEND_GIFT": _FileMapping(self._gift, (_TIMESTAMP,)),
            "ONLINE_RANK_COUNT": _FileMapping(self._online_count),
        }

    def read_file(self, path: Path) -> None:
        cmd = path.name.split(".", 1)[0]
        self.files_read += 1
        mapping = self.mappings.get(cmd)
        if mapping is None and cmd != "COMBO_SEND":
            self.unmapped[path.name, cmd, _UNMAPPED_REASONS.get(cmd, _NO_MAPPING)] += _count_rows(path, cmd)
            return
        capture = _read_capture(path, cmd)
        self.broken.extend(capture.broken)
        self.rejoined[path.name] += sum(row.rejoined for row in capture.rows)
        if mapping is None:
            self.combo_captures.append((path.name, capture))  # judged once every SEND_GIFT is read
        elif not mapping.has_time(capture.header):
            self.unmapped[path.name, cmd, _NO_TIME_COLUMN] += len(capture.rows)
        else:
            for row in capture.rows:
                self._map_row(path.name, cmd, row, mapping.mapper)

    def _map_row(self, file: str, cmd: str, row: _Row, mapper: _Mapper) -> None:
        try:
            result = mapper(row.values)
        except KeyError as exc:
            self.broken.append(BrokenLine(file, row.line, f"{cmd}: no column {exc}"))
            return
        except (_RowError, ValueError) as exc:  # ValueError covers msgspec.ValidationError
            self.broken.append(BrokenLine(file, row.line, f"{cmd}: {exc}"))
            return
        if isinstance(result, _Unmapped):
            self.unmapped[file, result.cmd, result.reason] += 1
        else:
            self.mapped.append(_Mapped(result, self.files_read, row.line, file))

    def finish(self, *, streamer: str | None, category: str | None) -> RoomImport:
        self._judge_combos()
        self._drop_repeated_entry_effects()
        self.mapped.sort(key=lambda mapped: (mapped.event.occurred_at, mapped.file_order, mapped.line))
        events: list[LiveEvent] = []
        seen_ids: set[str] = set()
        duplicates: Counter[str] = Counter()
        for mapped in self.mapped:
            if mapped.event.event_id in seen_ids:
                duplicates[mapped.file] += 1
                continue
            seen_ids.add(mapped.event.event_id)
            events.append(mapped.event)
        return RoomImport(
            room_id=self.room_id,
            streamer=streamer,
            category=category,
            events=events,
            unmapped=[
                UnmappedRows(file, cmd, rows, reason) for (file, cmd, reason), rows in sorted(self.unmapped.items())
            ],
            broken_lines=sorted(self.broken, key=lambda broken: (broken.file, broken.line)),
            rejoined_rows={file: rows for file, rows in sorted(self.rejoined.items()) if rows},
            duplicate_rows=dict(sorted(duplicates.items())),
        )

    def _judge_combos(self) -> None:
        # COMBO_SEND sums up a combo whose gifts also arrive one by one as SEND_GIFT with the same
        # batch_combo_id: mapping it too would count those gifts twice.
        for file, capture in self.combo_captures:
            without_gift = sum(
                row.values.get("_content_data_batch_combo_id") not in self.gift_batches for row in capture.rows
            )
            reason = (
                "sum of a gift combo already counted from SEND_GIFT (same batch_combo_id); "
                f"{without_gift} of {len(capture.rows)} have no SEND_GIFT row in this capture"
            )
            self.unmapped[file, "COMBO_SEND", reason] += len(capture.rows)

    def _drop_repeated_entry_effects(self) -> None:
        # ENTRY_EFFECT is the entrance banner of guards and high-level viewers, who usually get no
        # INTERACT_WORD enter; when both arrive they are one entry and the INTERACT_WORD one stays.
        enters: defaultdict[str, list[datetime]] = defaultdict(list)
        for mapped in self.mapped:
            if isinstance(mapped.event, Enter) and mapped.file.startswith("INTERACT_WORD"):
                enters[mapped.event.viewer_id].append(mapped.event.occurred_at)
        kept: list[_Mapped] = []
        for mapped in self.mapped:
            if (
                mapped.file.startswith("ENTRY_EFFECT")
                and isinstance(mapped.event, Enter)
                and any(
                    abs(mapped.event.occurred_at - entered_at) <= ENTRY_EFFECT_SAME_ENTRY
                    for entered_at in enters.get(mapped.event.viewer_id, ())
                )
            ):
                reason = f"the same viewer's INTERACT_WORD enter is within {ENTRY_EFFECT_SAME_ENTRY.seconds} s"
                self.unmapped[mapped.file, "ENTRY_EFFECT", reason] += 1
            else:
                kept.append(mapped)
        self.mapped = kept

    def _event_id(self, kind: str, key: str) -> str:
        return f"bili:{self.room_id}:{kind}:{key}"

    def _numbered_id(self, kind: str, key: str) -> str:
        """For rows without a platform id: identical rows are told apart by their order."""
        self.occurrences[f"{kind}:{key}"] += 1
        return self._event_id(kind, f"{key}-{self.occurrences[f'{kind}:{key}']}")

    def _comment(self, row: Mapping[str, str]) -> Comment:
        if row["_msg_type"] != "danmaku":
            raise _RowError(f"_msg_type is {row['_msg_type']!r}, not 'danmaku'")
        name, text = row["_name"], row["_content"]
        content = _digest(row["_Date"], row["_ExactTime"], row["_color"], name, text)
        return _build(
            Comment,
            event_id=self._numbered_id("dm", content),
            occurred_at=_occurred_at(row),
            viewer_id=f"bili-name:{_digest(name)}",
            text=text[:MAX_COMMENT_CHARS],
        )

    def _interaction(self, row: Mapping[str, str]) -> LiveEvent | _Unmapped:
        msg_type = row["_content_data_msg_type"]
        event_class = _INTERACTION_EVENTS.get(msg_type)
        if event_class is None:
            return _Unmapped(f"INTERACT_WORD msg_type={msg_type}", "interaction type not documented in blivedm")
        uid = _uid(row["_content_data_uid"])
        return _build(
            event_class,
            event_id=self._event_id("iw", f"{uid}:{int(row[_TIMESTAMP])}:{msg_type}"),
            occurred_at=_occurred_at(row, nanoseconds=_TRIGGER_TIME, seconds=_TIMESTAMP),
            viewer_id=f"bili:{uid}",
        )

    def _entry_effect(self, row: Mapping[str, str]) -> Enter:
        uid = _uid(row["_content_data_uid"])
        trigger_time = int(row[_TRIGGER_TIME])
        return _build(
            Enter,
            event_id=self._event_id("ee", f"{uid}:{trigger_time}"),
            occurred_at=_occurred_at(row, nanoseconds=_TRIGGER_TIME),
            viewer_id=f"bili:{uid}",
        )

    def _gift(self, row: Mapping[str, str]) -> Gift | _Unmapped:
        coin_type, total_coin = row["_content_data_coin_type"], int(row["_content_data_total_coin"])
        if coin_type == "gold":
            value_fen = (total_coin + GOLD_COINS_PER_FEN // 2) // GOLD_COINS_PER_FEN  # half a fen rounds up
        elif coin_type == "silver":
            value_fen = 0  # silver coins (银瓜子) are earned free on the site: no money changes hands
        else:
            return _Unmapped(f"SEND_GIFT coin_type={coin_type}", "unknown coin type: value unknown")
        self.gift_batches.add(row.get("_content_data_batch_combo_id", ""))
        platform_id = next(
            (row[key] for key in ("_content_data_tid", "_content_data_rnd") if row.get(key, "") not in ("", "0")), None
        )
        uid = row.get("_content_data_uid", "")
        return _build(
            Gift,
            event_id=(
                self._event_id("gift", platform_id)
                if platform_id
                else self._numbered_id("gift", _digest(*_content_values(row)))
            ),
            occurred_at=_occurred_at(row, seconds=_TIMESTAMP),
            viewer_id=f"bili:{_uid(uid)}" if uid not in ("", "0") else None,  # anonymous gifts have no sender
            gift_name=row["_content_data_giftName"],
            quantity=int(row["_content_data_num"]),
            value_fen=value_fen,
        )

    def _online_count(self, row: Mapping[str, str]) -> OnlineCount:
        occurred_at = _occurred_at(row)
        count = int(row["_content_data_count"])
        return _build(
            OnlineCount,
            event_id=self._numbered_id("orc", f"{occurred_at:%Y%m%dT%H%M%S}:{count}"),
            occurred_at=occurred_at,
            count=count,
        )


_EventT = TypeVar("_EventT", bound=LiveEvent)


def _build(event_class: type[_EventT], **fields: Any) -> _EventT:
    """Builds through msgspec so every constraint of the wire format is checked, as on ingest."""
    return msgspec.convert({**fields, "source": SOURCE, "is_simulated": False}, event_class)


def _occurred_at(row: Mapping[str, str], *, nanoseconds: str | None = None, seconds: str | None = None) -> datetime:
    """The platform's own time when the row has one, else the collector's poll time (_Date + _ExactTime)."""
    if nanoseconds and row.get(nanoseconds, "0").isdigit() and int(row[nanoseconds]) > 0:
        total_ns = int(row[nanoseconds])
        whole_seconds = datetime.fromtimestamp(total_ns // 1_000_000_000, CAPTURE_TIME_ZONE)
        return whole_seconds.replace(microsecond=total_ns % 1_000_000_000 // 1000)
    if seconds and row.get(seconds, "0").isdigit() and int(row[seconds]) > 0:
        return datetime.fromtimestamp(int(row[seconds]), CAPTURE_TIME_ZONE)
    date, clock = row.get("_Date", ""), row.get("_ExactTime", "")
    if not date or not clock:
        raise _RowError("no time: neither a platform timestamp nor _Date and _ExactTime")
    return datetime.strptime(f"{date} {clock}", "%Y.%m.%d %H:%M:%S").replace(tzinfo=CAPTURE_TIME_ZONE)


def _uid(value: str) -> int:
    uid = int(value)
    if uid <= 0:
        raise _RowError(f"uid {value!r} is not a Bilibili user id")
    return uid


def _digest(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()[:16]


def _content_values(row: Mapping[str, str]) -> Iterator[str]:
    """A row's values without the collector's own poll offset, which differs between captures."""
    return (value for column, value in row.items() if column != "_DeltaTime")


def _format_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _report(imports: list[RoomImport]) -> str:
    def when(value: datetime | None) -> str:
        return f"{value:%Y-%m-%d %H:%M:%S}" if value else "-"

    types = [
        EventType.COMMENT,
        EventType.ENTER,
        EventType.FOLLOW,
        EventType.SHARE,
        EventType.GIFT,
        EventType.ONLINE_COUNT,
    ]
    summary = _format_table(
        [
            "room",
            "streamer",
            "category",
            "first event (+08)",
            "last event (+08)",
            *types,
            "gift ¥",
            "peak online",
            "unmapped rows",
            "rejoined rows",
            "broken lines",
        ],
        [
            [
                str(room.room_id),
                room.streamer or "-",
                room.category or "-",
                when(room.first_event_at),
                when(room.last_event_at),
                *(str(room.counts.get(event_type, 0)) for event_type in types),
                f"{room.gift_value_fen / 100:.2f}",
                str(room.peak_online_count or "-"),
                str(sum(unmapped.rows for unmapped in room.unmapped)),
                str(sum(room.rejoined_rows.values())),
                str(len(room.broken_lines)),
            ]
            for room in imports
        ],
    )
    unmapped = _format_table(
        ["room", "file", "cmd", "rows", "reason"],
        [
            [str(room.room_id), item.file, item.cmd, str(item.rows), item.reason]
            for room in imports
            for item in room.unmapped
        ],
    )
    broken = [f"{room.room_id}/{bad.file}:{bad.line}: {bad.reason}" for room in imports for bad in room.broken_lines]
    parts = [summary, "", unmapped, "", "broken lines: " + (", ".join(broken) if broken else "none")]
    duplicates = [f"{room.room_id}/{file}: {rows}" for room in imports for file, rows in room.duplicate_rows.items()]
    if duplicates:
        parts.append("duplicate rows dropped: " + ", ".join(duplicates))
    return "\n".join(parts)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m livebridge.ingest.bilibili <data dir>", file=sys.stderr)
        return 2
    started = time.perf_counter()
    imports = read_all(Path(argv[0]))
    elapsed = time.perf_counter() - started
    print(_report(imports))
    print(f"\n{sum(len(room.events) for room in imports)} events from {len(imports)} rooms in {elapsed:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
