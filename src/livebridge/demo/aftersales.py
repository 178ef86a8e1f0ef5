"""The demo's after-sales side: a dealer network, agreements with history, orders and tickets in every state.

Everything is generated and marked simulated: the dealers, their territories and agreements, the
orders of the demo's past live sessions (imported through the same service as a real export), the
after-sale requests and the tickets they became. Ticket moves and deadline checks run through the
service desk with the demo's own clock, so the history and the penalties are what the real code
records.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Subject
from livebridge.catalog import service as catalog_service
from livebridge.dealers import service as dealers_service
from livebridge.dealers.schemas import (
    AgreementCreate,
    CapabilityOffer,
    Contact,
    Deadline,
    DealerSetup,
    TerritoryClaim,
)
from livebridge.kit.pagination import PageParams
from livebridge.live import service as live_service
from livebridge.live.schemas import HostCreate, SessionCreate
from livebridge.models import Capability, OrganizationKind, Platform, SessionStatus, TicketKind, TicketStatus
from livebridge.orders import service as orders_service
from livebridge.orders.formats import RawRow
from livebridge.service_desk import service as desk_service
from livebridge.service_desk.schemas import ReassignTicket, ResolveTicket, ScheduleVisit
from livebridge.settlement import service as settlement_service
from livebridge.tenancy import service as tenancy_service
from livebridge.tenancy.schemas import OrganizationCreate

# Dealers added to the five district dealers of the demo: a city and two province-level service partners,
# and two more districts. (name, contact, phone, GB/T 2260 code)
MORE_DEALERS = [
    ("杭州暖家城区服务部", "吴经理", "13800000006", "330100"),
    ("浙江暖家省级服务商", "郑经理", "13800000007", "330000"),
    ("广东暖家售后服务总部", "冯经理", "13800000008", "440000"),
    ("上海浦东暖家服务站", "孙师傅", "13800000009", "310115"),
    ("武汉江汉暖家售后网点", "朱师傅", "13800000010", "420103"),
]

# Receiver addresses as buyers type them (district, short and noisy forms); the last ones cannot be routed.
ADDRESSES = [
    "浙江省杭州市西湖区文三路138号东方通信大厦",
    "杭州西湖区古墩路598号同人广场",
    "浙江杭州西湖区转塘街道美院南街",
    "浙江省杭州市拱墅区莫干山路100号",
    "浙江省宁波市海曙区中山西路2号",
    "浙江省温州市鹿城区五马街18号",
    "广东省广州市天河区体育西路191号",
    "广州天河区珠江新城华夏路10号",
    "广东省深圳市南山区科技园南区",
    "四川省成都市武侯区人民南路四段1号",
    "江苏省南京市鼓楼区中山北路30号",
    "北京市朝阳区建国路88号SOHO现代城",
    "上海市浦东新区世纪大道100号",
    "湖北省武汉市江汉区解放大道690号",
    "湖南省长沙市岳麓区麓山南路2号",
    "朝阳区建国路88号",  # Beijing or Changchun: ambiguous, goes to the needs-routing queue
    "请联系客服修改地址",
]

# (after-sale type, reason, description)
REQUESTS = [
    ("安装", "预约安装", "新买的热水器需要上门安装，周末有人在家"),
    ("安装", "预约安装", "油烟机到货了，请安排师傅安装"),
    ("维修", "漏水", "热水器底部漏水，地上一摊水"),
    ("维修", "不加热", "电饭煲通电后不加热，指示灯不亮"),
    ("维修", "噪音大", "净水器工作时噪音很大"),
    ("换货", "外观破损", "收到的洗碗机侧板有凹痕，要求换货"),
    ("补寄", "少发配件", "破壁机少了一个研磨杯"),
    ("仅退款", "不想要了", "拍错了颜色"),
    ("退货退款", "质量问题", "空气炸锅用了一次涂层脱落"),
]

DEMO_DEADLINES = {
    TicketKind.INSTALLATION: Deadline(response_hours=4, resolution_hours=48),
    TicketKind.REPAIR: Deadline(response_hours=4, resolution_hours=72),
    TicketKind.EXCHANGE_INSPECTION: Deadline(response_hours=8, resolution_hours=72),
    TicketKind.DELIVERY: Deadline(response_hours=8, resolution_hours=48),
}


async def load_after_sales_demo(session: AsyncSession, owner: Subject, now: datetime, seed: int = 20261123) -> None:
    """Dealers, agreements (two versions each), simulated orders of the ended sessions, tickets in every state."""
    rng = random.Random(seed)
    dealers = await _dealer_network(session, owner, now)
    await _dealer_cohost_session(session, owner, dealers[0], now)
    orders = await _orders(session, owner, rng)
    await _tickets(session, owner, rng, now, orders, dealers)
    await _settled_period(session, owner, now)


async def _dealer_network(session: AsyncSession, owner: Subject, now: datetime) -> list[int]:
    existing = await tenancy_service.list_organizations(
        session, owner, PageParams(page=1, page_size=200), OrganizationKind.DEALER
    )
    dealers = [(d.id, d.region_code) for d in existing.items]
    for name, contact, phone, code in MORE_DEALERS:
        created = await tenancy_service.do_create_organization(
            session,
            owner,
            OrganizationCreate(
                name=name, kind=OrganizationKind.DEALER, contact_name=contact, contact_phone=phone, region_code=code
            ),
            is_simulated=True,
        )
        dealers.append((created.id, code))
    since = now - timedelta(days=120)
    for index, (dealer_id, region) in enumerate(dealers):
        assert region is not None
        capacity = 3 if index == 0 else 6  # the Hangzhou Xihu dealer is small: its overflow goes to the city
        await dealers_service.do_set_up_dealer(
            session,
            owner,
            dealer_id,
            DealerSetup(
                dealer_code=f"NJ-D{index + 1:02d}",
                contacts=[Contact(name="服务主管", role="派单", phone=f"0571-8800{index:04d}")],
                capabilities=[CapabilityOffer(capability=c, daily_capacity=capacity) for c in Capability],
            ),
            is_simulated=True,
        )
        for capability in Capability:
            await dealers_service.do_claim_territory(
                session,
                owner,
                dealer_id,
                TerritoryClaim(region_code=region, capability=capability, claimed_at=since),
                is_simulated=True,
            )
        for version, (days_ago, commission, penalty, note) in enumerate(
            [
                (120, 300, 5000, "首签：安装/维修/配送/退换检测"),
                (30, 350 + 25 * (index % 3), 8000, "旺季调整：佣金上调，超时罚金提高"),
            ]
        ):
            await dealers_service.do_add_agreement_version(
                session,
                owner,
                dealer_id,
                AgreementCreate(
                    effective_from=now - timedelta(days=days_ago),
                    service_scope=list(Capability),
                    deadlines=DEMO_DEADLINES,
                    commission_bps=commission,
                    ticket_fee_fen=6000 + 2000 * version,
                    penalty_fen=penalty,
                    note=note,
                ),
                is_simulated=True,
            )
    return [dealer_id for dealer_id, _ in dealers]


async def _dealer_cohost_session(session: AsyncSession, owner: Subject, dealer_id: int, now: datetime) -> None:
    """A coming session the Hangzhou dealer's installer co-hosts (安装答疑), next to the brand's host."""
    brand_hosts = await live_service.list_hosts(session, owner, PageParams(page=1, page_size=1))
    installer = await live_service.do_create_host(
        session,
        owner,
        HostCreate(
            name="陈师傅（西湖服务中心）",
            platform=Platform.DOUYIN,
            organization_id=dealer_id,
            bio="经销商安装师傅，直播间解答安装和售后问题",
            categories=["安装", "售后"],
        ),
        is_simulated=True,
    )
    await live_service.do_create_session(
        session,
        owner,
        SessionCreate(
            title="经销商联播 · 热水器安装答疑专场",
            platform=Platform.DOUYIN,
            platform_room_id="7300000000000099001",
            scheduled_start_at=now + timedelta(days=2),
            host_ids=[brand_hosts.items[0].id, installer.id],
        ),
        is_simulated=True,
    )


async def _orders(session: AsyncSession, owner: Subject, rng: random.Random) -> list[tuple[str, str]]:
    """Orders of every ended demo session, imported as an export would be (rows, yuan amounts, room ids)."""
    ended = await live_service.list_sessions(
        session, owner, PageParams(page=1, page_size=50), status=SessionStatus.ENDED
    )
    rows: list[tuple[int, RawRow]] = []
    for live in ended.items:
        assert live.started_at is not None
        assert live.ended_at is not None
        host = next((h.host.name for h in live.hosts), None)
        for number in range(30):
            item = rng.choice(live.shelf)
            product = await catalog_service.access_product(session, owner, item.product_id)
            sku = rng.choice(product.skus)
            price = item.live_price_fen or sku.price_fen
            paid_at = live.started_at + timedelta(
                seconds=rng.randrange(int((live.ended_at - live.started_at).total_seconds()))
            )
            address = (
                ADDRESSES[rng.randrange(len(ADDRESSES) - 2)] if rng.random() > 0.04 else rng.choice(ADDRESSES[-2:])
            )
            status = rng.choices(["已完成", "已发货", "已签收", "收货后退款完结"], weights=[70, 12, 12, 6])[0]
            order_no = f"69{live.id:04d}{number:04d}{rng.randrange(10**8):08d}"
            rows.append(
                (
                    len(rows) + 2,
                    {
                        "order_no": order_no,
                        "parent_order_no": order_no[:-2] + "00",
                        "platform": live.platform.value,
                        "shop": "暖家官方旗舰店",
                        "sku_code": sku.code,
                        "quantity": "1",
                        "paid_yuan": f"{price // 100}.{price % 100:02d}",
                        "buyer_id": f"demo-buyer-{rng.randrange(10**6)}",
                        "receiver_phone": f"13{rng.randrange(10**9):09d}",
                        "address": address,
                        "status": status,
                        "created_at": paid_at.isoformat(),
                        "paid_at": (paid_at + timedelta(seconds=20)).isoformat(),
                        "finished_at": (paid_at + timedelta(days=3)).isoformat() if status != "已发货" else None,
                        "room_id": live.platform_room_id,
                        "host": host,
                        "traffic_source": "直播",
                        "is_simulated": "true",
                    },
                )
            )
    rows[-1][1]["address"] = ADDRESSES[-1]  # one order the parser cannot route: it waits in the queue
    report = await orders_service.do_import_orders(session, owner, rows)
    assert report.error_count == 0, report.errors[:3]
    return [(str(row["order_no"]), str(row["address"])) for _, row in rows]


async def _tickets(
    session: AsyncSession,
    owner: Subject,
    rng: random.Random,
    now: datetime,
    orders: list[tuple[str, str]],
    dealers: list[int],
) -> None:
    """After-sale requests on some orders; the service ones become tickets moved into every state.

    The last two are fresh installation requests in Hangzhou Xihu, so the demo dealer's portal has
    new tickets with their deadlines counting down.
    """
    order_nos = [order_no for order_no, _ in orders]
    chosen = [*rng.sample(order_nos[:-1], k=47), order_nos[-1]]
    xihu = [no for no, address in orders if "西湖区" in address and no not in chosen]
    chosen += xihu[:2]
    rows: list[tuple[int, RawRow]] = []
    for index, order_no in enumerate(chosen):
        kind, reason, text = REQUESTS[index % len(REQUESTS)] if index < 48 else REQUESTS[0]
        applied = (
            now - timedelta(hours=2 + 3 * (len(chosen) - index))
            if index < 48
            else now - timedelta(minutes=40 * (index - 47))
        )
        rows.append(
            (
                index + 2,
                {
                    "request_no": f"AS{order_no[-10:]}{index:02d}",
                    "order_no": order_no,
                    "type": kind,
                    "reason_text": reason,
                    "description": text,
                    "amount_yuan": "0" if kind in ("安装", "维修", "补寄") else "299.00",
                    "status": "待商家同意",
                    "applied_at": applied.isoformat(),
                    "is_simulated": "true",
                },
            )
        )
    report = await orders_service.do_import_after_sales(session, owner, rows)
    requests = await orders_service.after_sales_for_service(session, owner, report.changed_ids)
    tickets = []
    for request in sorted(requests, key=lambda r: r.applied_at):
        tickets += await desk_service.do_open_tickets(
            session, owner, [request.id], request.applied_at, is_simulated=True
        )
    # Move the routed tickets along: the older a ticket, the further it got. Some are left to miss deadlines.
    plan = [
        TicketStatus.CLOSED,
        TicketStatus.RESOLVED,
        TicketStatus.IN_SERVICE,
        TicketStatus.SCHEDULED,
        TicketStatus.ACCEPTED,
    ]
    routed = [t for t in tickets if t.status == TicketStatus.ASSIGNED]
    for index, ticket in enumerate(routed):
        opened = ticket.deadlines_from or now
        if index == 3:
            await desk_service.do_cancel(session, owner, ticket.id, "客户已自行解决", now=opened + timedelta(hours=1))
            continue
        if index == 5 and len(dealers) > 1:
            await desk_service.do_reassign(
                session,
                owner,
                ticket.id,
                ReassignTicket(note="原网点师傅请假，改派"),
                now=opened + timedelta(minutes=30),
            )
        target = plan[index % len(plan)] if index < len(routed) - 6 else TicketStatus.ASSIGNED
        await _advance(session, owner, ticket.id, target, opened, now)
    # The scheduled check ran yesterday and runs now: yesterday's findings belong to the settled period.
    await desk_service.check_deadlines(session, owner, now - timedelta(days=1))
    await desk_service.check_deadlines(session, owner, now)


async def _advance(
    session: AsyncSession, owner: Subject, ticket_id: int, target: TicketStatus, opened: datetime, now: datetime
) -> None:
    """Make the moves up to ``target`` at plausible times after opening, stopping at the demo's present."""
    if target == TicketStatus.ASSIGNED:
        return
    accepted = opened + timedelta(hours=1)
    visit = ScheduleVisit(start=accepted + timedelta(hours=20), end=accepted + timedelta(hours=22), note="客户约在上午")
    moves = [
        (TicketStatus.ACCEPTED, accepted),
        (TicketStatus.SCHEDULED, accepted + timedelta(minutes=30)),
        (TicketStatus.IN_SERVICE, visit.start),
        (TicketStatus.RESOLVED, visit.start + timedelta(hours=1)),
        (TicketStatus.CLOSED, visit.start + timedelta(hours=26)),
    ]
    for step, at in moves:
        if at > now:
            return
        if step == TicketStatus.ACCEPTED:
            await desk_service.do_accept(session, owner, ticket_id, "已联系客户", now=at)
        elif step == TicketStatus.SCHEDULED:
            await desk_service.do_schedule(session, owner, ticket_id, visit, now=at)
        elif step == TicketStatus.IN_SERVICE:
            await desk_service.do_start(session, owner, ticket_id, "师傅已上门", now=at)
        elif step == TicketStatus.RESOLVED:
            notes = ResolveTicket(notes="已处理完毕，试机正常，客户签字")
            await desk_service.do_resolve(session, owner, ticket_id, notes, now=at)
        else:
            await desk_service.do_close(session, owner, ticket_id, "客户回访确认满意", now=at)
        if step == target:
            return


async def _settled_period(session: AsyncSession, owner: Subject, now: datetime) -> None:
    """The three weeks up to today (Asia/Shanghai) settled and approved for every dealer."""
    today = now.astimezone(ZoneInfo("Asia/Shanghai")).date()
    result = await settlement_service.do_settle_period(
        session, owner, today - timedelta(days=21), today, now=now, is_simulated=True
    )
    for statement in result.statements:
        await settlement_service.do_approve(session, owner, statement.id)
