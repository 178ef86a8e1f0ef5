"""Parse a buyer's Chinese address into province, city and district (GB/T 2260 codes) and the rest.

How it works (``docs/geo.md`` has the long version):

1. Normalise: NFKC (full-width → half-width); phone numbers, noise (``_ ? ！``) and separators
   become single spaces; a country prefix (中国) before a province name is dropped. Traditional
   characters are converted to simplified when no district is found without converting.
2. Find the longest division name starting at each position: official names, short forms (萧山,
   内蒙), suffix variants (富阳市 for 富阳区) and names from before renames (江干区). A dict maps
   each name's first two characters to the name lengths to try, so most positions cost one
   lookup; a name inside an earlier one (南县 in 苍南县) is skipped.
3. Weigh each reading (this name means that unit): an official name weighs 3, or 2 right after an
   unrelated Chinese character; a short form 2. A short form without suffix inside a word or
   followed by 镇/乡/街道 is weak; followed by 路/街/村/广场… it is a street or place and dropped.
   Weak and generic names (城区, 东区) count only right after one of their own parents.
4. Chain the readings left to right, each unit inside the previous one, by dynamic programming.
   The heaviest chain wins; on a tie the deeper one; then the one whose context starts later (a
   restated address: 浙江省台州市仙居县中国浙江省嘉兴市桐乡市…); then the earlier name.
5. If the winning name means several units (朝阳区: Beijing and Changchun), a city named after it
   (普陀区舟山) or the town that follows it (江北区洪塘) may settle it; otherwise the parser does
   not guess: it fills only the levels all candidates share, reports ``ambiguous_district`` and
   lists the candidate codes.
6. A city without a district named may still get one from the town that follows it (杭州下沙 →
   钱塘区); renamed districts map to today's code and split ones follow the place named after
   them (江干区下沙 → 钱塘区).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from enum import Enum, StrEnum
from functools import cache

import msgspec

from livebridge.geo.divisions import MUNICIPALITIES, AliasKind, DivisionTable, Level, load_division_table

__all__ = ["AddressParser", "ParseWarning", "ParsedAddress", "default_parser"]


class ParseWarning(StrEnum):
    AMBIGUOUS_PROVINCE = "ambiguous_province"
    AMBIGUOUS_CITY = "ambiguous_city"
    AMBIGUOUS_DISTRICT = "ambiguous_district"
    HISTORICAL_NAME_MAPPED = "historical_name_mapped"
    # Before the district, the text names a province or city outside it (宁波市萧山区, or a first
    # address that a second one restates).
    CONFLICTING_DIVISIONS = "conflicting_divisions"
    # No district named; found through the town after the city (杭州下沙 → 钱塘区).
    DISTRICT_FROM_TOWN = "district_inferred_from_town"


class ParsedAddress(msgspec.Struct, frozen=True, gc=False):
    """The divisions found in one address. Names and codes are None when unknown.

    For the four municipalities the city is the municipality itself (北京市, 110000); for a
    county-level unit directly under its province (仙桃市) the city is that unit; a prefecture
    without districts (东莞市) is also its own district. ``confidence`` is how sure the parser is
    of ``district_code`` (0 when there is none); ``district_candidates`` lists the codes it could
    not choose between.
    """

    province: str | None = None
    province_code: str | None = None
    city: str | None = None
    city_code: str | None = None
    district: str | None = None
    district_code: str | None = None
    rest: str = ""
    confidence: float = 0.0
    warnings: tuple[ParseWarning, ...] = ()
    district_candidates: tuple[str, ...] = ()


EMPTY = ParsedAddress()

# Characters that only separate parts of an address; names separated by them are adjacent.
SEPARATORS = " -—/|.·"
NOISE = re.compile(r"[\s\u200b-\u200d\ufeff\ufffd_?？!！~`'\"“”‘’\\^<>《》【】\[\]{};；:：,，、]+")
PHONE_NUMBER = re.compile(
    r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"  # mobile: 13812345678, 138-1234-5678
    r"|(?<!\d)0\d{2,3}-\d{7,8}(?!\d)"  # landline with area code
)
PHONE_HINT = re.compile(r"\d{3}[- ]?\d{4}")  # cheap test before the full pattern
# Placeholders some region pickers put where a municipality has no prefecture level.
PLACEHOLDER = re.compile(r"市辖区|(?:省|自治区)直辖县级行政区划")
# What follows a short name can make it a street, village or building (中山路, 西湖大道, 长安村)
# or a town (长安镇 is in 东莞, not 西安's 长安区).
AFTER_SHORT_NAME = re.compile(
    r"(?P<place>[东南西北中]?(?:路|街(?!道)|大道|大街|巷|弄)|村|社区|小区|花园|公园|广场|大厦|中学|小学|大学"
    r"|学院|医院|宾馆|酒店|饭店|商场|市场|银行|公司)"
    r"|(?P<town>镇|乡|街道)"
)

DIVISION_SUFFIXES = ("省", "市", "区", "县", "旗", "盟")

# Confidence in the district code, by how it was found.
CONFIDENCE_WITH_CONTEXT = 0.98  # 浙江省杭州市萧山区
CONFIDENCE_FULL_NAME_ALONE = 0.9  # 萧山区
CONFIDENCE_DISAMBIGUATED = 0.9  # 江北区洪塘街道: one of two 江北区, told apart by the town
CONFIDENCE_SHORT_NAME_ALONE = 0.8  # 萧山
CONFIDENCE_FROM_TOWN = 0.7  # 杭州下沙: no district named, found through the town
HISTORICAL_PENALTY = 0.05
CONFLICT_CONFIDENCE_CAP = 0.5


class _Unit:
    """A division with everything the hot loop needs precomputed."""

    __slots__ = ("ancestors", "code", "fields", "level", "lineage")

    def __init__(self, table: DivisionTable, code: str) -> None:
        division = table.units[code]
        self.code = code
        is_leaf_city = division.level == Level.CITY and not table.has_children(code)
        # A prefecture without districts (东莞市) is its own district: rank it with districts.
        self.level = Level.DISTRICT if is_leaf_city else division.level
        self.ancestors = table.ancestor_codes(code)
        self.lineage = self.ancestors | {code}
        province = table.province_of(code)
        city = table.city_of(code)
        district = division if self.level == Level.DISTRICT else None
        self.fields: tuple[str | None, ...] = (
            province.name,
            province.code,
            city.name if city else None,
            city.code if city else None,
            district.name if district else None,
            district.code if district else None,
        )


class _Target:
    """A unit one written name can refer to, with how the name refers to it."""

    __slots__ = ("bare", "generic", "historical", "moved_parts", "short", "unit")

    def __init__(
        self,
        name: str,
        official_name: str,
        unit: _Unit,
        kind: AliasKind,
        generic: bool,
        moved_parts: tuple[tuple[str, _Unit], ...],
    ) -> None:
        self.unit = unit
        self.short = kind in (AliasKind.SHORT, AliasKind.HISTORICAL_SHORT)
        # A short name without any administrative suffix (萧山, not 萧山县) is easily part of
        # another word, so where it stands and what follows it matter. 州 is a suffix only in
        # the short form of an autonomous prefecture (红河州), not in 杭州 or 通州.
        has_suffix = name.endswith(DIVISION_SUFFIXES) or (name[-1] == "州" and official_name.endswith("自治州"))
        self.bare = self.short and not has_suffix
        self.historical = kind in (AliasKind.HISTORICAL, AliasKind.HISTORICAL_SHORT)
        self.generic = generic
        self.moved_parts = moved_parts


class _Node:
    """One reading of a name in the text: this span means this unit."""

    __slots__ = ("end", "start", "target", "unit", "weak", "weight")

    def __init__(self, start: int, end: int, target: _Target, weight: int, weak: bool) -> None:
        self.start = start
        self.end = end
        self.target = target
        self.unit = target.unit
        self.weight = weight
        self.weak = weak


class _Follower(Enum):
    """What the text right after a short name makes of it."""

    NOTHING = 0
    TOWN = 1  # 长安镇: a town of that name, maybe elsewhere
    PLACE = 2  # 中山路, 福田市场: a street, village or building, not a division


class AddressParser:
    """Parses addresses against one division table; safe to share between threads."""

    def __init__(self, table: DivisionTable | None = None) -> None:
        table = table or load_division_table()
        units = {code: _Unit(table, code) for code in table.units}
        self._names: dict[str, tuple[_Target, ...]] = {
            name: tuple(
                _Target(
                    name,
                    table.units[target.code].name,
                    units[target.code],
                    target.kind,
                    target.generic,
                    tuple((place, units[code]) for place, code in target.moved_parts),
                )
                for target in targets
            )
            for name, targets in table.names.items()
        }
        lengths: dict[str, set[int]] = {}
        for name in self._names:
            lengths.setdefault(name[:2], set()).add(len(name))
        self._lengths_by_prefix = {prefix: tuple(sorted(sizes, reverse=True)) for prefix, sizes in lengths.items()}
        towns: dict[str, list[_Unit]] = {}
        for code, town_names in table.towns.items():
            for town in town_names:
                towns.setdefault(town, []).append(units[code])
        self._towns = {town: tuple(town_units) for town, town_units in towns.items()}
        self._town_lengths = sorted({len(town) for town in towns}, reverse=True)
        self._simplify = str.maketrans(table.simplified)
        self._traditional = frozenset(table.simplified)
        province_names = sorted(
            (name for name, targets in self._names.items() if any(t.unit.level == Level.PROVINCE for t in targets)),
            key=len,
            reverse=True,
        )
        self._country_prefix = re.compile(
            "(?:中华人民共和国|中国)(?=(?:" + "|".join(map(re.escape, province_names)) + "))"
        )

    def parse(self, text: str) -> ParsedAddress:
        clean = self._normalise(text)
        if not clean:
            return EMPTY
        parsed = self._parse_normalised(clean)
        # Traditional characters (廣州市天河區) are rare: convert only when nothing was found
        # without them, since checking every address would cost a tenth of the parse.
        if parsed.district_code is None and not self._traditional.isdisjoint(clean):
            return self._parse_normalised(clean.translate(self._simplify))
        return parsed

    def _parse_normalised(self, text: str) -> ParsedAddress:
        nodes = self._read_names(text)
        if not nodes:
            return ParsedAddress(rest=text)
        return self._resolve(text, nodes)

    def parse_many(self, texts: Iterable[str]) -> Iterator[ParsedAddress]:
        """Parse lazily, in input order."""
        parse = self.parse
        for text in texts:
            yield parse(text)

    def _normalise(self, text: str) -> str:
        text = NOISE.sub(" ", unicodedata.normalize("NFKC", text))
        if PHONE_HINT.search(text):
            text = PHONE_NUMBER.sub(" ", text)
        if "辖" in text:
            text = PLACEHOLDER.sub(" ", text)
        if "中" in text:
            text = self._country_prefix.sub(" ", text)
        return " ".join(text.split()).strip(SEPARATORS)

    def _read_names(self, text: str) -> list[_Node]:
        """Readings of the longest name at each position, left to right."""
        names = self._names
        lengths_by_prefix = self._lengths_by_prefix
        nodes: list[_Node] = []
        usable_ends: set[int] = set()
        covered_until = 0
        text_length = len(text)
        for start in range(text_length - 1):
            lengths = lengths_by_prefix.get(text[start : start + 2])
            if lengths is None:
                continue
            for length in lengths:
                end = start + length
                if end > text_length:
                    continue
                if end <= covered_until:  # inside an earlier, confident name: 南县 in 苍南县
                    break
                targets = names.get(text[start:end])
                if targets is None:
                    continue
                # Right after an unrelated Chinese character a name may be part of another word.
                anchored = start == 0 or start in usable_ends or not "\u4e00" <= text[start - 1] <= "\u9fff"
                follower: _Follower | None = None
                usable = confident = False
                for target in targets:
                    if target.bare:
                        if follower is None:
                            follower = _follower(text, end)
                            if follower is not _Follower.NOTHING and self._name_starts_at(text, end):
                                follower = _Follower.NOTHING  # 台州路桥: 路桥 is a district, not a road
                        if follower is _Follower.PLACE:
                            continue
                        weak = target.generic or not anchored or follower is _Follower.TOWN
                    elif target.short:  # a suffixed variant: 富阳市 (but 福田市场 is a market; 益阳市南县)
                        market = text[end - 1] == "市" and text.startswith("场", end)
                        weak = target.generic or not anchored or market
                    else:
                        weak = target.generic
                    weight = 1 if weak else 2 if target.short or not anchored else 3
                    nodes.append(_Node(start, end, target, weight, weak))
                    usable = True
                    confident = confident or not weak
                if usable:
                    usable_ends.add(end)
                if confident:
                    covered_until = end
                break
        return nodes

    def _name_starts_at(self, text: str, start: int) -> bool:
        lengths = self._lengths_by_prefix.get(text[start : start + 2], ())
        return any(text[start : start + length] in self._names for length in lengths)

    def _resolve(self, text: str, nodes: list[_Node]) -> ParsedAddress:
        links, winners = _best_chains(text, nodes)
        if not winners:
            return ParsedAddress(rest=text)
        chosen_index = winners[0]
        confidence = CONFIDENCE_WITH_CONTEXT if links[chosen_index] >= 0 else CONFIDENCE_FULL_NAME_ALONE
        if len(winners) > 1 and len(by_unit := {nodes[k].unit: k for k in winners}) > 1:
            picked = self._disambiguate(text, nodes, nodes[chosen_index], list(by_unit))
            if picked is None:
                return _ambiguous(list(by_unit), _rest(text, nodes, links, chosen_index, frozenset()))
            chosen_index = by_unit[picked]
            confidence = CONFIDENCE_DISAMBIGUATED
        chosen = nodes[chosen_index]
        target = chosen.target
        unit = chosen.unit
        rest = _rest(text, nodes, links, chosen_index, unit.lineage)
        warnings: list[ParseWarning] = []
        if target.short:
            confidence = min(confidence, CONFIDENCE_SHORT_NAME_ALONE)
        if target.historical:
            warnings.append(ParseWarning.HISTORICAL_NAME_MAPPED)
            confidence -= HISTORICAL_PENALTY
        for place, successor in target.moved_parts:
            # The town right after the district says which side of a split it is on.
            if rest.startswith(place) and _follower(rest, len(place)) is not _Follower.PLACE:
                unit = successor
                if not target.historical:
                    warnings.append(ParseWarning.HISTORICAL_NAME_MAPPED)
                break
        if unit.level == Level.CITY or unit.code in MUNICIPALITIES:
            district = self._district_of_town(rest, unit)
            if district is not None:
                unit = district
                confidence = CONFIDENCE_FROM_TOWN
                warnings.append(ParseWarning.DISTRICT_FROM_TOWN)
        if len(nodes) > 1 and _conflicts(nodes, chosen.start, unit):
            warnings.append(ParseWarning.CONFLICTING_DIVISIONS)
            confidence = min(confidence, CONFLICT_CONFIDENCE_CAP)
        province, province_code, city, city_code, district_name, district_code = unit.fields
        return ParsedAddress(
            province,
            province_code,
            city,
            city_code,
            district_name,
            district_code,
            rest,
            round(confidence, 2) if district_code else 0.0,
            tuple(warnings),
        )

    def _disambiguate(self, text: str, nodes: list[_Node], chosen: _Node, units: list[_Unit]) -> _Unit | None:
        """Pick one of several same-named units by a city named after it (普陀区舟山…) or by the
        town that follows it (江北区洪塘…); None when neither settles it."""
        later = {node.unit.code for node in nodes if node.start >= chosen.end}
        inside = [unit for unit in units if unit.ancestors & later]
        if len(inside) == 1:
            return inside[0]
        town_units = self._towns_at(text[chosen.end :].lstrip(SEPARATORS))
        matching = [unit for unit in units if unit in town_units]
        return matching[0] if len(matching) == 1 else None

    def _district_of_town(self, rest: str, region: _Unit) -> _Unit | None:
        """The one district of ``region`` that has a town with the name that opens ``rest``."""
        matching = [unit for unit in self._towns_at(rest) if region.code in unit.ancestors]
        return matching[0] if len(matching) == 1 else None

    def _towns_at(self, text: str) -> tuple[_Unit, ...]:
        """Districts having a town named at the start of ``text`` (longest name; not a street)."""
        for length in self._town_lengths:
            if length > len(text):
                continue
            units = self._towns.get(text[:length])
            if units is not None and _follower(text, length) is not _Follower.PLACE:
                return units
        return ()

    def __repr__(self) -> str:
        return f"AddressParser({len(self._names)} names)"


def _follower(text: str, end: int) -> _Follower:
    match = AFTER_SHORT_NAME.match(text, end)
    if match is None:
        return _Follower.NOTHING
    return _Follower.PLACE if match.lastgroup == "place" else _Follower.TOWN


def _best_chains(text: str, nodes: list[_Node]) -> tuple[list[int], list[int]]:
    """Each node's predecessor in the heaviest chain of nested units ending there, and the
    winning nodes: the readings of the winning name that score as well as the best one (several
    when the name is ambiguous: 朝阳区 in Beijing and Changchun; 吉林 the province and the city).

    A weak node needs an adjacent ancestor before it; otherwise it cannot end a chain.
    """
    scores: list[int] = []
    links: list[int] = []
    best_key: tuple[int, ...] = (0,)
    best = -1
    for j, node in enumerate(nodes):
        score = 0 if node.weak else node.weight
        link = -1
        ancestors = node.unit.ancestors
        for i in range(j) if ancestors else ():
            previous = nodes[i]
            if scores[i] == 0 or previous.end > node.start or previous.unit.code not in ancestors:
                continue
            if node.weak and text[previous.end : node.start].strip(SEPARATORS):
                continue
            if scores[i] + node.weight >= score:  # on a tie the later context: a restated address
                score, link = scores[i] + node.weight, i
        scores.append(score)
        links.append(link)
        if score:
            # Equal scores: the deeper unit (宁波市萧山区 names a district); then the chain whose
            # context starts later, a restated address; then the earlier name.
            key = (score, node.unit.level, nodes[link].start if link >= 0 else -1, -node.start)
            if key > best_key:
                best_key, best = key, j
    if best < 0:
        return links, []
    start, score = nodes[best].start, scores[best]
    winners = [k for k, node in enumerate(nodes) if node.start == start and scores[k] == score]
    # Today's name beats the same name abolished elsewhere (双桥区: 承德, not old 重庆).
    current = [k for k in winners if not nodes[k].target.historical]
    return links, current or winners


def _rest(text: str, nodes: list[_Node], links: list[int], chosen_index: int, own: frozenset[str]) -> str:
    """The address without its division names: the text after the chain, skipping names that
    repeat the chain's own units (``own``), plus a non-division prefix glued to the chain
    (春华街道天津市…)."""
    chain_start = nodes[chosen_index].start
    link = links[chosen_index]
    while link >= 0:
        chain_start = nodes[link].start
        link = links[link]
    cursor = nodes[chosen_index].end
    for node in nodes:
        if node.start < cursor or node.unit.code not in own:
            continue
        if text[cursor : node.start].strip(SEPARATORS):
            break
        cursor = node.end
    rest = text[cursor:].strip(SEPARATORS)
    glued = chain_start and text[chain_start - 1] not in SEPARATORS
    if glued and not any(node.start < chain_start and not node.weak for node in nodes):
        rest = text[:chain_start].rsplit(" ", 1)[-1] + rest
    return rest


def _conflicts(nodes: list[_Node], before: int, unit: _Unit) -> bool:
    """Whether a province or city confidently named before ``before`` lies outside the chosen
    unit (names after it belong to the detail: 黄浦区温州商会大厦)."""
    own = unit.lineage
    conflicting_spans: dict[int, bool] = {}
    for node in nodes:
        if node.start >= before or node.weak or node.unit.level >= unit.level:
            continue
        consistent = node.unit.code in own
        conflicting_spans[node.start] = conflicting_spans.get(node.start, True) and not consistent
    return any(conflicting_spans.values())


def _ambiguous(units: list[_Unit], rest: str) -> ParsedAddress:
    """Keep only the levels every candidate agrees on; never pick one candidate."""
    shared: list[str | None] = []
    warnings = []
    for warning, name_column in (
        (ParseWarning.AMBIGUOUS_PROVINCE, 0),
        (ParseWarning.AMBIGUOUS_CITY, 2),
        (ParseWarning.AMBIGUOUS_DISTRICT, 4),
    ):
        codes = {unit.fields[name_column + 1] for unit in units}
        if len(codes) == 1:
            shared += units[0].fields[name_column : name_column + 2]
        else:
            shared += (None, None)
            warnings.append(warning)
    province, province_code, city, city_code, district, district_code = shared
    candidates = tuple(sorted({code for unit in units if (code := unit.fields[5])}))
    return ParsedAddress(
        province,
        province_code,
        city,
        city_code,
        district,
        district_code,
        rest,
        warnings=tuple(warnings),
        district_candidates=candidates if ParseWarning.AMBIGUOUS_DISTRICT in warnings else (),
    )


@cache
def default_parser() -> AddressParser:
    """The parser over the packaged division table, built once per process."""
    return AddressParser()
