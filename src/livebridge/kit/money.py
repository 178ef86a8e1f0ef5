"""Money is an integer number of fen (分); rates are basis points (1/10 000)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_YUAN = 100


def format_yuan(fen: int) -> str:
    """``123456`` → ``"1,234.56"`` (no float on the way)."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{yuan:,}.{cents:02d}"


def parse_yuan(text: str) -> int:
    """``"1,234.5"`` → ``123450`` fen. Raises ValueError for anything that is not an amount."""
    cleaned = text.strip().replace(",", "").replace("¥", "").replace("￥", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {text!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    fen = (amount * FEN_PER_YUAN).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if fen != amount * FEN_PER_YUAN:
        raise ValueError(f"more than two decimals: {text!r}")
    return int(fen)
