"""All SQL of the insight domain: comment insights and the per-session understanding cursor.

The worker's reads are per session and keyed on ``live_events.id``; the tenant comes from the
session row, never from the caller, so worker methods that are not behind a subject are named
``dangerously_*``. Reads for users go through ``readable(subject)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Select, Text, case, cast, func, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from livebridge.authz import Subject, scoped
from livebridge.kit.pagination import PageParams
from livebridge.kit.repository import Repository
from livebridge.models import CommentInsight, InsightCursor, LiveEventRow, LiveSession, Product, Sku

# SQLite allows 32,766 bound values per statement: 16 columns × 1,000 rows fit.
INSERT_ROWS_PER_STATEMENT: Final = 1_000


def _insert(dialect: str) -> Any:
    return postgresql_insert if dialect == "postgresql" else sqlite_insert


class InsightRepository(Repository[CommentInsight]):
    def readable(self, subject: Subject) -> Select[CommentInsight]:
        return scoped(select(CommentInsight), CommentInsight, subject)

    async def _dialect(self) -> str:
        return (await self.session.connection()).dialect.name

    # --- the worker ------------------------------------------------------------------------

    async def dangerously_comments_after(
        self, session_id: int, after_event_id: int, limit: int
    ) -> list[tuple[int, int, datetime, str | None, str | None, bool]]:
        """(id, tenant, occurred_at, viewer, text, simulated) of the session's comments after the cursor."""
        statement = (
            select(
                LiveEventRow.id,
                LiveEventRow.tenant_id,
                LiveEventRow.occurred_at,
                LiveEventRow.viewer_key,
                LiveEventRow.text,
                LiveEventRow.is_simulated,
            )
            .where(
                LiveEventRow.session_id == session_id,
                LiveEventRow.id > after_event_id,
                LiveEventRow.type == "comment",
            )
            .order_by(LiveEventRow.id)
            .limit(limit)
        )
        rows = (await self.session.execute(statement)).all()
        return [(int(i), int(t), at, viewer, text, bool(sim)) for i, t, at, viewer, text, sim in rows]

    async def dangerously_comments_without_insight(self, session_id: int, through_event_id: int) -> list[int]:
        """Ids of the session's comments up to the cursor that have no insight (a rescan)."""
        statement = (
            select(LiveEventRow.id)
            .outerjoin(CommentInsight, CommentInsight.event_row_id == LiveEventRow.id)
            .where(
                LiveEventRow.session_id == session_id,
                LiveEventRow.type == "comment",
                LiveEventRow.id <= through_event_id,
                CommentInsight.event_row_id.is_(None),
            )
        )
        return [int(i) for i in (await self.session.execute(statement)).scalars()]

    async def insert_new(self, rows: Sequence[dict[str, Any]]) -> set[int]:
        """Insert insights whose comment has none yet; return the event ids actually inserted."""
        dialect = await self._dialect()
        inserted: set[int] = set()
        for start in range(0, len(rows), INSERT_ROWS_PER_STATEMENT):
            chunk = rows[start : start + INSERT_ROWS_PER_STATEMENT]
            statement = (
                _insert(dialect)(CommentInsight)
                .values(list(chunk))
                .on_conflict_do_nothing(index_elements=["event_row_id"])
                .returning(CommentInsight.event_row_id)
            )
            inserted.update(int(i) for i in (await self.session.execute(statement)).scalars())
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

    async def dangerously_catalog_version(self, tenant_id: int) -> tuple[Any, ...]:
        """Changes whenever a product or SKU is added, renamed, re-aliased, archived or removed."""
        products = (
            await self.session.execute(
                select(func.count(Product.id), func.max(Product.updated_at), func.sum(Product.id)).where(
                    Product.tenant_id == tenant_id
                )
            )
        ).one()
        skus = (
            await self.session.execute(select(func.count(Sku.id), func.sum(Sku.id)).where(Sku.tenant_id == tenant_id))
        ).one()
        return (*products, *skus)

    async def dangerously_catalog_terms(self, tenant_id: int) -> list[tuple[int, str, list[str], list[str]]]:
        """(product id, name, aliases, SKU codes) of every product of the tenant."""
        products = (
            await self.session.execute(
                select(Product.id, Product.name, Product.aliases).where(Product.tenant_id == tenant_id)
            )
        ).all()
        codes: dict[int, list[str]] = {}
        for product_id, code in await self.session.execute(
            select(Sku.product_id, Sku.code).where(Sku.tenant_id == tenant_id)
        ):
            codes.setdefault(int(product_id), []).append(str(code))
        return [
            (int(product_id), str(name), list(aliases or []), codes.get(int(product_id), []))
            for product_id, name, aliases in products
        ]

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
