"""Comment insights written as the insight worker writes them: a live event row and its insight row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from livebridge.authz import Permission, Subject
from livebridge.db import Database
from livebridge.models import CommentInsight, LiveEventRow

BASE_TIME = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Said:
    """One comment: text, intent, viewer; sentiment, minutes after BASE_TIME, product (default: the tenant's)."""

    text: str
    intent: str = "demand"
    viewer: str | None = None
    sentiment: str = "neutral"
    minute: float = 0
    product_id: int | bool | None = True
    is_simulated: bool = False


def subject_of(tenant_id: int) -> Subject:
    return Subject(display_name="test", tenant_id=tenant_id, permissions=frozenset(Permission))


async def add_comments(
    database: Database, tenant_id: int, session_id: int, product_id: int | None, comments: list[Said]
) -> list[int]:
    """Store each comment as a ``comment`` event plus its insight; returns the event row ids in order."""
    ids: list[int] = []
    async with database.transaction() as session:
        for said in comments:
            moment = BASE_TIME + timedelta(minutes=said.minute)
            event = LiveEventRow(
                tenant_id=tenant_id, session_id=session_id, source="test", event_id=uuid.uuid4().hex,
                type="comment", occurred_at=moment, received_at=moment, viewer_key=said.viewer, text=said.text,
                is_simulated=said.is_simulated)
            session.add(event)
            await session.flush()
            linked = product_id if said.product_id is True else (None if said.product_id is False else said.product_id)
            session.add(CommentInsight(
                event_row_id=event.id, tenant_id=tenant_id, session_id=session_id, occurred_at=moment,
                viewer_key=said.viewer, normalized=said.text, intent=said.intent, intent_confidence=0.9,
                aspects=[], sentiment=said.sentiment, aspect_sentiments={}, product_id=linked,
                product_link="explaining" if linked else None, is_simulated=said.is_simulated))
            ids.append(event.id)
    return ids


async def add_paid_order(database: Database, tenant_id: int, session_id: int, viewer: str) -> None:
    async with database.transaction() as session:
        session.add(LiveEventRow(
            tenant_id=tenant_id, session_id=session_id, source="test", event_id=uuid.uuid4().hex, type="order_paid",
            occurred_at=BASE_TIME, received_at=BASE_TIME, viewer_key=viewer, order_id=uuid.uuid4().hex[:12],
            amount_fen=29900, quantity=1))


SIZE_QUESTIONS = ["尺码怎么选", "尺码怎么选?", "主播 尺码怎么选呀", "尺码怎么选啊"]
SIZE_DEMANDS = ["出个大号的吧", "出个大号的吧🤔", "能不能出个大号的"]


async def make_topics(database: Database, tenant_id: int, session_id: int, product_id: int) -> dict[str, int]:
    """A question topic (4 viewers, one a buyer) and a demand topic (3 viewers), grouped; returns label → id."""
    from livebridge.demand import service
    from livebridge.kit.pagination import PageParams

    comments = [Said(t, intent="question", viewer=f"q{i}", minute=i) for i, t in enumerate(SIZE_QUESTIONS)]
    comments += [Said(t, viewer=f"d{i}", minute=10 + i, sentiment="negative") for i, t in enumerate(SIZE_DEMANDS)]
    await add_comments(database, tenant_id, session_id, product_id, comments)
    await add_paid_order(database, tenant_id, session_id, "q0")
    async with database.transaction() as session:
        await service.rebuild_topics(session, subject_of(tenant_id), now=BASE_TIME + timedelta(hours=2))
        page = await service.list_topics(session, subject_of(tenant_id), PageParams(page=1, page_size=50))
    return {t.label: t.id for t in page.items}
