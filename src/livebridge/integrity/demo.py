"""The demo tenant's integrity: one simulated session with injected bots, a comment flood and
brushed orders (all marked simulated), then every ended session assessed so that the risk
overview and the alerts have something to show.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Subject
from livebridge.ingest.schemas import LiveEvent, OnlineCount, OrderCreated, encode
from livebridge.ingest.service import MAX_BATCH_EVENTS, do_ingest
from livebridge.integrity import service
from livebridge.integrity.columns import micros
from livebridge.integrity.inject import MINUTE_US, SCRIPTS, SECOND_US, Injector
from livebridge.kit.pagination import PageParams
from livebridge.live import service as live_service
from livebridge.live.schemas import SessionCreate
from livebridge.models import Platform, SessionStatus
from livebridge.simulate import AudienceModel, Scenario, example_shelf, simulate

DEMO_TITLE: Final = "小暖 · 宠粉夜（注入机器人与刷单，演示）"
DURATION: Final = timedelta(minutes=90)
BOTS: Final = 600


def _injected(background: list[LiveEvent], session_id: int) -> list[LiveEvent]:
    """Bots pour in at minute 30 and leave together at minute 55; a flood; brushed and refunded orders."""
    inject = Injector(seed=session_id, prefix=f"inj-{session_id}")
    rng = inject.rng
    start = micros(background[0].occurred_at)
    made: list[LiveEvent] = []
    burst_at, leave_at = start + 30 * MINUTE_US, start + 55 * MINUTE_US
    bots = [f"inj-bot-{i}" for i in range(BOTS)]
    for bot in bots:
        made += [inject.enter(bot, burst_at + rng.randrange(6 * SECOND_US)), inject.leave(bot, leave_at)]
    script = SCRIPTS[0]
    for i in range(12):
        for _ in range(3):
            made.append(
                inject.comment(f"inj-water-{i}", start + rng.randrange(85 * MINUTE_US), inject.variant(script, 1))
            )
    for i in range(10):
        made.append(
            inject.comment(f"inj-water-{i}", burst_at + rng.randrange(40 * SECOND_US), inject.variant(SCRIPTS[2], 1))
        )
    orders = [e for e in background if isinstance(e, OrderCreated)]
    price = {o.sku_code: o.amount_fen for o in orders}
    target = "NJ-C1" if "NJ-C1" in price else min(price, key=lambda sku: sum(o.sku_code == sku for o in orders))
    for b in range(2):
        for k in range(6):
            moment = start + 40 * MINUTE_US + rng.randrange(15 * MINUTE_US)
            made += inject.order(
                f"inj-{session_id}-brush-{b}-{k}", f"inj-brusher-{b}", target, price[target], moment, None
            )
    refunded = next(sku for sku in sorted(price) if sku != target)  # pay-and-refund on another SKU
    for a in range(6):
        for k in range(2):
            moment = start + rng.randrange(80 * MINUTE_US)
            made += inject.order(
                f"inj-{session_id}-refund-{a}-{k}",
                f"inj-refunder-{a}",
                refunded,
                price[refunded],
                moment,
                3 * MINUTE_US,
            )
    # The platform's online count includes the bots while they are in the room.
    counted = [
        OnlineCount(
            event_id=event.event_id,
            occurred_at=event.occurred_at,
            source=event.source,
            is_simulated=True,
            count=event.count + (BOTS if burst_at + 6 * SECOND_US <= micros(event.occurred_at) < leave_at else 0),
        )
        if isinstance(event, OnlineCount)
        else event
        for event in background
    ]
    return sorted([*counted, *made], key=lambda event: event.occurred_at)


async def load_demo(
    session: AsyncSession, owner: Subject, *, host_id: int, organization_id: int | None, start: datetime
) -> int:
    """Create and fill the flagged demo session, assess every ended session; returns the session id."""
    live_session = await live_service.do_create_session(
        session,
        owner,
        SessionCreate(
            title=DEMO_TITLE,
            platform=Platform.DOUYIN,
            scheduled_start_at=start,
            organization_id=organization_id,
            host_ids=[host_id],
        ),
        is_simulated=True,
    )
    await live_service.do_transition_session(session, owner, live_session.id, SessionStatus.LIVE, start)
    scenario = Scenario(
        start=start,
        duration=DURATION,
        shelf=example_shelf(),
        audience=AudienceModel(viewers=8_000),
        seed=live_session.id,
        id_namespace=f"integrity-demo-{live_session.id}",
    )
    lines = [encode(event) for event in _injected(list(simulate(scenario).events()), live_session.id)]
    for offset in range(0, len(lines), MAX_BATCH_EVENTS):
        chunk = lines[offset : offset + MAX_BATCH_EVENTS]
        await do_ingest(session, owner, live_session.id, list(enumerate(chunk, start=offset + 1)))
    await live_service.do_transition_session(session, owner, live_session.id, SessionStatus.ENDED, start + DURATION)
    ended = await live_service.list_sessions(
        session, owner, PageParams(page=1, page_size=200), status=SessionStatus.ENDED
    )
    for ended_session in ended.items:
        await service.assess_session(session, owner, ended_session.id)
    return live_session.id
