"""The arithmetic of a statement, on columns (NumPy int64), with one rounding rule.

**Rounding rule** (the only one): a commission line is ``base_fen × rate_bps / 10 000`` rounded
half up to a whole fen, per line: ``(base × bps + 5 000) // 10 000`` (bases and rates are never
negative). A clawback is exactly the negative of the commission line it reverses; fees and
penalties are whole fen from the agreement; totals are plain integer sums of the lines, so a
statement always equals the sum of its lines and no fen is created or lost by rounding totals.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from livebridge.models import LineKind, RefType

Int64 = npt.NDArray[np.int64]
BPS_DENOMINATOR = 10_000


def commission_fen(base_fen: Int64, rate_bps: Int64) -> Int64:
    """Half-up rounding to the fen, per line (see the module docstring)."""
    if base_fen.size and (int(base_fen.min()) < 0 or int(rate_bps.min()) < 0):
        raise ValueError("commission bases and rates are never negative")
    result: Int64 = (base_fen * rate_bps + BPS_DENOMINATOR // 2) // BPS_DENOMINATOR
    return result


def rates_at(paid_at: Int64, effective_from: Int64, rates: Int64) -> Int64:
    """The rate of the agreement version in force at each moment (versions sorted by ``effective_from``).

    ``paid_at`` and ``effective_from`` are epoch seconds. A moment before the first version gets -1.
    """
    index = np.searchsorted(effective_from, paid_at, side="right") - 1
    found: Int64 = np.where(index >= 0, rates[np.clip(index, 0, None)], -1).astype(np.int64)
    return found


@dataclass
class Lines:
    """Statement lines as columns, in their final order."""

    ref_type: list[RefType] = field(default_factory=list)
    ref_id: list[Int64] = field(default_factory=list)
    ref_label: list[str] = field(default_factory=list)
    base_fen: list[Int64] = field(default_factory=list)
    rate_bps: list[Int64] = field(default_factory=list)  # -1: no rate
    amount_fen: list[Int64] = field(default_factory=list)
    agreement_id: list[Int64] = field(default_factory=list)  # -1: none
    adjusts_statement_id: list[Int64] = field(default_factory=list)  # -1: none
    adjusted_kind: list[str | None] = field(default_factory=list)
    _kinds: list[tuple[LineKind, int]] = field(default_factory=list)

    def add(
        self,
        kind: LineKind,
        ref_type: RefType | list[RefType],
        ref_id: Int64,
        labels: list[str],
        base_fen: Int64,
        rate_bps: Int64,
        amount_fen: Int64,
        agreement_id: Int64,
        *,
        adjusts_statement_id: Int64 | None = None,
        adjusted_kind: list[str | None] | None = None,
    ) -> None:
        count = len(ref_id)
        if count == 0:
            return
        order = np.argsort(ref_id, kind="stable")  # a stable, data-only order: re-runs are identical
        self._kinds.append((kind, count))
        self.ref_type.extend([ref_type] * count if isinstance(ref_type, RefType) else [ref_type[i] for i in order])
        self.ref_id.append(ref_id[order])
        self.ref_label.extend(labels[i] for i in order)
        self.base_fen.append(base_fen[order])
        self.rate_bps.append(rate_bps[order])
        self.amount_fen.append(amount_fen[order])
        self.agreement_id.append(agreement_id[order])
        none = np.full(count, -1, dtype=np.int64)
        self.adjusts_statement_id.append(none if adjusts_statement_id is None else adjusts_statement_id[order])
        self.adjusted_kind.extend([None] * count if adjusted_kind is None else [adjusted_kind[i] for i in order])

    def kinds(self) -> list[LineKind]:
        return [kind for kind, count in self._kinds for _ in range(count)]

    def kind_values(self) -> list[str]:
        """The kinds as stored (one list multiplication per run of lines, not an enum lookup per line)."""
        values: list[str] = []
        for kind, count in self._kinds:
            values += [kind.value] * count
        return values

    def column(self, name: str) -> Int64:
        parts: list[Int64] = getattr(self, name)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return sum(count for _, count in self._kinds)

    def totals(self) -> dict[LineKind, int]:
        totals = dict.fromkeys(LineKind, 0)
        for (kind, _), amounts in zip(self._kinds, self.amount_fen, strict=True):
            totals[kind] += int(amounts.sum())
        return totals

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for kind, count in self._kinds:
            digest.update(f"{kind}:{count};".encode())
        for name in ("ref_id", "base_fen", "rate_bps", "amount_fen", "agreement_id", "adjusts_statement_id"):
            digest.update(self.column(name).tobytes())
        digest.update("\x1f".join(self.ref_label).encode())
        digest.update("\x1f".join(k or "" for k in self.adjusted_kind).encode())
        return digest.hexdigest()
