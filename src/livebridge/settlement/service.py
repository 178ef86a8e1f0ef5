"""Settlement: per dealer and period, a statement of commissions, clawbacks, ticket fees, penalties and adjustments.

Lines (each traceable to its order, ticket or missed deadline):

* **commission** — a completed live order attributed to the dealer (docs/orders.md), finished in the
  period: paid amount × the commission rate of the agreement version in force at payment, rounded
  by the one rule in ``compute.py``;
* **clawback** — a refunded order whose commission an approved statement paid, when that
  agreement claws back: exactly minus what was paid for it;
* **ticket_fee** — a ticket closed in the period: the fee of the agreement its deadlines came from;
* **penalty** — a deadline missed (found) in the period: minus the penalty recorded with it;
* **adjustment** — what an earlier approved (locked) statement settled differs from what the
  same rules give on today's data (a late import, a corrected amount): the difference, in the
  first statement computed after it, pointing at the statement it corrects.

A period must be over (its end at or before now, Asia/Shanghai days) to be settled. Computing a
period again gives the identical statement (same lines, same order, same fingerprint) while the
data are the same; an approved statement is never recomputed.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Final
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.audit import service as audit_service
from livebridge.authz import Permission, Subject
from livebridge.dealers import service as dealers_service
from livebridge.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from livebridge.kit.money import format_yuan
from livebridge.kit.time import utcnow
from livebridge.models import (
    Agreement,
    LineKind,
    RefType,
    SettlementLine,
    SettlementStatement,
    StatementStatus,
)
from livebridge.settlement.compute import Int64, Lines, commission_fen, rates_at
from livebridge.settlement.repository import (
    KINDS_SETTLED_DIRECTLY,
    SourceRepository,
    StatementRepository,
    epoch,
)

PERIOD_ZONE: Final = ZoneInfo("Asia/Shanghai")
Key = tuple[str, str, int]  # (kind, ref type, ref id)


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Midnight in Asia/Shanghai at both ends (the end is exclusive)."""
    return datetime.combine(start, time(), PERIOD_ZONE), datetime.combine(end, time(), PERIOD_ZONE)


@dataclass(frozen=True)
class _Terms:
    """A dealer's agreement versions as columns, for the version in force at each payment."""

    effective_from: Int64
    rates: Int64
    ids: Int64
    by_id: dict[int, Agreement]

    @classmethod
    def of(cls, agreements: list[Agreement]) -> _Terms:
        return cls(
            np.array([epoch(a.effective_from) for a in agreements], dtype=np.int64),
            np.array([a.commission_bps for a in agreements], dtype=np.int64),
            np.array([a.id for a in agreements], dtype=np.int64),
            {a.id: a for a in agreements},
        )


@dataclass
class _Expected:
    """What the rules give for a period on today's data: lines by key."""

    lines: Lines
    amounts: dict[Key, tuple[int, str, int, int, int]]  # key → (amount, label, base, bps, agreement id)


