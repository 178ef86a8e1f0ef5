"""District-level accuracy on a frozen slice of the NAACL-2019 dev set stays above a floor.

The slice is the first 500 addresses of ``dev.txt``, scored exactly as ``bench/geo_parse.py``
scores the whole set (the bench module is loaded from its file). Skipped when the shared data
folder is absent.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from livebridge.geo import default_parser
from livebridge.geo.divisions import load_division_table

BENCH_SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "geo_parse.py"
SLICE = 500
ACCURACY_FLOOR = 0.97


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("geo_parse_bench", BENCH_SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def test_dev_slice_accuracy() -> None:
    bench = load_bench()
    data = bench.shared_data_dir()
    dev = data / bench.ADDRESS_SET / "dev.txt"
    if not dev.is_file():
        pytest.skip(f"NAACL-2019 address set not found under {data}")
    records = bench.load_records(dev)[:SLICE]
    mapper = bench.GoldMapper(load_division_table(), data / bench.DIVISIONS / "streets.csv")
    golds = [mapper.gold_codes(record)[0] for record in records]
    contender = bench.livebridge_contender(default_parser())
    score = bench.evaluate(contender, records, golds, mapper, repeats=1, time_one_by_one=False)
    assert score.scored > 300  # the gold mapping still finds the districts
    assert score.accuracy >= ACCURACY_FLOOR, score.errors
