"""All SQL of the replay report that is not another domain's: what the comment models read in a session."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Subject, scoped
from livebridge.models import CommentInsight


class ReplayRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def comments_understood(self, subject: Subject, session_id: int) -> int:
        statement = scoped(select(func.count()).select_from(CommentInsight), CommentInsight, subject).where(
            CommentInsight.session_id == session_id
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def unanswered_questions_by_aspect(self, subject: Subject, session_id: int) -> Counter[str]:
        statement = scoped(select(CommentInsight.aspects), CommentInsight, subject).where(
            CommentInsight.session_id == session_id,
            CommentInsight.intent == "question",
            CommentInsight.answered_at.is_(None),
        )
        return _count_aspects(aspects for (aspects,) in (await self.session.execute(statement)).all())

    async def complaints_by_aspect(self, subject: Subject, session_id: int) -> Counter[str]:
        """Complaints, and comments negative about an aspect, counted per aspect."""
        statement = scoped(
            select(CommentInsight.intent, CommentInsight.aspects, CommentInsight.aspect_sentiments),
            CommentInsight,
            subject,
        ).where(
            CommentInsight.session_id == session_id,
            (CommentInsight.intent == "complaint") | (CommentInsight.sentiment == "negative"),
        )
        counts: Counter[str] = Counter()
        for intent, aspects, sentiments in (await self.session.execute(statement)).all():
            for aspect in aspects or ():
                if intent == "complaint" or (sentiments or {}).get(aspect) == "negative":
                    counts[aspect] += 1
        return counts


def _count_aspects(rows: Any) -> Counter[str]:
    counts: Counter[str] = Counter()
    for aspects in rows:
        counts.update(aspects or ())
    return counts
