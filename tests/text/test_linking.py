"""``extract_link_number``: explicit link numbers, never dates, shades or sizes."""

from __future__ import annotations

import pytest

from livebridge.text import extract_link_number
from livebridge.text.linking import parse_chinese_number


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("3号链接", 3),
        ("三号链接", 3),
        ("三號鏈接多少錢", 3),
        ("链接3", 3),
        ("链接 12 还有吗", 12),
        ("链接三", 3),
        ("十二号链接", 12),
        ("一百零五号宝贝", 105),
        ("拍3号", 3),
        ("我要六号", 6),
        ("要了一个5号", 5),
        ("已拍5号", 5),
        ("3号多少钱", 3),
        ("主播 6号还有货吗", 6),
        ("６号有大码吗", 6),
        ("3号和5号都拍了", 3),
        ("3号", 3),
    ],
)
def test_link_numbers_are_found(text: str, number: int) -> None:
    assert extract_link_number(text) == number


@pytest.mark.parametrize(
    "text",
    [
        "几号链接",
        "这个是几号",
        "求链接",
        "链接一上就秒没",
        "3号色好看吗",
        "冷白皮用几号色",
        "几号发货",
        "3号发货吗",
        "明天3号到",
        "25号之前能到吗",
        "11月3号能到吗",
        "穿39号",
        "0号链接",
        "1000号链接",
        "",
    ],
)
def test_no_link_number_in_dates_shades_sizes_or_questions(text: str) -> None:
    assert extract_link_number(text) is None


@pytest.mark.parametrize(
    ("spelled", "value"),
    [("7", 7), ("十", 10), ("十二", 12), ("二十", 20), ("二十三", 23), ("一百", 100), ("一百零五", 105), ("两", 2)],
)
def test_chinese_numerals(spelled: str, value: int) -> None:
    assert parse_chinese_number(spelled) == value


@pytest.mark.parametrize("spelled", ["零", "百", "一二", "十十"])
def test_malformed_chinese_numerals(spelled: str) -> None:
    assert parse_chinese_number(spelled) is None
