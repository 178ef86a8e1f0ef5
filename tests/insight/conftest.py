"""Fixtures of the insight tests: a tenant whose session has two products on the shelf, one of them
being explained, and helpers to push comments through the real ingest path."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from livebridge.catalog import service as catalog_service
from livebridge.catalog.schemas import ProductCreate, SkuCreate
from livebridge.db import Database
from livebridge.live import service as live_service
from livebridge.live.schemas import SegmentCreate, ShelfItemCreate
from livebridge.models import CommentInsight, LiveEventRow
from tests.factories import TenantFixture

# The air fryer (factory product, link 1) is explained from T0 to T0 + 10 minutes.
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
NDJSON = {"Content-Type": "application/x-ndjson"}


@dataclass
class Room:
    tenant: TenantFixture
    fryer_id: int  # 空气炸锅 AF5, alias 炸锅, link 1, explained T0 … T0+10 min
    heater_id: int  # 暖风机 H2, alias 小太阳, link 2
    heater_sku: str


@pytest.fixture
async def room(database: Database, tenant: TenantFixture) -> Room:
    sku = f"H2-{uuid.uuid4().hex[:6].upper()}"
    async with database.transaction() as session:
        heater = await catalog_service.do_create_product(session, tenant.subject, ProductCreate(
            name="暖风机 H2", category="取暖", aliases=["小太阳"],
            skus=[SkuCreate(code=sku, spec="2kW", price_fen=19900)]))
        await live_service.do_add_to_shelf(session, tenant.subject, tenant.session_id,
                                           ShelfItemCreate(product_id=heater.id, link_number=2))
        await live_service.do_add_segment(session, tenant.subject, tenant.session_id, SegmentCreate(
            product_id=tenant.product_id, started_at=T0, ended_at=T0 + timedelta(minutes=10)))
    return Room(tenant=tenant, fryer_id=tenant.product_id, heater_id=heater.id, heater_sku=sku)


def comment(event_id: str, text: str, at: datetime, viewer: str = "v1") -> dict[str, object]:
    return {"type": "comment", "event_id": event_id, "occurred_at": at.isoformat(), "viewer_id": viewer,
            "text": text}


async def push(client: httpx.AsyncClient, tenant: TenantFixture, events: list[dict[str, object]]) -> int:
    body = "\n".join(json.dumps(e, ensure_ascii=False) for e in events).encode()
    response = await client.post(f"/api/v1/sessions/{tenant.session_id}/events", content=body,
                                 headers={**tenant.headers(), **NDJSON})
    assert response.status_code == 200, response.text
    accepted: int = response.json()["accepted"]
    return accepted


async def insights_by_event(database: Database, session_id: int) -> dict[str, CommentInsight]:
    """The session's insights keyed by the comment's event id."""
    async with database.transaction(write=False) as session:
        rows = (await session.execute(
            select(LiveEventRow.event_id, CommentInsight)
            .join(CommentInsight, CommentInsight.event_row_id == LiveEventRow.id)
            .where(LiveEventRow.session_id == session_id))).all()
    return {str(event_id): insight for event_id, insight in rows}


async def comment_count(database: Database, session_id: int) -> int:
    async with database.transaction(write=False) as session:
        rows = (await session.execute(select(LiveEventRow.id).where(
            LiveEventRow.session_id == session_id, LiveEventRow.type == "comment"))).all()
    return len(rows)
