"""The hash rule of the audit chain and the check of a stored chain (pure: no database).

An entry's hash is SHA-256 over the UTF-8 bytes of the compact JSON array
``[prev_hash, tenant_id, kind, reference, recorded_at, payload]`` (``json.dumps`` with
``ensure_ascii=False, separators=(",", ":")``), where ``recorded_at`` is the UTC time as
``YYYY-MM-DDTHH:MM:SS.ffffffZ`` and ``payload`` is the stored canonical JSON text. The first entry
of a tenant points at ``GENESIS_HASH``. Anyone with the rows can recompute the chain with this rule.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring as _string
from typing import Any, Final, Literal

GENESIS_HASH: Final = "0" * 64

ProblemKind = Literal["changed", "removed", "reordered", "rewritten"]


_SCALARS: Final = frozenset({str, int, bool, type(None)})


def _check_value(value: Any, path: str) -> None:
    """Only JSON-native values whose text is the same in every language: no floats, no NaN."""
    kind = type(value)
    if kind in _SCALARS:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError(f"audit payload key {path}.{key!r} must be a string")
            if type(item) not in _SCALARS:
                _check_value(item, f"{path}.{key}")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_value(item, f"{path}[{index}]")
        return
    raise TypeError(f"audit payload value at {path} is a {kind.__name__}: use int (fen, basis points), str or bool")


def canonical_json(payload: Mapping[str, Any]) -> str:
    """Sorted keys, no spaces, UTF-8 text: one payload has exactly one text."""
    _check_value(payload, "$")
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def timestamp_text(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC (isoformat: a few times faster than strftime)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def entry_hash(prev_hash: str, tenant_id: int, kind: str, reference: str, recorded_at: datetime, payload: str) -> str:
    """SHA-256 of the compact JSON array above, built from its parts.

    The same bytes as ``json.dumps([...], ensure_ascii=False, separators=(",", ":"))`` (a test checks
    this on arbitrary text), without the encoder's per-call overhead: verify hashes every entry.
    """
    material = (
        f"[{_string(prev_hash)},{int(tenant_id)},{_string(kind)},{_string(reference)},"
        f"{_string(timestamp_text(recorded_at))},{_string(payload)}]"
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredEntry:
    seq: int
    kind: str
    reference: str
    payload: str
    recorded_at: datetime
    prev_hash: str
    entry_hash: str


@dataclass(frozen=True)
class Problem:
    """The first entry found changed, removed or reordered, and what tells so."""

    seq: int
    kind: ProblemKind
    message: str


@dataclass(frozen=True)
class LinkBreak:
    """An entry whose own hash is right but which does not point at its predecessor.

    The caller looks up which stored entry (if any) has ``points_at`` as its hash, to tell a
    reordering from a rewritten predecessor.
    """

    seq: int
    points_at: str


class ChainWalker:
    """Walks a tenant's entries in sequence order and stops at the first inconsistency."""

    def __init__(self, tenant_id: int, checkpoints: Mapping[int, str]) -> None:
        self.tenant_id = tenant_id
        self.checkpoints = dict(checkpoints)
        self.expected_seq = 1
        self.last_hash = GENESIS_HASH
        self.count = 0
        self._last_good_checkpoint = 0

    def feed(self, entry: StoredEntry) -> Problem | LinkBreak | None:
        if entry.seq > self.expected_seq:
            missing = (
                f"entry {self.expected_seq}"
                if entry.seq == self.expected_seq + 1
                else f"entries {self.expected_seq}–{entry.seq - 1}"
            )
            return Problem(self.expected_seq, "removed", f"{missing} missing: the chain jumps to {entry.seq}")
        recomputed = entry_hash(
            entry.prev_hash, self.tenant_id, entry.kind, entry.reference, entry.recorded_at, entry.payload
        )
        if recomputed != entry.entry_hash:
            return Problem(
                entry.seq, "changed", f"entry {entry.seq} ({entry.kind} {entry.reference}) does not match its hash"
            )
        if entry.prev_hash != self.last_hash:
            return LinkBreak(entry.seq, entry.prev_hash)
        recorded = self.checkpoints.get(entry.seq)
        if recorded is not None and recorded != entry.entry_hash:
            return Problem(
                entry.seq,
                "rewritten",
                f"the chain up to entry {entry.seq} differs from the checkpoint taken there: entries "
                f"{self._last_good_checkpoint + 1}–{entry.seq} were rewritten with new hashes",
            )
        if recorded is not None:
            self._last_good_checkpoint = entry.seq
        self.last_hash = entry.entry_hash
        self.expected_seq = entry.seq + 1
        self.count += 1
        return None

    def explain_break(self, link: LinkBreak, pointed_seq: int | None) -> Problem:
        if pointed_seq is not None:
            return Problem(
                link.seq,
                "reordered",
                f"entry {link.seq} was written right after the entry now at {pointed_seq}, "
                f"not after entry {link.seq - 1}",
            )
        return Problem(
            link.seq - 1,
            "changed",
            f"entry {link.seq - 1} was rewritten together with its hash (entry {link.seq} still points at "
            "the original), or entries before it were removed and the rest renumbered",
        )

    def finish(self, head_seq: int, head_hash: str) -> Problem | None:
        """Compare the end of the walk with the head row, which also knows about a removed tail."""
        last_seq = self.expected_seq - 1
        if head_seq > last_seq:
            missing = f"entry {head_seq}" if head_seq == last_seq + 1 else f"entries {last_seq + 1}–{head_seq}"
            return Problem(last_seq + 1, "removed", f"{missing} missing at the end of the chain")
        if head_seq < last_seq:
            return Problem(
                head_seq + 1, "changed", f"entries {head_seq + 1}–{last_seq} lie beyond the recorded chain head"
            )
        if head_hash != self.last_hash:
            return Problem(last_seq, "changed", f"the last entry {last_seq} differs from the recorded chain head")
        return None
