"""A small hand-made world for scorecards: two hosts, four sessions, orders, refunds and repurchases.

Times are UTC. The period under test is August 2026 in Asia/Shanghai.

- S0 2026-07-20 (before the period): host A; v3 and v4 buy there.
- S1 2026-08-02 12:00–14:00, merchant M1: host A (main) and host B (co-host).
  enters v1 v2 v3 v4 v1 (5 views, 4 viewers); online samples 100 and 150 in minute 0, 120 in
  minute 1; orders o1 v1 100.00 at 12:10, o2 v2 200.00 at 12:20, o3 v1 50.00 at 12:30 (same
  session: not a repurchase), o4 without a viewer 30.00 at 12:40; comments c1 c2 (understood, one
  complaint).
- S2 2026-08-10 12:00–13:00, merchant M2: host A. enters v4 v5, leave v4, enter v6 (no online
  samples); orders o5 v4 80.00, o6 v5 70.00; o5 refunded 30.00 at 12:45; one comment not analysed.
- S3 2026-09-01 12:00–13:00 (next period), merchant M1: host B. o7 v1 at exactly o1 + 30 days,
  o8 v2 at o2 + 30 days + 1 µs, o9 v5; refunds posted here for the August orders: o2 200.00,
  o1 60.00 twice (capped at the order's 100.00), and 999.99 for an order nobody paid.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from livebridge.db import Database
from livebridge.ingest.service import do_ingest
from livebridge.live import service as live_service
from livebridge.live.schemas import HostCreate, SessionCreate
from livebridge.models import CommentInsight, LiveEventRow, OrganizationKind, Platform, SessionStatus
from livebridge.tenancy import service as tenancy_service
from livebridge.tenancy.schemas import OrganizationCreate
from tests.factories import TenantFixture

S0 = datetime(2026, 7, 20, 12, 0, tzinfo=UTC)
S1 = datetime(2026, 8, 2, 12, 0, tzinfo=UTC)
S2 = datetime(2026, 8, 10, 12, 0, tzinfo=UTC)
S3 = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
AS_OF = datetime(2026, 11, 5, tzinfo=UTC)


@dataclass
class World:
    tenant: TenantFixture
    host_a: int
    host_b: int
    sessions: dict[str, int]
    merchants: dict[str, int]


def _order(kind: str, event_id: str, at: datetime, order_id: str, amount: int, viewer: str | None) -> dict[str, object]:
    event: dict[str, object] = {"type": kind, "event_id": event_id, "occurred_at": at.isoformat(),
                                "order_id": order_id, "sku_code": "AF5", "amount_fen": amount}
    if viewer is not None:
        event["viewer_id"] = viewer
    return event


def _viewer(kind: str, event_id: str, at: datetime, viewer: str) -> dict[str, object]:
    return {"type": kind, "event_id": event_id, "occurred_at": at.isoformat(), "viewer_id": viewer}


def _minutes(start: datetime, minutes: float) -> datetime:
    return start + timedelta(minutes=minutes)


EVENTS: dict[str, list[dict[str, object]]] = {
    "S0": [
        _viewer("enter", "s0-e1", _minutes(S0, 1), "v3"),
        _order("order_paid", "s0-p1", _minutes(S0, 5), "o-old-3", 9_900, "v3"),
        _order("order_paid", "s0-p2", _minutes(S0, 6), "o-old-4", 9_900, "v4"),
    ],
    "S1": [
        *(_viewer("enter", f"s1-e{n}", S1 + timedelta(seconds=5 + n), v) for n, v in
          enumerate(["v1", "v2", "v3", "v4", "v1"])),
        {"type": "online_count", "event_id": "s1-c1", "occurred_at": (S1 + timedelta(seconds=10)).isoformat(),
         "count": 100},
        {"type": "online_count", "event_id": "s1-c2", "occurred_at": (S1 + timedelta(seconds=40)).isoformat(),
         "count": 150},
        {"type": "online_count", "event_id": "s1-c3", "occurred_at": (S1 + timedelta(seconds=65)).isoformat(),
         "count": 120},
        _order("order_paid", "s1-p1", _minutes(S1, 10), "o1", 10_000, "v1"),
        _order("order_paid", "s1-p2", _minutes(S1, 20), "o2", 20_000, "v2"),
        _order("order_paid", "s1-p3", _minutes(S1, 30), "o3", 5_000, "v1"),
        _order("order_paid", "s1-p4", _minutes(S1, 40), "o4", 3_000, None),
        {**_viewer("comment", "s1-t1", _minutes(S1, 11), "v1"), "text": "质量太差了，要退货"},
        {**_viewer("comment", "s1-t2", _minutes(S1, 12), "v2"), "text": "有优惠吗"},
    ],
    "S2": [
        _viewer("enter", "s2-e1", S2 + timedelta(seconds=5), "v4"),
        _viewer("enter", "s2-e2", S2 + timedelta(seconds=30), "v5"),
        _viewer("leave", "s2-l1", S2 + timedelta(seconds=70), "v4"),
        _viewer("enter", "s2-e3", S2 + timedelta(seconds=120), "v6"),
        _order("order_paid", "s2-p5", _minutes(S2, 15), "o5", 8_000, "v4"),
        _order("order_paid", "s2-p6", _minutes(S2, 30), "o6", 7_000, "v5"),
        _order("order_refunded", "s2-r5", _minutes(S2, 45), "o5", 3_000, "v4"),
        {**_viewer("comment", "s2-t1", _minutes(S2, 20), "v5"), "text": "好看"},
    ],
    "S3": [
        _order("order_paid", "s3-p7", _minutes(S1, 10) + timedelta(days=30), "o7", 4_000, "v1"),
        _order("order_paid", "s3-p8", _minutes(S1, 20) + timedelta(days=30, microseconds=1), "o8", 4_000, "v2"),
        _order("order_paid", "s3-p9", _minutes(S3, 30), "o9", 4_000, "v5"),
        _order("order_refunded", "s3-r2", _minutes(S3, 40), "o2", 20_000, "v2"),
        _order("order_refunded", "s3-r1a", _minutes(S3, 41), "o1", 6_000, "v1"),
        _order("order_refunded", "s3-r1b", _minutes(S3, 42), "o1", 6_000, "v1"),
        _order("order_refunded", "s3-rx", _minutes(S3, 43), "o-nobody", 99_999, "v9"),
    ],
}


async def build_world(database: Database, tenant: TenantFixture) -> World:
    subject = tenant.subject
    async with database.transaction() as session:
        merchants = {
            name: (await tenancy_service.do_create_organization(
                session, subject, OrganizationCreate(name=f"{name} {tenant.slug}", kind=OrganizationKind.MERCHANT))).id
            for name in ("M1", "M2")
        }
        host_b = (await live_service.do_create_host(
            session, subject, HostCreate(name="阿杰说家电", platform=Platform.KUAISHOU))).id
        plan = {"S0": (S0, [tenant.host_id], "M1", 60), "S1": (S1, [tenant.host_id, host_b], "M1", 120),
                "S2": (S2, [tenant.host_id], "M2", 60), "S3": (S3, [host_b], "M1", 60)}
        sessions: dict[str, int] = {}
        for name, (start, hosts, merchant, minutes) in plan.items():
            live = await live_service.do_create_session(session, subject, SessionCreate(
                title=f"{name} 专场", platform=Platform.DOUYIN, scheduled_start_at=start, host_ids=hosts,
                organization_id=merchants[merchant]))
            await live_service.do_transition_session(session, subject, live.id, SessionStatus.LIVE, start)
            lines = [(n, json.dumps(e).encode()) for n, e in enumerate(EVENTS[name], start=1)]
            result = await do_ingest(session, subject, live.id, lines)
            assert result.accepted == len(lines), result.rejected
            await live_service.do_transition_session(
                session, subject, live.id, SessionStatus.ENDED, start + timedelta(minutes=minutes))
            sessions[name] = live.id
        # The comment models understood both comments of S1 (one complaint), not the one of S2.
        comments = (await session.execute(select(LiveEventRow).where(
            LiveEventRow.session_id == sessions["S1"], LiveEventRow.type == "comment"))).scalars()
        for row in comments:
            session.add(CommentInsight(
                event_row_id=row.id, tenant_id=tenant.tenant_id, session_id=row.session_id,
                occurred_at=row.occurred_at, viewer_key=row.viewer_key, normalized=row.text or "",
                intent="complaint" if row.event_id == "s1-t1" else "question", intent_confidence=0.9, aspects=[],
                sentiment="negative", aspect_sentiments={}))
    return World(tenant=tenant, host_a=tenant.host_id, host_b=host_b, sessions=sessions, merchants=merchants)


@pytest.fixture
async def world(database: Database, tenant: TenantFixture) -> World:
    return await build_world(database, tenant)
