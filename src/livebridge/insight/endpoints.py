"""HTTP API of comment insight: a session's comments as understood."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from livebridge.config import Settings
from livebridge.insight import service
from livebridge.insight.schemas import CommentInsightRead, UnderstandingStatus
from livebridge.kit.pagination import Page, PageParams
from livebridge.web.deps import ApiSubject, DbSession

router = APIRouter(tags=["comment insight"])
Paging = Annotated[PageParams, Depends()]


@router.get("/sessions/{session_id}/comments", response_model=Page[CommentInsightRead])
async def list_session_comments(
    session_id: int,
    session: DbSession,
    subject: ApiSubject,
    paging: Paging,
    intent: Annotated[str | None, Query(description="question, purchase_intent, demand, complaint, …")] = None,
    aspect: Annotated[str | None, Query(description="size, colour, price, quality, …")] = None,
    product_id: Annotated[int | None, Query()] = None,
) -> Page[CommentInsightRead]:
    """The session's understood comments, newest first, with intent, aspects, sentiment and product.

    A comment appears here once the background worker understood it (within about a second of
    ingestion); ``GET …/comments/status`` says whether understanding is available at all.
    """
    return await service.list_comments(
        session, subject, session_id, paging, intent=intent, aspect=aspect, product_id=product_id
    )


@router.get("/sessions/{session_id}/comments/status", response_model=UnderstandingStatus)
async def read_understanding_status(
    session_id: int, request: Request, session: DbSession, subject: ApiSubject
) -> UnderstandingStatus:
    """Whether the session's comments can be understood now; if not, why and the command that fixes it."""
    settings: Settings = request.app.state.settings
    return await service.understanding_status(session, subject, session_id, settings.model_dir)
