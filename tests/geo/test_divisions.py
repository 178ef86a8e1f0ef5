"""The packaged division table: consistent, small, documented, and reproducible from its source."""

from __future__ import annotations

from pathlib import Path

import pytest

from livebridge.geo import build_divisions
from livebridge.geo.divisions import AliasKind, DivisionTable, Level, load_division_table


@pytest.fixture(scope="module")
def table() -> DivisionTable:
    return load_division_table()


def test_levels_and_parents(table: DivisionTable) -> None:
    counts = {level: sum(unit.level == level for unit in table.units.values()) for level in Level}
    assert counts[Level.PROVINCE] == 34  # 31 in the statistics, plus 台湾, 香港, 澳门
    assert counts[Level.CITY] > 330
    assert counts[Level.DISTRICT] > 2800
    for unit in table.units.values():
        assert len(unit.code) == 6
        assert unit.code.isdigit()
        if unit.level == Level.PROVINCE:
            assert unit.parent_code is None
            continue
        assert unit.parent_code is not None
        parent = table.units[unit.parent_code]
        assert parent.level < unit.level
        assert unit.code.startswith(parent.code[:2])


def test_no_placeholders_or_development_zones(table: DivisionTable) -> None:
    names = {unit.name for unit in table.units.values()}
    assert not names & {"市辖区", "县", "省直辖县级行政区划", "苏州工业园区"}


def test_aliases(table: DivisionTable) -> None:
    def codes(name: str) -> set[str]:
        return {target.code for target in table.names[name]}

    assert codes("内蒙") == {"150000"}
    assert codes("萧山") == {"330109"}
    assert codes("朝阳区") == {"110105", "220104"}
    assert codes("恩施州") == {"422800"}
    assert "阜新" not in {alias for alias, targets in table.names.items() if "210921" in {t.code for t in targets}}


def test_renames_point_to_current_units(table: DivisionTable) -> None:
    historical = [
        (name, target)
        for name, targets in table.names.items()
        for target in targets
        if target.kind in (AliasKind.HISTORICAL, AliasKind.HISTORICAL_SHORT)
    ]
    assert len(historical) > 90
    for _, target in historical:
        assert target.code in table.units
        assert all(code in table.units for _, code in target.moved_parts)
    assert {target.code for target in table.names["江干区"]} == {"330102"}
    assert dict(table.names["江干区"][0].moved_parts)["下沙"] == "330114"


def test_packaged_file_is_small_and_documented() -> None:
    packaged = build_divisions.PACKAGE_DATA_FILE
    assert packaged.stat().st_size < 1_000_000
    header = packaged.read_text(encoding="utf-8")[:2000]
    assert "modood/Administrative-divisions-of-China" in header
    assert "WTFPL" in header


def test_build_reproduces_the_packaged_file(tmp_path: Path) -> None:
    source = build_divisions.default_source()  # LIVEBRIDGE_SHARED_DATA_DIR or ../shared/data
    if not source.is_dir():
        pytest.skip(f"shared division data not found at {source}")
    output = tmp_path / "divisions.txt"
    build_divisions.main(["--source", str(source), "--output", str(output)])
    assert output.read_text(encoding="utf-8") == build_divisions.PACKAGE_DATA_FILE.read_text(encoding="utf-8")
