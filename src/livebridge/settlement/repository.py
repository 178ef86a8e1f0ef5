"""All SQL of settlement: the sources of a period as columns, statements, and lines in bulk."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any, Final

import numpy as np
import orjson
from sqlalchemy import BigInteger, Select, and_, cast, delete, func, literal, select, union_all

from livebridge.authz import Subject, organization_restriction, scoped
from livebridge.kit.repository import Repository
from livebridge.models import (
    Agreement,
    DeadlineBreach,
    LineKind,
    Order,
    OrderStatus,
    ServiceTicket,
    SettlementLine,
    SettlementStatement,
    StatementStatus,
    TicketStatus,
    TrafficSource,
)
from livebridge.settlement.compute import Int64

LINE_COLUMNS: Final = (
    "tenant_id",
    "statement_id",
    "position",
    "kind",
    "adjusted_kind",
    "ref_type",
    "ref_id",
    "ref_label",
    "base_fen",
    "rate_bps",
    "amount_fen",
    "agreement_id",
    "adjusts_statement_id",
)
# SQLite writes lines as multi-row INSERTs: one statement per chunk rather than one per row halves
# the write time (measured, docs/benchmarks.md); 1,000 rows × 13 columns stays under SQLite's
# default limit of 32,766 bound values per statement.
_SQLITE_ROWS_PER_INSERT: Final = 1_000
_SQLITE_ROW: Final = f"({', '.join('?' * len(LINE_COLUMNS))})"


@functools.cache
def _sqlite_insert(row_count: int) -> str:
    values = ", ".join([_SQLITE_ROW] * row_count)
    return f"INSERT INTO settlement_lines ({', '.join(LINE_COLUMNS)}) VALUES {values}"  # noqa: S608 - constant column names


def epoch(value: datetime) -> int:
    return int(value.astimezone(UTC).timestamp())


class SourceRepository:
    """What a dealer earned or owes in a period, read as plain rows (the bulk path of settlement)."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def completed_orders(
        self, subject: Subject, dealer_id: int, start: datetime, end: datetime
    ) -> tuple[Int64, list[str], Int64, Int64]:
        """Columns (ids, order numbers, paid fen, paid-at epoch seconds) of the completed live orders
        finished in the period. The hot path of settlement: the epoch is computed by the engine, and the
        engine hands the period over as one row of four arrays, filled from the same rows in the same
        order (PostgreSQL arrays, which asyncpg decodes in one step each; JSON arrays on SQLite, parsed
        by orjson) rather than a million rows the driver builds one at a time: to NumPy columns in
        1.5–2.6 s against 4.1–4.8 s on PostgreSQL, 2.6–2.8 s against 3.7–3.8 s on SQLite, same
        machine under load ≈ 6–7 (docs/benchmarks.md)."""
        connection = await self.session.connection()
        postgres = connection.dialect.name == "postgresql"
        paid_at = func.coalesce(Order.paid_at, Order.created_at_platform)
        if postgres:
            paid_epoch = cast(func.floor(func.extract("epoch", paid_at)), BigInteger)  # whole seconds, as on SQLite
        else:
            paid_epoch = cast(func.strftime("%s", paid_at), BigInteger)
        period = (
            scoped(select(Order.id, Order.paid_fen, paid_epoch.label("paid_epoch"), Order.order_no), Order, subject)
            .where(
                Order.dealer_id == dealer_id,
                Order.traffic_source == TrafficSource.LIVE,
                Order.status == OrderStatus.COMPLETED,
                Order.finished_at >= start,
                Order.finished_at < end,
            )
            .subquery()
        )
        aggregate = func.array_agg if postgres else func.json_group_array
        result = await connection.execute(select(*(aggregate(column) for column in period.c)))
        arrays = result.cursor.fetchone()
        result.close()
        ids, paid, epochs, labels = arrays if postgres else (orjson.loads(array) for array in arrays)
        if not ids:  # no orders: null arrays on PostgreSQL, empty ones on SQLite
            empty = np.zeros(0, dtype=np.int64)
            return empty, [], empty, empty
        return (
            np.array(ids, dtype=np.int64),
            labels,
            np.array(paid, dtype=np.int64),
            np.array(epochs, dtype=np.int64),
        )

    async def orders_by_id(self, subject: Subject, order_ids: list[int]) -> list[tuple[int, str, int, str]]:
        """(id, order no, paid fen, status) of these orders."""
        if not order_ids:
            return []
        statement = scoped(select(Order.id, Order.order_no, Order.paid_fen, Order.status), Order, subject).where(
            Order.id.in_(order_ids)
        )
        return [tuple(row) for row in (await self.session.execute(statement)).all()]

    async def refunded_order_ids(self, subject: Subject, dealer_id: int) -> set[int]:
        statement = scoped(select(Order.id), Order, subject).where(
            Order.dealer_id == dealer_id, Order.status == OrderStatus.REFUNDED
        )
        return {int(i) for i in (await self.session.execute(statement)).scalars()}

    async def closed_tickets(
        self, subject: Subject, dealer_id: int, start: datetime, end: datetime
    ) -> list[tuple[int, int]]:
        """(ticket id, agreement id) of the dealer's tickets closed in the period."""
        statement = scoped(select(ServiceTicket.id, ServiceTicket.agreement_id), ServiceTicket, subject).where(
            ServiceTicket.assignee_id == dealer_id,
            ServiceTicket.status == TicketStatus.CLOSED,
            ServiceTicket.agreement_id.is_not(None),
            ServiceTicket.closed_at >= start,
            ServiceTicket.closed_at < end,
        )
        return [(int(t), int(a)) for t, a in (await self.session.execute(statement)).all()]

    async def breaches(
        self, subject: Subject, dealer_id: int, start: datetime, end: datetime
    ) -> list[tuple[int, int, int, int | None]]:
        """(breach id, ticket id, penalty fen, agreement id) of the dealer's missed deadlines found in the period."""
        statement = scoped(
            select(
                DeadlineBreach.id, DeadlineBreach.ticket_id, DeadlineBreach.penalty_fen, DeadlineBreach.agreement_id
            ),
            DeadlineBreach,
            subject,
        ).where(
            DeadlineBreach.assignee_id == dealer_id,
            DeadlineBreach.detected_at >= start,
            DeadlineBreach.detected_at < end,
        )
        return [tuple(row) for row in (await self.session.execute(statement)).all()]

    async def agreements(self, subject: Subject, dealer_id: int) -> list[Agreement]:
        statement = (
            scoped(select(Agreement), Agreement, subject)
            .where(Agreement.organization_id == dealer_id)
            .order_by(Agreement.effective_from, Agreement.version)
        )
        return list((await self.session.execute(statement)).scalars())


