"""District-level accuracy and speed of livebridge.geo against cpca on the NAACL-2019 address set.

    .venv/bin/python bench/geo_parse.py [--splits dev train] [--repeats 3] [--errors 0]

Data: ``chinese-address-parsing-naacl2019`` (one character or digit run per line with a BIO label,
blank line between addresses) from the shared data folder (``LIVEBRIDGE_SHARED_DATA_DIR`` or
``../shared/data`` next to the repository).

Gold label → code mapping (identical for both parsers; docs/geo.md explains it with examples):

1. Which records count: those whose text contains a county-level unit, i.e. with a gold
   ``district`` span, or, failing that, a ``city`` span that names a county-level unit (the set
   labels county-level cities such as 义乌市 or 温岭市 as ``city``).
2. A span is looked up in the division table by its official name, short form or suffix variant
   (义乌, 义乌县) and by the rename table (江干区 → 上城区), keeping only county-level units. A
   record with several district spans (金华义乌北苑区) keeps every span that resolves.
3. Candidates are narrowed with the record's own gold ``prov`` and ``city`` spans. None left
   (the labels contradict each other: 菏泽市鄂城县, 福建省南平市蒲城县): excluded as
   gold-inconsistent. Several left (江北区 without a city): the gold ``town`` span is looked up
   among each candidate's streets (streets.csv); still several: excluded as gold-ambiguous. No
   candidate at all (北苑区 is a street, 北部新区 a development zone, typos): excluded as not a
   division.
4. A unit that lost territory since the labels were made accepts its successors too: gold 江干区
   accepts 上城区 and 钱塘区, gold 余杭区 accepts 余杭区 and 临平区.
5. Predictions are mapped the same way: a code that no longer exists (cpca's 2020 table still has
   江干区 330104) is looked up by the predicted name inside the predicted city. A prediction is
   correct when it is one of the gold codes; no district is counted as wrong ("abstained").

Speed: every address of the split (with or without a district) on one pinned core, best of
``--repeats`` runs after a warm-up, two ways: "batch" passes the whole split in one call
(``parse_many``; ``cpca.transform(list)``, which builds one pandas DataFrame), "per call" passes
one address per call (``parse``; ``cpca.transform([address])``), as a stream of orders would.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from livebridge.geo import AddressParser
from livebridge.geo.divisions import DivisionTable, Level, load_division_table

REPO_ROOT = Path(__file__).resolve().parents[1]
ADDRESS_SET = "chinese-address-parsing-naacl2019"
DIVISIONS = "china-admin-divisions"


def shared_data_dir() -> Path:
    configured = os.environ.get("LIVEBRIDGE_SHARED_DATA_DIR")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"


@dataclass(frozen=True)
class Record:
    text: str
    spans: tuple[tuple[str, str], ...]  # (label, surface text) in order

    def spans_of(self, label: str) -> list[str]:
        return [surface for kind, surface in self.spans if kind == label]


def load_records(path: Path) -> list[Record]:
    records: list[Record] = []
    tokens: list[tuple[str, str]] = []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.strip():
            token, label = line.rsplit(" ", 1)
            tokens.append((token, label))
            continue
        if not tokens:
            continue
        spans: list[list[str]] = []
        for token, label in tokens:
            kind = label[2:] if label != "O" else "O"
            if label.startswith("B-") or label == "O" or not spans or spans[-1][0] != kind:
                spans.append([kind, ""])
            spans[-1][1] += token
        records.append(Record("".join(token for token, _ in tokens), tuple((k, s) for k, s in spans)))
        tokens = []
    return records


class GoldMapper:
    """Turns a record's gold labels into the set of district codes that count as correct."""

    def __init__(self, table: DivisionTable, streets_csv: Path) -> None:
        self.table = table
        self.successors: dict[str, set[str]] = defaultdict(set)
        for targets in table.names.values():
            for target in targets:
                self.successors[target.code].update(code for _, code in target.moved_parts)
        self.streets: dict[str, list[str]] = defaultdict(list)  # district code → street names
        with streets_csv.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                self.streets[row["areaCode"]].append(row["name"])

    def codes_named(self, name: str, level: Level) -> set[str]:
        """Codes of units at ``level`` (a childless prefecture counts as a district) with this name."""
        found = set()
        for target in self.table.names.get(name, ()):
            unit = self.table.units[target.code]
            unit_level = unit.level
            if unit_level == Level.CITY and level == Level.DISTRICT and not self.table.has_children(unit.code):
                unit_level = Level.DISTRICT
            if unit_level == level:
                found.add(target.code)
        return found

    def accepted(self, code: str) -> set[str]:
        return {code, *self.successors.get(code, ())}

    def gold_codes(self, record: Record) -> tuple[set[str] | None, str]:
        """(acceptable codes, "") or (None, why the record is not scored)."""
        district_spans = record.spans_of("district")
        if not district_spans:
            district_spans = [s for s in record.spans_of("city") if self.codes_named(s, Level.DISTRICT)]
        if not district_spans:
            return None, "no district in text"
        context = set()
        for span in record.spans_of("prov"):
            context |= self.codes_named(span, Level.PROVINCE)
        for span in record.spans_of("city"):
            context |= self.codes_named(span, Level.CITY)
        gold: set[str] = set()
        reason = "not a division"
        for span in district_spans:
            candidates = self.codes_named(span, Level.DISTRICT)
            if not candidates:
                continue
            candidates = {c for c in candidates if not context or context & self.lineage(c)}
            if not candidates:
                reason = "gold-inconsistent"
                continue
            if len(candidates) > 1:
                candidates = self.narrow_by_town(candidates, record.spans_of("town")) or candidates
            if len(candidates) > 1:
                reason = "gold-ambiguous"
                continue
            gold |= self.accepted(candidates.pop())
        return (gold, "") if gold else (None, reason)

    def lineage(self, code: str) -> set[str]:
        return {code, *self.table.ancestor_codes(code)}

    def narrow_by_town(self, candidates: set[str], towns: list[str]) -> set[str]:
        return {
            code
            for code in candidates
            if any(street.startswith(town) for town in towns for street in self.streets.get(code, ()))
        }

    def normalise_prediction(self, code: str | None, name: str | None) -> set[str]:
        """Today's codes for a predicted district: itself if current, else looked up by name."""
        if not code:
            return set()
        if code in self.table.units:
            return {code}
        by_name = self.codes_named(name or "", Level.DISTRICT)
        same_city = {c for c in by_name if c[:4] == code[:4]} or {c for c in by_name if c[:2] == code[:2]}
        return same_city if len(same_city) == 1 else set()


