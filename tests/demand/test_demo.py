"""The demo's demand board: its comments understood with the trained models, grouped, turned into proposals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from livebridge.db import Database
from livebridge.demand import service
from livebridge.demand.demo import load_demo_demand
from livebridge.kit.pagination import PageParams
from livebridge.models import CommentInsight, LiveEventRow, Notification, Proposal
from livebridge.text import CommentAnalyzer, TextModelError
from tests.demand.factories import subject_of
from tests.factories import TenantFixture

COMMENTS = [
    "1号链接能不能出个大号的", "1号链接能不能出个大号的🙏", "1号链接能不能出个大号的啊", "主播好美", "加V领优惠券",
]


@pytest.fixture(scope="module")
def models_present() -> None:
    try:
        CommentAnalyzer.load()
    except TextModelError as exc:
        pytest.skip(f"no trained comment models: {exc}")


async def test_demo_comments_become_simulated_topics_and_a_shipped_proposal(
    models_present: None, database: Database, tenant: TenantFixture
) -> None:
    moment = datetime.now(UTC) - timedelta(days=10)
    async with database.transaction() as session:
        for index, text in enumerate(COMMENTS):
            session.add(LiveEventRow(
                tenant_id=tenant.tenant_id, session_id=tenant.session_id, source="demo", event_id=uuid.uuid4().hex,
                type="comment", occurred_at=moment, received_at=moment, viewer_key=f"v{index}", text=text,
                is_simulated=True))
    subject = subject_of(tenant.tenant_id)
    async with database.transaction() as session:
        await load_demo_demand(session, subject)
    async with database.transaction(write=False) as session:
        insights = (await session.execute(select(func.count()).select_from(CommentInsight).where(
            CommentInsight.tenant_id == tenant.tenant_id))).scalar_one()
        proposal = (await session.execute(select(Proposal).where(Proposal.tenant_id == tenant.tenant_id))).scalar_one()
        notified = (await session.execute(select(func.count()).select_from(Notification).where(
            Notification.tenant_id == tenant.tenant_id, Notification.is_simulated.is_(True)))).scalar_one()
        topics = (await service.list_topics(session, subject, PageParams(page=1, page_size=20))).items
    assert insights == len(COMMENTS)
    (topic,) = [t for t in topics if t.kind == "demand"]
    assert topic.product_id == tenant.product_id  # linked by its 1号链接
    assert topic.comment_count == 3
    assert topic.is_simulated
    assert proposal.status == "shipped"
    assert proposal.is_simulated
    assert proposal.product_id == tenant.product_id
    assert notified > 0