async def _period_lines(
    session: AsyncSession, subject: Subject, dealer_id: int, start: date, end: date, terms: _Terms, *, keyed: bool
) -> _Expected:
    sources = SourceRepository(session)
    start_at, end_at = period_bounds(start, end)
    lines = Lines()
    ids, labels, base, paid_at = await sources.completed_orders(subject, dealer_id, start_at, end_at)
    if ids.size:
        rates = rates_at(paid_at, terms.effective_from, terms.rates)
        agreements = rates_at(paid_at, terms.effective_from, terms.ids)
        covered = rates >= 0  # paid before any agreement: no commission
        if not covered.all():
            labels = [label for label, keep in zip(labels, covered, strict=True) if keep]
        ids, base, rates, agreements = ids[covered], base[covered], rates[covered], agreements[covered]
        lines.add(LineKind.COMMISSION, RefType.ORDER, ids, labels, base, rates, commission_fen(base, rates), agreements)
    tickets = await sources.closed_tickets(subject, dealer_id, start_at, end_at)
    if tickets:
        fees = np.array([terms.by_id[a].ticket_fee_fen if a in terms.by_id else 0 for _, a in tickets], dtype=np.int64)
        lines.add(
            LineKind.TICKET_FEE,
            RefType.TICKET,
            np.array([t for t, _ in tickets], dtype=np.int64),
            [f"#{t}" for t, _ in tickets],
            fees,
            np.full(len(tickets), -1, dtype=np.int64),
            fees,
            np.array([a for _, a in tickets], dtype=np.int64),
        )
    breaches = await sources.breaches(subject, dealer_id, start_at, end_at)
    if breaches:
        penalties = np.array([b[2] for b in breaches], dtype=np.int64)
        lines.add(
            LineKind.PENALTY,
            RefType.BREACH,
            np.array([b[0] for b in breaches], dtype=np.int64),
            [f"#{b[1]}" for b in breaches],
            penalties,
            np.full(len(breaches), -1, dtype=np.int64),
            -penalties,
            np.array([b[3] if b[3] is not None else -1 for b in breaches], dtype=np.int64),
        )
    amounts: dict[Key, tuple[int, str, int, int, int]] = {}
    if keyed:
        kinds = lines.kinds()
        refs, bases, rates_, values, agrs = (
            lines.column(n) for n in ("ref_id", "base_fen", "rate_bps", "amount_fen", "agreement_id")
        )
        for i, kind in enumerate(kinds):
            amounts[(kind.value, lines.ref_type[i].value, int(refs[i]))] = (
                int(values[i]),
                lines.ref_label[i],
                int(bases[i]),
                int(rates_[i]),
                int(agrs[i]),
            )
    return _Expected(lines, amounts)


async def _statement_lines(session: AsyncSession, subject: Subject, dealer_id: int, start: date, end: date) -> Lines:
    """Every line of the dealer's statement for [start, end): the period's own, clawbacks, adjustments."""
    sources = SourceRepository(session)
    statements = StatementRepository(session)
    terms = _Terms.of(await sources.agreements(subject, dealer_id))
    lines = (await _period_lines(session, subject, dealer_id, start, end, terms, keyed=False)).lines
    settled = await statements.approved_lines_before(subject, dealer_id, start)
    if not settled:
        return lines
    refunded = await sources.refunded_order_ids(subject, dealer_id)
    _add_clawbacks(lines, settled, refunded, terms)
    await _add_adjustments(session, subject, dealer_id, lines, settled, refunded, terms)
    return lines


def _add_clawbacks(
    lines: Lines,
    settled: list[tuple[int, str, str | None, str, int, int, int | None, int | None]],
    refunded: set[int],
    terms: _Terms,
) -> None:
    paid: dict[int, int] = defaultdict(int)
    agreement_of: dict[int, int] = {}
    for _, kind, adjusted, ref_type, ref_id, amount, agreement_id, _ in settled:
        if ref_type != RefType.ORDER or ref_id not in refunded:
            continue
        if kind in (LineKind.COMMISSION, LineKind.CLAWBACK) or adjusted == LineKind.COMMISSION:
            paid[ref_id] += amount
        if kind == LineKind.COMMISSION and agreement_id is not None:
            agreement_of[ref_id] = agreement_id
    due = [
        order_id
        for order_id, amount in sorted(paid.items())
        if amount
        and agreement_of.get(order_id) in terms.by_id
        and terms.by_id[agreement_of[order_id]].clawback_on_refund
    ]
    if due:
        amounts = np.array([paid[o] for o in due], dtype=np.int64)
        lines.add(
            LineKind.CLAWBACK,
            RefType.ORDER,
            np.array(due, dtype=np.int64),
            [f"order {o}" for o in due],
            amounts,
            np.full(len(due), -1, dtype=np.int64),
            -amounts,
            np.array([agreement_of[o] for o in due], dtype=np.int64),
        )


