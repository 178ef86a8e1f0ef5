"""``normalize``: every documented step, and no input that makes it raise."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livebridge.text import MAX_CHARS, normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("這件衣服多少錢？質量怎麼樣", "这件衣服多少钱?质量怎么样"),
        ("ＹＹＤＳ！！！绝绝子", "yyds!绝绝子"),
        ("ｌ码　有货吗", "l码 有货吗"),
        ("哈哈哈哈哈", "哈哈哈"),
        ("？？？？", "?"),
        ("666666 主播", "666 主播"),
        ("好好好", "好好好"),
        ("👍👍👍👍", "👍"),
        ("👍🏻 好看❤️", "👍 好看❤"),
        ("@小明 这个多少钱", "这个多少钱"),
        ("问一下 @主播助理 有大码吗", "问一下 有大码吗"),
        ("  多少\n钱\t啊  ", "多少 钱 啊"),
        ("a\x00b\u200bc\ufeffd", "abcd"),
    ],
)
def test_documented_steps(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("加微信13812345678领优惠", "加微信<PHONE>领优惠"),
        ("电话 138-1234-5678", "电话 <PHONE>"),
        ("+86 139 1234 5678 找我", "<PHONE> 找我"),
        ("座机 010-12345678", "座机 <PHONE>"),
        ("订单号：123456789012345678 还没发货", "<ORDER> 还没发货"),
        ("3922110458873625417怎么还没到", "<ORDER>怎么还没到"),
        ("单号SF1234567890123查不到", "<ORDER>查不到"),
        ("看 https://t.cn/abc123 领红包", "看 <URL> 领红包"),
        ("邮箱 abc@qq.com 联系", "邮箱 <EMAIL> 联系"),
    ],
)
def test_personal_and_noisy_tokens_are_masked(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_short_numbers_are_not_masked() -> None:
    assert normalize("3号链接 160斤 2024年 12345") == "3号链接 160斤 2024年 12345"


@pytest.mark.parametrize("raw", ["", "   ", "\x00\x01\x02", "\udfff\ud800", "\ufeff\u200b"])
def test_empty_or_invisible_input_gives_empty_text(raw: str) -> None:
    assert normalize(raw) == ""


def test_bytes_are_decoded_and_invalid_bytes_dropped() -> None:
    assert normalize("质量好".encode()) == "质量好"
    assert normalize(b"\xff\xfe\x00ok\xe4\xbd") == "ok"


def test_very_long_input_is_cut_at_the_documented_limit() -> None:
    text = "质量不错值得购买" * 10_000
    assert len(normalize(text)) == MAX_CHARS
    assert len(normalize(text.encode())) == MAX_CHARS


def test_a_cut_never_leaves_half_a_mask() -> None:
    text = ("质量不错值得购买" * 100)[: MAX_CHARS - 3] + " 13812345678"
    assert normalize(text) == text[: MAX_CHARS - 3]


def test_mixed_scripts_pass_through() -> None:
    assert normalize("مرحبا 你好 こんにちは 안녕 Привет") == "مرحبا 你好 こんにちは 안녕 привет"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=700), st.binary(max_size=700)))
def test_any_input_gives_a_bounded_idempotent_result(raw: str | bytes) -> None:
    once = normalize(raw)
    assert len(once) <= MAX_CHARS
    assert normalize(once) == once
