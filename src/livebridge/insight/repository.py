"""All SQL of the insight domain: comment insights and the per-session understanding cursor.

The worker's reads are per session and keyed on ``live_events.id``; the tenant comes from the
session row, never from the caller, so worker methods that are not behind a subject are named
``dangerously_*``. Reads for users go through ``readable(subject)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Select, Text, case, cast, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from livebridge.authz import Subject, scoped
from livebridge.kit.pagination import PageParams
from livebridge.kit.repository import Repository
from livebridge.models import (
    CommentInsight,
    ExplanationSegment,
    InsightCursor,
    LiveEventRow,
    LiveSession,
    Product,
    ShelfItem,
    Sku,
)

INSERT_ROWS_PER_STATEMENT: Final = 1_000


_COMMENT_COLUMNS: Final = (
    LiveEventRow.id,
    LiveEventRow.tenant_id,
    LiveEventRow.occurred_at,
    LiveEventRow.viewer_key,
    LiveEventRow.text,
    LiveEventRow.is_simulated,
)
CommentRow = tuple[int, int, datetime, str | None, str | None, bool]


def _comment_rows(rows: Sequence[Any]) -> list[CommentRow]:
    return [(int(i), int(t), at, viewer, text, bool(sim)) for i, t, at, viewer, text, sim in rows]


def _insert(dialect: str) -> Any:
    return postgresql_insert if dialect == "postgresql" else sqlite_insert


class InsightRepository(Repository[CommentInsight]):
    def readable(self, subject: Subject) -> Select[CommentInsight]:
        return scoped(select(CommentInsight), CommentInsight, subject)

    async def _dialect(self) -> str:
        return (await self.session.connection()).dialect.name

    # --- the worker ------------------------------------------------------------------------

    async def dangerously_comments_after(self, session_id: int, after_event_id: int, limit: int) -> list[CommentRow]:
        """(id, tenant, occurred_at, viewer, text, simulated) of the session's comments after the cursor."""
        statement = (
            select(*_COMMENT_COLUMNS)
            .where(
                # "+ 0" keeps the planner off the (session, time) index, which would read every
                # event of the session; the primary key range after the cursor is the short path.
                LiveEventRow.session_id + 0 == session_id,
                LiveEventRow.id > after_event_id,
                LiveEventRow.type == "comment",
            )
            .order_by(LiveEventRow.id)
            .limit(limit)
        )
        return _comment_rows((await self.session.execute(statement)).all())

    async def dangerously_first_event_id(self, session_id: int) -> int | None:
        """The session's first event row id (where a new cursor starts), by the session index."""
        statement = select(func.min(LiveEventRow.id)).where(LiveEventRow.session_id == session_id)
        first = (await self.session.execute(statement)).scalar()
        return int(first) if first is not None else None

    async def dangerously_comments_without_insight(
        self, session_id: int, after_event_id: int, through_event_id: int
    ) -> list[CommentRow]:
        """The session's comments in (after, through] that have no insight, in id order."""
        statement = (
            select(*_COMMENT_COLUMNS)
            .outerjoin(CommentInsight, CommentInsight.event_row_id == LiveEventRow.id)
            .where(
                LiveEventRow.session_id + 0 == session_id,  # by the primary key range (see above)
                LiveEventRow.id > after_event_id,
                LiveEventRow.id <= through_event_id,
                LiveEventRow.type == "comment",
                CommentInsight.event_row_id.is_(None),
            )
            .order_by(LiveEventRow.id)
        )
        return _comment_rows((await self.session.execute(statement)).all())

    async def verify(self, session_id: int, *, verified_through: int, mark: int) -> None:
        """Record the sweep's check: comments up to ``verified_through`` all have insights."""
        await self.session.execute(
            update(InsightCursor)
            .where(InsightCursor.session_id == session_id)
            .values(verified_through_event_id=verified_through, sweep_mark_event_id=mark)
        )

    async def insert_new(self, rows: Sequence[dict[str, Any]]) -> set[int]:
        """Insert insights whose comment has none yet; return the event ids actually inserted.

        One cached Core statement executed for many rows (SQLAlchemy batches it into multi-row
        INSERT … ON CONFLICT DO NOTHING RETURNING): no per-call compilation of thousands of values.
        """
        table = CommentInsight.__table__
        statement = (
            _insert(await self._dialect())(table)
            .on_conflict_do_nothing(index_elements=["event_row_id"])
            .returning(table.c.event_row_id)
        )
        inserted: set[int] = set()
        for start in range(0, len(rows), INSERT_ROWS_PER_STATEMENT):
            result = await self.session.execute(statement, list(rows[start : start + INSERT_ROWS_PER_STATEMENT]))
            inserted.update(int(i) for i in result.scalars())
        return inserted

    async def dangerously_cursor(self, session_id: int) -> InsightCursor | None:
        return await self.session.get(InsightCursor, session_id)

    async def dangerously_session_tenant(self, session_id: int) -> int | None:
        tenant = (
            await self.session.execute(select(LiveSession.tenant_id).where(LiveSession.id == session_id))
        ).scalar()
        return int(tenant) if tenant is not None else None

    async def advance(
        self, tenant_id: int, session_id: int, *, through_event_id: int, at: datetime, error: str | None
    ) -> None:
        """Record a catch-up (or, with ``error``, why there was none); the cursor never moves back."""
        insert = _insert(await self._dialect())(InsightCursor).values(
            session_id=session_id,
            tenant_id=tenant_id,
            through_event_id=through_event_id,
            processed_at=at,
            last_error=error,
        )
        further = insert.excluded.through_event_id > InsightCursor.through_event_id
        await self.session.execute(
            insert.on_conflict_do_update(
                index_elements=["session_id"],
                set_={
                    "through_event_id": case(
                        (further, insert.excluded.through_event_id), else_=InsightCursor.through_event_id
                    ),
                    "processed_at": insert.excluded.processed_at,
                    "last_error": insert.excluded.last_error,
                },
            )
        )

    async def dangerously_sessions_to_sweep(self, now: datetime, recent: timedelta) -> list[int]:
        """Sessions whose comments may wait: the last run failed (models missing), the session is
        live, or it was created recently (imports and the demo store comments without a task)."""
        failed = select(InsightCursor.session_id).where(InsightCursor.last_error.is_not(None))
        recent_sessions = select(LiveSession.id).where(
            or_(LiveSession.created_at >= now - recent, LiveSession.status == "live")
        )
        ids = {int(i) for i in (await self.session.execute(failed)).scalars()}
        ids.update(int(i) for i in (await self.session.execute(recent_sessions)).scalars())
        return sorted(ids)

    async def catalog_version(self, subject: Subject) -> tuple[Any, ...]:
        """Changes whenever a product or SKU is added, renamed, re-aliased, archived or removed."""
        products = (
            await self.session.execute(
                scoped(
                    select(func.count(Product.id), func.max(Product.updated_at), func.sum(Product.id)), Product, subject
                )
            )
        ).one()
        skus = (await self.session.execute(scoped(select(func.count(Sku.id), func.sum(Sku.id)), Sku, subject))).one()
        return (*products, *skus)

    async def catalog_terms(self, subject: Subject) -> list[tuple[int, str, list[str], list[str]]]:
        """(product id, name, aliases, SKU codes) of every product of the tenant."""
        products = (
            await self.session.execute(scoped(select(Product.id, Product.name, Product.aliases), Product, subject))
        ).all()
        codes: dict[int, list[str]] = {}
        for product_id, code in await self.session.execute(scoped(select(Sku.product_id, Sku.code), Sku, subject)):
            codes.setdefault(int(product_id), []).append(str(code))
        return [
            (int(product_id), str(name), list(aliases or []), codes.get(int(product_id), []))
            for product_id, name, aliases in products
        ]

    async def shelf_links(self, subject: Subject, session_id: int) -> dict[int, int]:
        """Link number → product id of the session's shelf (lean: the worker asks for it per chunk)."""
        statement = scoped(select(ShelfItem.link_number, ShelfItem.product_id), ShelfItem, subject).where(
            ShelfItem.session_id == session_id
        )
        return {int(number): int(product) for number, product in await self.session.execute(statement)}

    async def segments(self, subject: Subject, session_id: int) -> list[tuple[datetime, datetime | None, int]]:
        """(started, ended, product id) of the session's explanation segments."""
        statement = scoped(
            select(ExplanationSegment.started_at, ExplanationSegment.ended_at, ExplanationSegment.product_id),
            ExplanationSegment,
            subject,
        ).where(ExplanationSegment.session_id == session_id)
        return [(start, end, int(product)) for start, end, product in await self.session.execute(statement)]

    # --- readers ---------------------------------------------------------------------------

    async def comments_page(
        self,
        subject: Subject,
        session_id: int,
        params: PageParams,
        *,
        intent: str | None = None,
        aspect: str | None = None,
        product_id: int | None = None,
    ) -> tuple[list[tuple[CommentInsight, str]], int]:
        """The session's understood comments with their text, newest first."""
        statement = (
            scoped(select(CommentInsight, LiveEventRow.text), CommentInsight, subject)
            .join(LiveEventRow, LiveEventRow.id == CommentInsight.event_row_id)
            .where(CommentInsight.session_id == session_id)
        )
        if intent is not None:
            statement = statement.where(CommentInsight.intent == intent)
        if product_id is not None:
            statement = statement.where(CommentInsight.product_id == product_id)
        if aspect is not None:
            # JSON arrays are text on SQLite and json on PostgreSQL; the quoted label is unambiguous.
            statement = statement.where(cast(CommentInsight.aspects, Text).like(f'%"{aspect}"%'))
        total = (
            await self.session.execute(select(func.count()).select_from(statement.order_by(None).subquery()))
        ).scalar_one()
        rows = (
            await self.session.execute(
                statement.order_by(CommentInsight.event_row_id.desc()).limit(params.page_size).offset(params.offset)
            )
        ).all()
        return [(insight, str(text or "")) for insight, text in rows], int(total)

    async def recent(self, subject: Subject, session_id: int, limit: int) -> list[CommentInsight]:
        statement = (
            self.readable(subject)
            .where(CommentInsight.session_id == session_id)
            .order_by(CommentInsight.event_row_id.desc())
            .limit(limit)
        )
        return list(reversed(await self.all(statement)))

    async def cursor(self, subject: Subject, session_id: int) -> InsightCursor | None:
        statement = scoped(select(InsightCursor), InsightCursor, subject).where(InsightCursor.session_id == session_id)
        return (await self.session.execute(statement)).scalars().first()

    async def distribution(
        self, subject: Subject, session_ids: Sequence[int]
    ) -> tuple[dict[str, int], dict[str, int], int]:
        """(comments per intent, comments per aspect, comments without insight) of the sessions."""
        intents = {
            str(intent): int(count)
            for intent, count in await self.session.execute(
                scoped(select(CommentInsight.intent, func.count()), CommentInsight, subject)
                .where(CommentInsight.session_id.in_(session_ids))
                .group_by(CommentInsight.intent)
            )
        }
        aspects: dict[str, int] = {}
        for (labels,) in await self.session.execute(
            scoped(select(CommentInsight.aspects), CommentInsight, subject).where(
                CommentInsight.session_id.in_(session_ids)
            )
        ):
            for label in labels or []:
                aspects[str(label)] = aspects.get(str(label), 0) + 1
        waiting = (
            await self.session.execute(
                scoped(select(func.count(LiveEventRow.id)), LiveEventRow, subject)
                .outerjoin(CommentInsight, CommentInsight.event_row_id == LiveEventRow.id)
                .where(
                    LiveEventRow.session_id.in_(session_ids),
                    LiveEventRow.type == "comment",
                    CommentInsight.event_row_id.is_(None),
                )
            )
        ).scalar_one()
        return intents, aspects, int(waiting)