async def _add_adjustments(
    session: AsyncSession,
    subject: Subject,
    dealer_id: int,
    lines: Lines,
    settled: list[tuple[int, str, str | None, str, int, int, int | None, int | None]],
    refunded: set[int],
    terms: _Terms,
) -> None:
    """For each approved earlier statement: today's rules minus what was settled for it, by source."""
    settled_by_statement: dict[int, dict[Key, int]] = defaultdict(lambda: defaultdict(int))
    for statement_id, kind, adjusted, ref_type, ref_id, amount, _, adjusts in settled:
        if kind in KINDS_SETTLED_DIRECTLY:
            settled_by_statement[statement_id][(kind, ref_type, ref_id)] += amount
        elif kind == LineKind.ADJUSTMENT and adjusts is not None and adjusted is not None:
            settled_by_statement[adjusts][(adjusted, ref_type, ref_id)] += amount
    statements = {s.id: s for s in await StatementRepository(session).of_dealer(subject, dealer_id)}
    rows: list[tuple[int, Key, int, str, int, int, int]] = []
    for statement_id in sorted(settled_by_statement):
        locked = statements[statement_id]
        expected = await _period_lines(
            session, subject, dealer_id, locked.period_start, locked.period_end, terms, keyed=True
        )
        have = settled_by_statement[statement_id]
        for key in sorted(set(expected.amounts) | set(have)):
            kind, ref_type, ref_id = key
            if kind == LineKind.COMMISSION and ref_id in refunded:
                continue  # a refund is a clawback, not an adjustment
            amount, label, base, bps, agreement = expected.amounts.get(key, (0, f"{ref_type} {ref_id}", 0, -1, -1))
            difference = amount - have.get(key, 0)
            if difference:
                rows.append((statement_id, key, difference, label, base, bps, agreement))
    if rows:
        lines.add(
            LineKind.ADJUSTMENT,
            [RefType(r[1][1]) for r in rows],
            np.array([r[1][2] for r in rows], dtype=np.int64),
            [r[3] for r in rows],
            np.array([r[4] for r in rows], dtype=np.int64),
            np.array([r[5] for r in rows], dtype=np.int64),
            np.array([r[2] for r in rows], dtype=np.int64),
            np.array([r[6] for r in rows], dtype=np.int64),
            adjusts_statement_id=np.array([r[0] for r in rows], dtype=np.int64),
            adjusted_kind=[r[1][0] for r in rows],
        )


# Commands --------------------------------------------------------------------------------------------


def _check_period(start: date, end: date, now: datetime) -> None:
    if end <= start:
        raise InvalidInput("the period must end after it starts", code="empty_period", field="period_end")
    if period_bounds(start, end)[1] > now:
        raise Conflict(
            f"the period {start.isoformat()} – {end.isoformat()} is still open: it can be settled from "
            f"{end.isoformat()} 00:00 (Asia/Shanghai)",
            code="period_open",
            field="period_end",
        )


@dataclass(frozen=True)
class SettleResult:
    statements: list[SettlementStatement]
    locked: list[int]  # dealers whose statement for this period is approved (left as it was)


async def do_settle_period(
    session: AsyncSession,
    subject: Subject,
    start: date,
    end: date,
    *,
    dealer_ids: list[int] | None = None,
    now: datetime | None = None,
    is_simulated: bool = False,
) -> SettleResult:
    """Compute (or compute again) the draft statements of a closed period, for some or all dealers."""
    subject.check(Permission.MANAGE_DEALERS)
    _check_period(start, end, now or utcnow())
    if dealer_ids is None:
        dealer_ids = [d.organization_id for d in await dealers_service.list_dealers(session, subject)]
    else:
        for dealer_id in dealer_ids:
            await dealers_service.access_dealer_organization(session, subject, dealer_id)
    repository = StatementRepository(session)
    computed: list[SettlementStatement] = []
    locked: list[int] = []
    for dealer_id in sorted(dealer_ids):
        existing = {s.period_start: s for s in await repository.of_dealer(subject, dealer_id)}
        for other in existing.values():
            if other.period_start != start and other.period_start < end and start < other.period_end:
                raise Conflict(
                    f"the period overlaps the statement of {other.period_start} – {other.period_end}",
                    code="period_overlaps",
                    field="period_start",
                )
        statement = existing.get(start)
        if statement is not None and statement.status == StatementStatus.APPROVED:
            locked.append(dealer_id)
            computed.append(statement)
            continue
        if statement is not None and statement.period_end != end:
            raise Conflict("a statement with this start has another end", code="period_overlaps", field="period_end")
        computed.append(await _write(session, subject, dealer_id, start, end, statement, is_simulated))
    return SettleResult(computed, locked)