Prediction = tuple[str | None, str | None]  # district code and name, or (None, None)
Predict = Callable[[Sequence[str]], list[Prediction]]


@dataclass(frozen=True)
class Contender:
    name: str
    batch: Predict  # a whole list in, a list of predictions out
    one: Callable[[str], object]  # one address per call, as a stream of orders would


def livebridge_contender(parser: AddressParser) -> Contender:
    def batch(texts: Sequence[str]) -> list[Prediction]:
        return [(parsed.district_code, parsed.district) for parsed in parser.parse_many(texts)]

    return Contender("livebridge.geo", batch, parser.parse)


def cpca_contender() -> Contender:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pkg_resources deprecation
        import cpca

    def batch(texts: Sequence[str]) -> list[Prediction]:
        frame = cpca.transform(list(texts))
        results: list[Prediction] = []
        for adcode, district in zip(frame["adcode"], frame["区"], strict=True):
            is_district = isinstance(adcode, str) and not adcode.endswith("00")
            results.append((adcode, district) if is_district else (None, None))
        return results

    def one(text: str) -> object:
        return cpca.transform([text])

    return Contender(f"cpca {cpca.__version__}", batch, one)


@dataclass
class Score:
    scored: int = 0
    correct: int = 0
    abstained: int = 0
    batch_per_second: float = 0.0
    one_per_second: float = 0.0
    errors: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.scored if self.scored else 0.0

    @property
    def wrong(self) -> int:
        return self.scored - self.correct - self.abstained


