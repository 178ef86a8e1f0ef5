"""Which product a comment is about, and by which rule.

In order (an explicit mention beats the product on screen):

1. ``link_number``: the comment names a shelf link (3号链接, 链接3, 拍3号; ``livebridge.text``
   reads the number) that is on the session's shelf;
2. ``name``: it names a product of the tenant's catalogue by name, alias or SKU code. One
   compiled pattern per catalogue (a trie of the normalised terms, so matching costs the length
   of the comment, not the number of terms), cached per catalogue version. The longest term
   at the earliest position wins; a term shared by several products counts only when exactly one
   of them is on the session's shelf. Latin/digit terms (af5, 型号 codes) must stand alone:
   ``af5`` does not match inside ``af50``;
3. ``explaining``: the product being explained (讲解) when the comment was made, by the
   session's explanation segments (``started_at <= t < ended_at``; an open segment runs on);
4. none.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from livebridge.text import normalize

__all__ = ["CatalogTerm", "ProductMatcher", "SessionLinker", "build_trie_pattern"]

ProductLink = Literal["link_number", "name", "explaining"]
MIN_TERM_CHARS: Final = 2
_ASCII_WORD = re.compile(r"[a-z0-9]")


@dataclass(frozen=True)
class CatalogTerm:
    """A word that names a product: its name, an alias or a SKU code."""

    text: str
    product_id: int


def build_trie_pattern(terms: Iterable[str]) -> str:
    """One regular expression matching any of ``terms``, longest first, as a trie of alternations."""
    trie: dict[str, dict[str, object]] = {}
    for term in terms:
        node = trie
        for character in term:
            node = node.setdefault(character, {})  # type: ignore[assignment]
        node[""] = {}  # the end of a term

    def render(node: dict[str, dict[str, object]]) -> str:
        ends_here = "" in node
        branches = [re.escape(character) + render(child) for character, child in node.items() if character]  # type: ignore[arg-type]
        if not branches:
            return ""
        # Longer continuations are tried before stopping here (the alternation is ordered).
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends_here:
            body = "(?:" + body + ")?"
        return body

    return render(trie)


class ProductMatcher:
    """Finds catalogue products named in normalised comments (see the module docstring)."""

    def __init__(self, terms: Iterable[CatalogTerm]) -> None:
        products_of: dict[str, set[int]] = {}
        for term in terms:
            text = normalize(term.text)
            for variant in {text, text.replace(" ", "")}:
                if len(variant) >= MIN_TERM_CHARS:
                    products_of.setdefault(variant, set()).add(term.product_id)
        self._products_of = {text: frozenset(ids) for text, ids in products_of.items()}
        self._pattern = self._compile(self._products_of)

    @staticmethod
    def _compile(products_of: dict[str, frozenset[int]]) -> re.Pattern[str] | None:
        if not products_of:
            return None
        return re.compile(build_trie_pattern(products_of))

    def find(self, normalized: str, shelf_products: frozenset[int]) -> int | None:
        """The product the text names first, or None."""
        if self._pattern is None:
            return None
        for match in self._pattern.finditer(normalized):
            term = match.group()
            if not self._stands_alone(normalized, match.start(), match.end(), term):
                continue
            candidates = self._products_of.get(term)
            if candidates is None:
                continue
            if len(candidates) == 1:
                return next(iter(candidates))
            on_shelf = candidates & shelf_products
            if len(on_shelf) == 1:
                return next(iter(on_shelf))
        return None

    @staticmethod
    def _stands_alone(text: str, start: int, end: int, term: str) -> bool:
        """A term that begins (ends) with a Latin letter or digit may not follow (precede) one."""
        if _ASCII_WORD.match(term[0]) and start > 0 and _ASCII_WORD.match(text[start - 1]):
            return False
        return not (_ASCII_WORD.match(term[-1]) and end < len(text) and _ASCII_WORD.match(text[end]))


@dataclass(frozen=True)
class Segment:
    started_at: datetime
    ended_at: datetime | None
    product_id: int


class SessionLinker:
    """Links the comments of one session: its shelf, its explanation segments, the catalogue."""

    def __init__(
        self, matcher: ProductMatcher, shelf: dict[int, int], segments: Sequence[tuple[datetime, datetime | None, int]]
    ) -> None:
        self._matcher = matcher
        self._shelf = shelf  # link number → product id
        self._shelf_products = frozenset(shelf.values())
        self._segments = sorted((Segment(*segment) for segment in segments), key=lambda s: s.started_at)
        self._starts = [segment.started_at for segment in self._segments]

    def link(
        self, normalized: str, link_number: int | None, occurred_at: datetime
    ) -> tuple[int | None, ProductLink | None]:
        if link_number is not None and link_number in self._shelf:
            return self._shelf[link_number], "link_number"
        named = self._matcher.find(normalized, self._shelf_products)
        if named is not None:
            return named, "name"
        explained = self.explained_at(occurred_at)
        if explained is not None:
            return explained, "explaining"
        return None, None

    def explained_at(self, moment: datetime) -> int | None:
        index = bisect.bisect_right(self._starts, moment) - 1
        if index < 0:
            return None
        segment = self._segments[index]
        if segment.ended_at is not None and moment >= segment.ended_at:
            return None
        return segment.product_id