async def _write(
    session: AsyncSession,
    subject: Subject,
    dealer_id: int,
    start: date,
    end: date,
    statement: SettlementStatement | None,
    is_simulated: bool,
) -> SettlementStatement:
    lines = await _statement_lines(session, subject, dealer_id, start, end)
    totals = lines.totals()
    repository = StatementRepository(session)
    if statement is None:
        statement = SettlementStatement(
            tenant_id=subject.require_tenant(),
            dealer_id=dealer_id,
            period_start=start,
            period_end=end,
            status=StatementStatus.DRAFT,
            is_simulated=is_simulated,
        )
    statement.commission_fen = totals[LineKind.COMMISSION]
    statement.clawback_fen = totals[LineKind.CLAWBACK]
    statement.ticket_fee_fen = totals[LineKind.TICKET_FEE]
    statement.penalty_fen = totals[LineKind.PENALTY]
    statement.adjustment_fen = totals[LineKind.ADJUSTMENT]
    statement.net_fen = sum(totals.values())
    fingerprint = lines.fingerprint()
    # The fingerprint covers every value of every line, in order: when it and the count are those
    # stored, the stored lines are these lines, and an identical re-run keeps them instead of
    # deleting and writing them again.
    unchanged = statement.id is not None and statement.line_count == len(lines) and statement.fingerprint == fingerprint
    statement.line_count = len(lines)
    statement.fingerprint = fingerprint
    statement.computed_at = utcnow()
    await repository.add(statement)
    if not unchanged:
        await _check_references(repository, statement, lines)
        await repository.replace_lines(statement, _columns(lines))
    return statement


async def _check_references(repository: StatementRepository, statement: SettlementStatement, lines: Lines) -> None:
    """The line table has no foreign keys (``models.settlement.SettlementLine``): before the write,
    one query checks that the agreements the lines name are this tenant's and the statements the
    dealer's."""
    agreements, adjusted = (
        {int(i) for i in np.unique(lines.column(name)) if i >= 0} for name in ("agreement_id", "adjusts_statement_id")
    )
    if missing := await repository.missing_references(statement, agreements, adjusted):
        raise Conflict(
            "the statement's lines refer to what this tenant does not hold (agreements of the tenant, "
            "statements of the dealer): " + ", ".join(f"{kind} {i}" for kind, i in missing),
            code="settlement_reference_invalid",
            details={"missing": [{"kind": kind, "id": i} for kind, i in missing]},
        )


def _columns(lines: Lines) -> list[list[object]]:
    """The lines as columns in ``LINE_COLUMNS`` order from ``position`` on (columns, not a million
    row tuples: the repository forms rows a chunk at a time)."""
    count = len(lines)
    if count == 0:
        return []
    columns: dict[str, list[object]] = {}
    for name in ("ref_id", "base_fen", "amount_fen", "rate_bps", "agreement_id", "adjusts_statement_id"):
        values = lines.column(name)
        # -1 marks "none" in the optional columns (rate, agreement, adjusted statement).
        columns[name] = (
            [None if v < 0 else v for v in values.tolist()]
            if (values < 0).any() and name not in ("amount_fen",)
            else values.tolist()
        )
    ref_types = [t.value for t in lines.ref_type] if len(set(lines.ref_type)) > 1 else [lines.ref_type[0].value] * count
    return [
        list(range(1, count + 1)),
        list(lines.kind_values()),
        list(lines.adjusted_kind),
        list(ref_types),
        columns["ref_id"],
        list(lines.ref_label),
        columns["base_fen"],
        columns["rate_bps"],
        columns["amount_fen"],
        columns["agreement_id"],
        columns["adjusts_statement_id"],
    ]


