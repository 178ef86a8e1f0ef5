"""``livebridge geo parse``: one JSON object per input line, in order, whatever the line holds."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

from typer.testing import CliRunner

from livebridge.geo.cli import app

FIELDS = [
    "province",
    "province_code",
    "city",
    "city_code",
    "district",
    "district_code",
    "rest",
    "confidence",
    "warnings",
    "district_candidates",
]


def run_parse(stdin: bytes) -> list[dict[str, object]]:
    result = CliRunner().invoke(app, ["parse"], input=stdin)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_one_object_per_line_in_input_order() -> None:
    addresses = ["萧山区宁围街道", "北京市朝阳区建国路88号", "吉林长春朝阳区红旗街", "宁波海曙柳汀街"] * 25
    rows = run_parse("\n".join(addresses).encode())
    assert [row["district_code"] for row in rows] == ["330109", "110105", "220104", "330203"] * 25


def test_json_shape() -> None:
    (row,) = run_parse("浙江省杭州市西湖区文三路138号\n".encode())
    assert list(row) == FIELDS
    assert row == {
        "province": "浙江省",
        "province_code": "330000",
        "city": "杭州市",
        "city_code": "330100",
        "district": "西湖区",
        "district_code": "330106",
        "rest": "文三路138号",
        "confidence": 0.98,
        "warnings": [],
        "district_candidates": [],
    }


def test_blank_and_broken_lines_give_nulls() -> None:
    rows = run_parse(b"\n   \r\n\xff\xfe\n???\n" + "朝阳区\n".encode())
    assert len(rows) == 5
    for row in rows[:4]:
        assert list(row) == FIELDS
        assert all(row[field] is None for field in FIELDS[:6])
    assert rows[4]["warnings"] == ["ambiguous_province", "ambiguous_city", "ambiguous_district"]
    assert rows[4]["district_candidates"] == ["110105", "220104"]


def test_last_line_without_newline_and_crlf() -> None:
    rows = run_parse("北京市朝阳区\r\n上海浦东新区".encode())
    assert [row["district_code"] for row in rows] == ["110105", "310115"]


def test_empty_input() -> None:
    assert run_parse(b"") == []


def test_each_line_is_answered_before_the_next_arrives() -> None:
    # A real pipe: the answer to the first line must come back while stdin is still open.
    command = [sys.executable, "-c", "from livebridge.geo.cli import app; app()", "parse"]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as process:
        watchdog = threading.Timer(30, process.kill)  # a missing flush fails the test, not hangs it
        watchdog.start()
        try:
            assert process.stdin is not None
            assert process.stdout is not None
            process.stdin.write("北京市朝阳区建国路\n".encode())
            process.stdin.flush()
            first = json.loads(process.stdout.readline())
            process.stdin.write("上海浦东新区\n".encode())
            process.stdin.close()
            second = json.loads(process.stdout.readline())
            assert process.wait(timeout=30) == 0
        finally:
            watchdog.cancel()
    assert (first["district_code"], second["district_code"]) == ("110105", "310115")
