"""What the insight API and console return."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class CommentInsightRead(BaseModel):
    id: int = Field(description="The comment's event row id (live_events.id)")
    occurred_at: datetime
    viewer: str | None
    text: str = Field(description="The comment as received")
    normalized: str = Field(description="The text the models read (see docs/nlp.md)")
    intent: str
    intent_confidence: float
    aspects: list[str]
    sentiment: str
    aspect_sentiments: dict[str, Any]
    product_id: int | None
    product_link: str | None = Field(description='How the product was found: "link_number", "name", "explaining"')
    answered_at: datetime | None
    is_simulated: bool


class UnderstandingStatus(BaseModel):
    available: bool
    message: str | None
    rebuild_command: str | None


class InsightDistribution(BaseModel):
    sessions: int
    understood: int
    waiting: int = Field(description="Comments stored but not understood yet")
    intents: dict[str, int]
    aspects: dict[str, int]