async def do_approve(session: AsyncSession, subject: Subject, statement_id: int) -> SettlementStatement:
    """Compute the draft once more on today's data, then lock it."""
    subject.check(Permission.MANAGE_DEALERS)
    statement = await access_statement(session, subject, statement_id)
    if statement.status == StatementStatus.APPROVED:
        raise Conflict("this statement is approved already and locked", code="statement_locked")
    statement = await _write(
        session, subject, statement.dealer_id, statement.period_start, statement.period_end, statement, False
    )
    statement.status = StatementStatus.APPROVED
    statement.approved_at = utcnow()
    statement.approved_by_user_id = subject.user_id
    await session.flush()
    lines = await StatementRepository(session).lines(subject, statement.id)
    # The approved statement goes into the tenant's tamper-evident chain with its lines (docs/audit.md).
    await audit_service.append_audit(
        session,
        statement.tenant_id,
        "settlement_approved",
        f"statement:{statement.id}",
        {
            "dealer_id": statement.dealer_id,
            "period": [statement.period_start.isoformat(), statement.period_end.isoformat()],
            "net_fen": statement.net_fen,
            "fingerprint": statement.fingerprint,
            "lines": [[line.kind.value, line.ref_type.value, line.ref_id, line.amount_fen] for line in lines],
        },
        is_simulated=statement.is_simulated,
    )
    return statement


# Reading ------------------------------------------------------------------------------------------------


def _check_reader(subject: Subject) -> None:
    if not (subject.can(Permission.READ) or subject.can(Permission.SERVE_TICKETS)):
        raise PermissionDenied("this needs the 'read' permission")


async def list_statements(
    session: AsyncSession, subject: Subject, *, dealer_id: int | None = None, period_start: date | None = None
) -> list[SettlementStatement]:
    _check_reader(subject)
    return await StatementRepository(session).list_for(subject, dealer_id=dealer_id, period_start=period_start)


async def access_statement(session: AsyncSession, subject: Subject, statement_id: int) -> SettlementStatement:
    _check_reader(subject)
    statement = await StatementRepository(session).get(subject, statement_id)
    if statement is None:
        raise NotFound("no such statement", code="statement_not_found")
    return statement


async def statement_lines(session: AsyncSession, subject: Subject, statement_id: int) -> list[SettlementLine]:
    statement = await access_statement(session, subject, statement_id)
    return await StatementRepository(session).lines(subject, statement.id)


EXPORT_HEADER: Final = [
    "序号",
    "类型",
    "来源",
    "来源编号",
    "说明",
    "基数（元）",
    "费率（bp）",
    "金额（元）",
    "协议",
    "调整的结算单",
]


def _export_rows(lines: list[SettlementLine]) -> list[list[object]]:
    return [
        [
            line.position,
            line.kind.value if line.adjusted_kind is None else f"{line.kind.value}:{line.adjusted_kind}",
            line.ref_type.value,
            line.ref_id,
            line.ref_label,
            format_yuan(line.base_fen),
            line.rate_bps if line.rate_bps is not None else "",
            format_yuan(line.amount_fen),
            line.agreement_id or "",
            line.adjusts_statement_id or "",
        ]
        for line in lines
    ]


async def export_csv(session: AsyncSession, subject: Subject, statement_id: int) -> bytes:
    statement = await access_statement(session, subject, statement_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_HEADER)
    writer.writerows(_export_rows(await StatementRepository(session).lines(subject, statement.id)))
    writer.writerow(["", "net", "", "", "", "", "", format_yuan(statement.net_fen), "", ""])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 CSV correctly


async def export_xlsx(session: AsyncSession, subject: Subject, statement_id: int) -> bytes:
    from openpyxl import Workbook

    statement = await access_statement(session, subject, statement_id)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("结算单")
    sheet.append(["经销商", statement.dealer_id, "期间", f"{statement.period_start} – {statement.period_end}"])
    sheet.append(["状态", statement.status.value, "净额（元）", format_yuan(statement.net_fen)])
    sheet.append([])
    sheet.append(EXPORT_HEADER)
    for row in _export_rows(await StatementRepository(session).lines(subject, statement.id)):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
