"""The demo tenant: its three hosts have scorecards from their simulated sessions, its orders are chained."""

from __future__ import annotations

from livebridge.audit import service as audit_service
from livebridge.authz import Permission, Subject
from livebridge.db import Database
from livebridge.demo.seed import DEMO_SLUG, load_demo
from livebridge.kit.pagination import PageParams
from livebridge.live import service as live_service
from livebridge.models import SessionStatus
from livebridge.scorecards import service
from livebridge.tenancy import service as tenancy_service


async def test_demo_hosts_have_scorecards_and_a_verified_chain(database: Database) -> None:
    async with database.transaction() as session:
        await load_demo(session)  # no-op when another test loaded it already
    async with database.transaction(write=False) as session:
        tenant = await tenancy_service.access_tenant_by_slug(session, DEMO_SLUG)
        subject = Subject(display_name="test", tenant_id=tenant.id, permissions=frozenset({Permission.READ}))
        window = service.resolve_period(None, None, "Asia/Shanghai")
        ranking = await service.host_ranking(session, subject, window, PageParams())
        report = await audit_service.verify_chain(session, tenant.id)
        ended = await live_service.count_sessions_by_status(session, subject)
    assert [card.host_name for card in ranking.items] != []
    assert {card.host_name for card in ranking.items} == {"小暖", "阿杰说家电", "美食家琳琳"}
    assert sum(card.sessions for card in ranking.items) == ended[SessionStatus.ENDED]  # every one has a main host
    assert all(card.orders > 0 and card.is_simulated for card in ranking.items)
    paid = sum(card.orders for card in ranking.items)
    assert report.ok, report.problem
    assert report.counts_by_kind["order_paid"] == paid
