"""Find the product link number a comment names explicitly (3号链接, 三号链接, 链接3, 拍3号).

Live rooms number the products on the shelf (the "links" in the cart); viewers refer to them by
number. Linking the number to a product is done elsewhere, with the session's shelf; this module
only reads the number. "N号" alone is ambiguous (3号发货 is a date, 3号色 a lipstick shade, 穿39号 a
shoe size), so it counts only in a shopping context: after a buying verb, or at the start of a
clause and not followed by a date, time, shade or size word.
"""

from __future__ import annotations

import re
from typing import Final

from livebridge.text.normalize import normalize

__all__ = ["extract_link_number", "find_link_number", "parse_chinese_number"]

_MAX_LINK_NUMBER: Final = 999
_CHINESE_DIGITS: Final = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CHINESE_NUMERAL = re.compile(
    r"(?:(?P<hundreds>[一二两三四五六七八九])百)?(?:零?(?P<tens>[一二两三四五六七八九])?(?P<ten>十))?零?"
    r"(?P<units>[一二两三四五六七八九])?"
)
_NUMBER = r"(?P<number>[0-9]{1,3}|[零一二两三四五六七八九十百]{1,5})"
# What may follow "N号" when it is not a link: a shade, a size, a place, a date or a time.
_NOT_A_LINK_AFTER = (
    r"(?!\s*(?:色|码|楼|房|床|门|线|口|桌|位|字|机|选手|发|到|送|前|后|之前|以前|以后|左右|上午|下午|晚上|早上"
    r"|中午|凌晨|那天|当天|开始|结束|截止|出|几点|[0-9]+点))"
)
_LINK_WORD = r"(?:链接|连接|链截|宝贝|商品|产品)"
_BUYING_VERB = r"(?:拍|买|要|抢|下单|上|来|冲|入|加购|选|看|讲|试|留|求)"
_PATTERNS: Final = (
    # 3号链接, 三号宝贝, 12链接
    re.compile(_NUMBER + r"\s*号?\s*" + _LINK_WORD),
    # 链接3, 链接 12, 链接三号 (a Chinese numeral only with 号 or at a clause end: 链接一上就没了 is no link)
    re.compile(_LINK_WORD + r"\s*(?:#|no\.?)?\s*(?:(?P<number>[0-9]{1,3})(?![0-9])"
               r"|(?P<chinese>[零一二两三四五六七八九十百]{1,5})(?=号|\s|[,.!?;~]|$))"),
    # 拍3号, 要了一个5号, 来个三号
    re.compile(
        _BUYING_VERB + r"\s*(?:了|个|一个|一件|一单|一份|一套){0,2}\s*" + _NUMBER + r"\s*号" + _NOT_A_LINK_AFTER
    ),
    # 3号多少钱, 6号还有货吗 (at the start of a clause, not after a month, day or "wear")
    re.compile(r"(?:^|[\s,.!?;:、。])" + _NUMBER + r"\s*号" + _NOT_A_LINK_AFTER),
)


def extract_link_number(text: str | bytes) -> int | None:
    """The first link number named in a raw comment, or ``None`` (几号链接 names none)."""
    return find_link_number(normalize(text))


def find_link_number(normalized: str) -> int | None:
    """Like ``extract_link_number`` for text that ``normalize`` already produced."""
    found: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        match = pattern.search(normalized)
        if match is None:
            continue
        spelled = match.group("number") or match.groupdict().get("chinese")
        number = parse_chinese_number(spelled) if spelled else None
        if number is not None and 0 < number <= _MAX_LINK_NUMBER:
            found.append((match.start(), number))
    return min(found)[1] if found else None


def parse_chinese_number(spelled: str) -> int | None:
    """Parse ASCII digits or a Chinese numeral from 1 to 999 (十二 → 12, 一百零五 → 105)."""
    if spelled.isascii():
        return int(spelled) if spelled.isdigit() and int(spelled) > 0 else None
    match = _CHINESE_NUMERAL.fullmatch(spelled)
    if match is None:
        return None
    hundreds, tens, units = (_CHINESE_DIGITS.get(match.group(name) or "", 0) for name in ("hundreds", "tens", "units"))
    if match.group("ten") and not tens:
        tens = 1  # 十二 is 12
    return (100 * hundreds + 10 * tens + units) or None
