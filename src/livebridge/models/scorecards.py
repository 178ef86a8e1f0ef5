"""A brand's own weights for ranking hosts on their scorecards (one row per tenant)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from livebridge.models.base import Base


class ScorecardWeights(Base):
    __tablename__ = "scorecard_weights"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    # metric name → integer weight (0–100); metrics not listed weigh 0.
    weights: Mapped[dict[str, int]] = mapped_column(JSON)
    updated_at: Mapped[datetime]
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