def best_seconds(work: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def evaluate(
    contender: Contender,
    records: list[Record],
    golds: list[set[str] | None],
    mapper: GoldMapper,
    repeats: int,
    time_one_by_one: bool = True,
) -> Score:
    texts = [record.text for record in records]
    contender.batch(texts[:10])  # warm up: cpca imports pandas on its first call
    predictions = contender.batch(texts)
    score = Score(batch_per_second=len(texts) / best_seconds(lambda: contender.batch(texts), repeats))
    if time_one_by_one:
        one = contender.one
        score.one_per_second = len(texts) / best_seconds(lambda: [one(text) for text in texts], repeats)
    for record, gold, (code, name) in zip(records, golds, predictions, strict=True):
        if gold is None:
            continue
        score.scored += 1
        predicted = mapper.normalise_prediction(code, name)
        if predicted & gold:
            score.correct += 1
            continue
        if not predicted:
            score.abstained += 1
        score.errors.append((record.text, f"{code} {name}", ",".join(sorted(gold))))
    return score


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    return "not pinned"


def main(argv: list[str] | None = None) -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    options.add_argument("--splits", nargs="+", default=["dev", "train"])
    options.add_argument("--repeats", type=int, default=3)
    options.add_argument("--errors", type=int, default=0, help="print this many errors per parser and split")
    args = options.parse_args(argv)

    data = shared_data_dir()
    if not (data / ADDRESS_SET).is_dir():
        sys.exit(f"address set not found under {data}; set LIVEBRIDGE_SHARED_DATA_DIR")
    core = pin_to_one_core()
    mapper = GoldMapper(load_division_table(), data / DIVISIONS / "streets.csv")
    contenders = [livebridge_contender(AddressParser()), cpca_contender()]
    print(f"python {sys.version.split()[0]}, {core}, best of {args.repeats} runs")
    print("addresses/s: batch = the whole split in one call; per call = one address per call")
    header = (
        f"{'split':<6}{'parser':<16}{'district accuracy':>26}{'wrong':>7}{'no answer':>11}"
        f"{'batch/s':>11}{'per call/s':>12}"
    )
    for split in args.splits:
        records = load_records(data / ADDRESS_SET / f"{split}.txt")
        mapped = [mapper.gold_codes(record) for record in records]
        golds = [gold for gold, _ in mapped]
        reasons: dict[str, int] = defaultdict(int)
        for _, reason in mapped:
            reasons[reason or "scored"] += 1
        print(f"\n{split}: {len(records)} addresses; " + ", ".join(f"{k}: {v}" for k, v in sorted(reasons.items())))
        print(header)
        scores = [evaluate(contender, records, golds, mapper, args.repeats) for contender in contenders]
        for contender, score in zip(contenders, scores, strict=True):
            accuracy = f"{score.accuracy:.2%} ({score.correct}/{score.scored})"
            print(
                f"{split:<6}{contender.name:<16}{accuracy:>26}{score.wrong:>7}{score.abstained:>11}"
                f"{score.batch_per_second:>11,.0f}{score.one_per_second:>12,.0f}"
            )
        ours, theirs = scores
        print(
            f"{split:<6}{'ratio':<16}{ours.accuracy / theirs.accuracy:>25.3f}x{'':>18}"
            f"{ours.batch_per_second / theirs.batch_per_second:>10.2f}x"
            f"{ours.one_per_second / theirs.one_per_second:>11.1f}x"
        )
        for contender, score in zip(contenders, scores, strict=True):
            for text, predicted, gold in score.errors[: args.errors]:
                print(f"  {contender.name} {split} ERR {text} | predicted {predicted} | gold {gold}")


if __name__ == "__main__":
    main()
