"""The division table: GB/T 2260 units, the names buyers write for them, and the change history.

The table is read from ``data/divisions.txt``, which ``build_divisions`` generates from the shared
statistical codes; see that module for the file format and what is left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import IntEnum
from importlib import resources
from typing import NamedTuple

__all__ = ["AliasKind", "Division", "DivisionTable", "Level", "NameTarget", "load_division_table"]

MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})


class Level(IntEnum):
    PROVINCE = 0
    CITY = 1
    DISTRICT = 2


class AliasKind(IntEnum):
    FULL = 0  # today's official name: 萧山区
    SHORT = 1  # a short form or suffix variant: 萧山, 萧山县
    HISTORICAL = 2  # a name from before a rename or merger: 江干区
    HISTORICAL_SHORT = 3  # its short form: 江干


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    name: str
    level: Level
    parent_code: str | None


class NameTarget(NamedTuple):
    """One unit a written name may refer to."""

    code: str
    kind: AliasKind
    # A name so common (城区, 东区) that it means this unit only right after its own city.
    generic: bool
    # Pieces of the named area that now belong elsewhere: ((place keyword, today's code), ...),
    # e.g. 江干区 下沙 → 钱塘区, 余杭区 临平 → 临平区.
    moved_parts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class DivisionTable:
    units: dict[str, Division]
    names: dict[str, tuple[NameTarget, ...]]
    parent_codes: frozenset[str]
    # Township-level names without suffix (洪塘 for 洪塘街道) per county-level code.
    towns: dict[str, tuple[str, ...]]
    # Traditional → simplified characters (廣 → 广).
    simplified: dict[str, str]

    def province_of(self, code: str) -> Division:
        return self.units[code[:2] + "0000"]

    def city_of(self, code: str) -> Division | None:
        """The prefecture-level unit: the province for municipalities, the unit itself for a
        county-level unit under a province (仙桃市), None for a province."""
        unit = self.units[code]
        if code in MUNICIPALITIES or code[:2] + "0000" in MUNICIPALITIES:
            return self.province_of(code)
        if unit.level == Level.PROVINCE:
            return None
        if unit.level == Level.CITY:
            return unit
        parent = self.units[unit.parent_code] if unit.parent_code else None
        return parent if parent is not None and parent.level == Level.CITY else unit

    def ancestor_codes(self, code: str) -> frozenset[str]:
        ancestors: set[str] = set()
        parent = self.units[code].parent_code
        while parent:
            ancestors.add(parent)
            parent = self.units[parent].parent_code
        return frozenset(ancestors)

    def has_children(self, code: str) -> bool:
        return code in self.parent_codes


def level_of(code: str) -> Level:
    if code.endswith("0000"):
        return Level.PROVINCE
    return Level.CITY if code.endswith("00") else Level.DISTRICT


def parse_table(text: str) -> DivisionTable:
    units: dict[str, Division] = {}
    names: dict[str, list[NameTarget]] = defaultdict(list)
    splits: dict[str, tuple[tuple[str, str], ...]] = {}
    towns: dict[str, tuple[str, ...]] = {}
    simplified: dict[str, str] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        if fields[0] == "U":
            _, code, parent, name, aliases, flags = fields
            generic = "g" in flags
            units[code] = Division(code, name, level_of(code), parent or None)
            names[name].append(NameTarget(code, AliasKind.FULL, generic))
            for alias in filter(None, aliases.split(",")):
                names[alias].append(NameTarget(code, AliasKind.SHORT, generic))
        elif fields[0] == "T":
            _, code, names_field = fields
            towns[code] = tuple(names_field.split(","))
        elif fields[0] == "C":
            _, traditional, simplified_chars = fields
            simplified = dict(zip(traditional, simplified_chars, strict=True))
        elif fields[0] == "H":
            _, old_name, aliases, _level, _region, _year, successor, parts, flags, _note = fields
            moved = tuple(_split_pair(part) for part in parts.split(",")) if parts else ()
            if units[successor].name == old_name:  # a split: the name is still today's
                splits[successor] = moved
                continue
            generic = "g" in flags
            names[old_name].append(NameTarget(successor, AliasKind.HISTORICAL, generic, moved))
            for alias in filter(None, aliases.split(",")):
                names[alias].append(NameTarget(successor, AliasKind.HISTORICAL_SHORT, generic, moved))
        else:
            raise ValueError(f"unknown row kind in division table: {line[:40]!r}")
    frozen_names = {
        name: tuple(
            target._replace(moved_parts=splits[target.code])
            if target.code in splits and target.kind in (AliasKind.FULL, AliasKind.SHORT)
            else target
            for target in targets
        )
        for name, targets in names.items()
    }
    parent_codes = frozenset(unit.parent_code for unit in units.values() if unit.parent_code)
    return DivisionTable(units, frozen_names, parent_codes, towns, simplified)


def _split_pair(part: str) -> tuple[str, str]:
    place, code = part.split("=", 1)
    return place, code


def load_division_table() -> DivisionTable:
    """Load the table packaged with ``livebridge.geo``."""
    packaged = resources.files("livebridge.geo").joinpath("data/divisions.txt")
    return parse_table(packaged.read_text(encoding="utf-8"))