class StatementRepository(Repository[SettlementStatement]):
    def readable(self, subject: Subject) -> Select[SettlementStatement]:
        """Brand users see every statement; dealer staff only their dealer's."""
        statement = scoped(select(SettlementStatement), SettlementStatement, subject)
        restriction = organization_restriction(subject)
        return statement if restriction is None else statement.where(SettlementStatement.dealer_id.in_(restriction))

    async def get(self, subject: Subject, statement_id: int) -> SettlementStatement | None:
        return await self.first(self.readable(subject).where(SettlementStatement.id == statement_id))

    async def list_for(
        self, subject: Subject, *, dealer_id: int | None = None, period_start: date | None = None
    ) -> list[SettlementStatement]:
        statement = self.readable(subject).order_by(
            SettlementStatement.period_start.desc(), SettlementStatement.dealer_id
        )
        if dealer_id is not None:
            statement = statement.where(SettlementStatement.dealer_id == dealer_id)
        if period_start is not None:
            statement = statement.where(SettlementStatement.period_start == period_start)
        return await self.all(statement)

    async def of_dealer(self, subject: Subject, dealer_id: int) -> list[SettlementStatement]:
        statement = (
            scoped(select(SettlementStatement), SettlementStatement, subject)
            .where(SettlementStatement.dealer_id == dealer_id)
            .order_by(SettlementStatement.period_start)
        )
        return await self.all(statement)

    async def approved_lines_before(
        self, subject: Subject, dealer_id: int, before: date
    ) -> list[tuple[int, str, str | None, str, int, int, int | None, int | None]]:
        """(statement id, kind, adjusted kind, ref type, ref id, amount, agreement id, adjusts statement id)
        of the dealer's approved statements that ended by ``before``."""
        statement = (
            scoped(
                select(
                    SettlementLine.statement_id,
                    SettlementLine.kind,
                    SettlementLine.adjusted_kind,
                    SettlementLine.ref_type,
                    SettlementLine.ref_id,
                    SettlementLine.amount_fen,
                    SettlementLine.agreement_id,
                    SettlementLine.adjusts_statement_id,
                ),
                SettlementLine,
                subject,
            )
            .join(
                SettlementStatement,
                and_(
                    SettlementStatement.id == SettlementLine.statement_id,
                    SettlementStatement.dealer_id == dealer_id,
                    SettlementStatement.status == StatementStatus.APPROVED,
                    SettlementStatement.period_end <= before,
                ),
            )
            .order_by(SettlementLine.statement_id, SettlementLine.position)
        )
        return [
            (int(s), str(k), a, str(t), int(r), int(m), g, j)
            for s, k, a, t, r, m, g, j in (await self.session.execute(statement)).all()
        ]

    async def lines(self, subject: Subject, statement_id: int) -> list[SettlementLine]:
        statement = (
            scoped(select(SettlementLine), SettlementLine, subject)
            .where(SettlementLine.statement_id == statement_id)
            .order_by(SettlementLine.position)
        )
        return list((await self.session.execute(statement)).scalars())

    async def add(self, statement: SettlementStatement) -> SettlementStatement:
        self.session.add(statement)
        await self.session.flush()
        return statement

    async def missing_references(
        self, statement: SettlementStatement, agreement_ids: set[int], adjusted_ids: set[int]
    ) -> list[tuple[str, int]]:
        """The (kind, id) named by a statement's lines that this tenant does not hold: statements
        (the lines' own and those they adjust) must be the dealer's, agreements the tenant's. One
        query for the whole statement checks what the line table's foreign keys would check row by
        row (it has none: ``models.settlement.SettlementLine`` says why)."""
        statement_ids = {statement.id} | adjusted_ids
        statements = select(literal("statement"), SettlementStatement.id).where(
            SettlementStatement.tenant_id == statement.tenant_id,
            SettlementStatement.dealer_id == statement.dealer_id,
            SettlementStatement.id.in_(statement_ids),
        )
        agreements = select(literal("agreement"), Agreement.id).where(
            Agreement.tenant_id == statement.tenant_id, Agreement.id.in_(agreement_ids)
        )
        found = {(str(kind), int(i)) for kind, i in await self.session.execute(union_all(statements, agreements))}
        wanted = {("statement", i) for i in statement_ids} | {("agreement", i) for i in agreement_ids}
        return sorted(wanted - found)

    async def replace_lines(self, statement: SettlementStatement, columns: list[list[Any]]) -> None:
        """Delete a draft's lines and write the new ones through the engine's bulk path: COPY on
        PostgreSQL, multi-row INSERTs on SQLite. ``columns`` are in ``LINE_COLUMNS`` order without
        the first two: the statement's tenant and id go into every line."""
        await self.session.execute(delete(SettlementLine).where(SettlementLine.statement_id == statement.id))
        if not columns or not columns[0]:
            return
        connection = await self.session.connection()
        if connection.dialect.name == "postgresql":
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            await driver.copy_records_to_table(
                "settlement_lines", records=_rows(statement, columns), columns=LINE_COLUMNS
            )
            return
        for first in range(0, len(columns[0]), _SQLITE_ROWS_PER_INSERT):
            chunk = [column[first : first + _SQLITE_ROWS_PER_INSERT] for column in columns]
            await connection.exec_driver_sql(
                _sqlite_insert(len(chunk[0])), tuple(itertools.chain.from_iterable(_rows(statement, chunk)))
            )


def _rows(statement: SettlementStatement, columns: list[list[Any]]) -> Iterator[tuple[Any, ...]]:
    """Line rows in ``LINE_COLUMNS`` order: the statement's tenant and id, then the line's values."""
    count = len(columns[0])
    return zip(
        itertools.repeat(statement.tenant_id, count), itertools.repeat(statement.id, count), *columns, strict=True
    )


KINDS_SETTLED_DIRECTLY: Final = (LineKind.COMMISSION, LineKind.TICKET_FEE, LineKind.PENALTY)
