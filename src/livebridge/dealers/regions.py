"""GB/T 2260 region codes as the dealer network uses them: valid codes, levels, names, the chain upwards."""

from __future__ import annotations

import functools

from livebridge.geo.divisions import DivisionTable, Level, load_division_table
from livebridge.models import RegionLevel

LEVELS = {Level.PROVINCE: RegionLevel.PROVINCE, Level.CITY: RegionLevel.CITY, Level.DISTRICT: RegionLevel.DISTRICT}


@functools.cache
def divisions() -> DivisionTable:
    return load_division_table()


def region_level(code: str) -> RegionLevel | None:
    """The level of a known code, or None for a code that is not in the table."""
    unit = divisions().units.get(code)
    return LEVELS[unit.level] if unit is not None else None


def region_name(code: str | None) -> str:
    """``330106`` → ``浙江省 杭州市 西湖区`` (the full chain, for people to read)."""
    if not code:
        return "—"
    return " ".join(divisions().units[c].name for c in reversed(region_chain(code))) or code


def region_chain(code: str) -> list[str]:
    """The code and the units above it, most specific first: district, city, province (no repeats).

    Municipalities have no separate city: 110105 → [110105, 110000].
    """
    table = divisions()
    if code not in table.units:
        return []
    chain = [code]
    city = table.city_of(code)
    for upper in (city.code if city else None, table.province_of(code).code):
        if upper is not None and upper not in chain:
            chain.append(upper)
    return chain
