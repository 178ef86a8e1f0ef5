"""Normalise one raw live-room comment into the text every model sees.

Steps, in order (each one is cheap; the whole takes a few microseconds per comment):

1. ``bytes`` are decoded as UTF-8 with replacement; input longer than ``4 * MAX_CHARS`` is cut
   first, so a huge paste costs no more than a long comment.
2. Control characters, zero-width and bidi marks, variation selectors, emoji skin tones, lone
   surrogates and U+FFFD are removed; line breaks and tabs become spaces.
3. Full-width ASCII (Ａ１！？，) becomes half-width (A1!?,), the ideographic space a space; Latin
   letters are lower-cased (YYDS → yyds).
4. Traditional characters become simplified (opencc ``t2s``), only for comments that contain one.
5. Personal and noisy tokens are masked: links → ``<URL>``, e-mail addresses → ``<EMAIL>``, order
   and waybill numbers → ``<ORDER>``, mobile and landline numbers → ``<PHONE>``.
6. @mentions are **stripped**: a user name says nothing about intent and is personal data.
   Emoji are **kept** as characters: 👍 and 😡 carry intent and sentiment for the n-gram models.
7. Runs are collapsed: a letter, digit or Chinese character repeated more than three times is
   kept three times (哈哈哈哈哈 → 哈哈哈, 66666 → 666); repeated punctuation, symbols and emoji
   are kept once (？？？？ → ?, !!! → !, 👍👍👍 → 👍). Whitespace runs become one space.
8. The result is cut at ``MAX_CHARS`` (500) characters (never inside a mask).

``normalize`` is idempotent: normalising a normalised text changes nothing. Nothing here raises
on any ``str`` or ``bytes`` input: empty, binary, very long or mixed-script input yields a
(possibly empty) string.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Final

import opencc

__all__ = ["MASK_TOKENS", "MAX_CHARS", "normalize"]

MAX_CHARS: Final = 500
MASK_TOKENS: Final = ("<URL>", "<EMAIL>", "<ORDER>", "<PHONE>")

_RAW_CUT: Final = 4 * MAX_CHARS
_LINE_BREAKS = re.compile(r"[\t\n\r\v\f\x85\u2028\u2029]")
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufe00-\ufe0f\ufeff\ufffd"
    "\ud800-\udfff\U0001f3fb-\U0001f3ff\U000e0000-\U000e007f]"
)
_FULL_TO_HALF_WIDTH: Final = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

_URL = re.compile(r"(?:https?://|www\.)[^\s\u4e00-\u9fff]+|\b[a-z0-9-]+\.(?:cn|com|net|cc|ly)/[^\s\u4e00-\u9fff]*")
_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}")
# Order and waybill numbers: after a label, 12+ digits on their own, or a courier prefix + 10+ digits.
_ORDER = re.compile(
    r"(?:订单号|订单|单号|运单号|快递单号|order)\s*[:#]?\s*[a-z0-9-]{6,}"
    r"|(?<![0-9])[0-9]{12,}(?![0-9])"
    r"|(?<![a-z0-9])[a-z]{1,4}[0-9]{10,}(?![0-9])"
)
_PHONE = re.compile(
    r"(?<![0-9])(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}(?![0-9])"
    r"|(?<![0-9])0[0-9]{2,3}-[0-9]{7,8}(?![0-9])"
)
_LOWERED_MASK = re.compile(r"<(url|email|order|phone)>")
_CUT_MASK = re.compile(r"<[A-Z]*$")
_MENTION = re.compile(r"@[^\s@,.!?;:，。！？；：、]{1,20}")
_WORD_RUN = re.compile(r"(\w)\1{3,}")
_SYMBOL_RUN = re.compile(r"([^\w\s<>])\1+")
_SPACES = re.compile(r" {2,}")


def normalize(text: str | bytes) -> str:
    """Return the normalised form of one comment (see the module docstring for the steps)."""
    if isinstance(text, bytes):
        text = text[: 4 * _RAW_CUT].decode("utf-8", errors="replace")
    return _normalize_text(text[:_RAW_CUT])


def _normalize_text(text: str) -> str:
    text = _INVISIBLE.sub("", _LINE_BREAKS.sub(" ", text))
    # Lower-casing must not touch the masks of a text that was normalised before (idempotence).
    text = _LOWERED_MASK.sub(lambda match: match.group().upper(), text.translate(_FULL_TO_HALF_WIDTH).lower())
    if not _traditional_characters().isdisjoint(text):
        text = _traditional_to_simplified().convert(text)
    text = _URL.sub("<URL>", text)
    text = _EMAIL.sub("<EMAIL>", text)
    text = _ORDER.sub("<ORDER>", text)
    text = _PHONE.sub("<PHONE>", text)
    text = _MENTION.sub(" ", text)
    text = _WORD_RUN.sub(r"\1\1\1", text)
    text = _SYMBOL_RUN.sub(r"\1", text)
    return _CUT_MASK.sub("", _SPACES.sub(" ", text).strip()[:MAX_CHARS]).rstrip()


@functools.cache
def _traditional_to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@functools.cache
def _traditional_characters() -> frozenset[str]:
    """Characters that opencc writes differently in simplified Chinese.

    Checking for them first skips the (slow, pure-Python) converter for the great majority of
    comments, which are already simplified.
    """
    table = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    characters: set[str] = set()
    for line in table.read_text(encoding="utf-8").splitlines():
        traditional, _, simplified = line.partition("\t")
        if traditional and traditional != simplified.split(" ")[0]:
            characters.add(traditional)
    return frozenset(characters)
