"""File imports (NDJSON or CSV) cut into batches for the one ingest service.

CSV columns are the event's field names; empty cells are absent fields, and the numeric fields
are read as integers so the same validation applies to both formats.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import orjson

from livebridge.ingest.service import MAX_BATCH_EVENTS

INTEGER_FIELDS: Final = frozenset({"count", "quantity", "amount_fen", "value_fen", "link_number"})
BOOLEAN_FIELDS: Final = frozenset({"is_simulated"})
Batch = list[tuple[int, bytes]]


def _csv_line(row: dict[str, str]) -> bytes:
    event: dict[str, object] = {}
    for name, value in row.items():
        if not name or value is None or value == "":
            continue
        if name in INTEGER_FIELDS:
            try:
                event[name] = int(value)
            except ValueError:
                event[name] = value  # left for validation to name the field
        elif name in BOOLEAN_FIELDS:
            event[name] = value.strip().lower() in {"1", "true", "yes"}
        else:
            event[name] = value
    return orjson.dumps(event)


def _numbered_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                yield reader.line_num, _csv_line(row)
        return
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line.rstrip(b"\r\n")


def read_batches(path: Path, batch_size: int = MAX_BATCH_EVENTS) -> Iterator[Batch]:
    """Batches of (line number in the file, one event as JSON), in file order."""
    batch: Batch = []
    for item in _numbered_lines(path):
        batch.append(item)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch
