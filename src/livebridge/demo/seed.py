"""Loads the demo tenant through the same services the API uses. Every row is marked simulated.

暖家电器 is a made-up brand; its merchants, dealers, hosts, products and sessions are generated
for demonstration and are not real data.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Permission, Subject, command_line_subject
from livebridge.catalog import service as catalog_service
from livebridge.catalog.schemas import ProductCreate, SkuCreate
from livebridge.demand.demo import load_demo_demand
from livebridge.demo.aftersales import load_after_sales_demo
from livebridge.ingest.schemas import encode
from livebridge.ingest.service import MAX_BATCH_EVENTS, do_ingest
from livebridge.insight.demo import understand_demo
from livebridge.integrity import demo as integrity_demo
from livebridge.kit.time import utcnow
from livebridge.live import service as live_service
from livebridge.live.schemas import HostCreate, SessionCreate, ShelfItemCreate
from livebridge.models import OrganizationKind, Platform, Role, SessionStatus
from livebridge.simulate.generator import generate_events
from livebridge.simulate.scenario import AudienceModel, Scenario, ShelfProduct, SkuSpec, plan_schedule
from livebridge.tenancy import service as tenancy_service
from livebridge.tenancy.repository import TenantRepository
from livebridge.tenancy.schemas import MemberCreate, OrganizationCreate, TenantCreate

DEMO_SLUG = "nuanjia-demo"
DEMO_PASSWORD = "livebridge-demo"  # noqa: S105 - the published demo login
SHANGHAI = ZoneInfo("Asia/Shanghai")

DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("owner (brand)", "owner@nuanjia.demo", DEMO_PASSWORD),
    ("operator", "operator@nuanjia.demo", DEMO_PASSWORD),
    ("analyst", "analyst@nuanjia.demo", DEMO_PASSWORD),
    ("host", "xiaonuan@nuanjia.demo", DEMO_PASSWORD),
    ("dealer staff", "dealer.hz@nuanjia.demo", DEMO_PASSWORD),
    ("platform admin", "admin@livebridge.demo", DEMO_PASSWORD),
]

MERCHANTS = [("暖家官方旗舰店", "王店长", "0571-88001234"), ("暖家厨房电器专营店", "李经理", "020-38881234")]

# (name, contact, phone, county code) — county codes are GB/T 2260.
DEALERS = [
    ("杭州西湖暖家服务中心", "陈师傅", "13800000001", "330106"),
    ("广州天河暖家电器服务部", "黄师傅", "13800000002", "440106"),
    ("成都武侯暖家售后网点", "刘师傅", "13800000003", "510107"),
    ("南京鼓楼暖家家电服务站", "周师傅", "13800000004", "320106"),
    ("北京朝阳暖家安装服务中心", "赵师傅", "13800000005", "110105"),
]

HOSTS = [
    HostCreate(
        name="小暖",
        platform=Platform.DOUYIN,
        platform_handle="nuanjia_xiaonuan",
        bio="品牌自播主播，厨房小电测评",
        categories=["厨房小电", "家居"],
        follower_count=286_000,
    ),
    HostCreate(
        name="阿杰说家电",
        platform=Platform.KUAISHOU,
        platform_handle="ajie_jiadian",
        bio="家电达人，擅长大件安装类产品讲解",
        categories=["大家电", "安装"],
        follower_count=1_230_000,
    ),
    HostCreate(
        name="美食家琳琳",
        platform=Platform.WECHAT_CHANNELS,
        platform_handle="linlin_meishi",
        bio="美食博主，边做菜边带货",
        categories=["美食", "厨房小电"],
        follower_count=542_000,
    ),
]

# (name, category, aliases, [(sku code, spec, price in fen)])
PRODUCTS: list[tuple[str, str, list[str], list[tuple[str, str, int]]]] = [
    (
        "暖家空气炸锅 AF5",
        "厨房小电",
        ["空气炸锅", "炸锅", "AF5"],
        [("NJ-AF5-W", "5L 白色", 29900), ("NJ-AF5-G", "5L 墨绿", 31900)],
    ),
    (
        "暖家智能电饭煲 R30",
        "厨房小电",
        ["电饭煲", "电饭锅", "R30"],
        [("NJ-R30-3L", "3L", 39900), ("NJ-R30-4L", "4L", 45900)],
    ),
    ("暖家破壁机 B12", "厨房小电", ["破壁机", "料理机", "豆浆机"], [("NJ-B12", "1.75L 静音款", 59900)]),
    (
        "暖家电热水壶 K17",
        "厨房小电",
        ["热水壶", "烧水壶", "电水壶"],
        [("NJ-K17-W", "1.7L 白色", 12900), ("NJ-K17-P", "1.7L 粉色", 12900)],
    ),
    ("暖家电炖锅 D20", "厨房小电", ["电炖锅", "炖盅", "隔水炖"], [("NJ-D20", "2L 陶瓷内胆", 19900)]),
    ("暖家养生壶 Y15", "厨房小电", ["养生壶", "煮茶壶"], [("NJ-Y15", "1.5L", 15900)]),
    ("暖家电烤箱 O32", "厨房小电", ["烤箱", "电烤箱"], [("NJ-O32", "32L 上下独立控温", 49900)]),
    ("暖家电饼铛 P28", "厨房小电", ["电饼铛", "煎饼机"], [("NJ-P28", "双面加热 28cm", 21900)]),
    (
        "暖家榨汁杯 J3",
        "厨房小电",
        ["榨汁杯", "果汁杯", "随行杯"],
        [("NJ-J3-B", "蓝色", 9900), ("NJ-J3-Y", "黄色", 9900)],
    ),
    ("暖家咖啡机 C1", "厨房小电", ["咖啡机", "意式咖啡机"], [("NJ-C1", "20Bar 半自动", 89900)]),
    ("暖家扫地机器人 S9", "清洁电器", ["扫地机", "扫地机器人", "S9"], [("NJ-S9", "扫拖一体 自动集尘", 199900)]),
    ("暖家无线吸尘器 V8", "清洁电器", ["吸尘器", "V8"], [("NJ-V8", "无线手持", 99900)]),
    ("暖家除螨仪 M2", "清洁电器", ["除螨仪", "除螨机"], [("NJ-M2", "UV 紫外线", 29900)]),
    ("暖家挂烫机 G6", "生活电器", ["挂烫机", "熨斗", "蒸汽挂烫"], [("NJ-G6", "双杆立式", 34900)]),
    ("暖家加湿器 H4", "生活电器", ["加湿器"], [("NJ-H4", "4L 上加水", 16900)]),
    ("暖家取暖器 W22", "生活电器", ["取暖器", "暖风机", "小太阳"], [("NJ-W22", "2200W 油汀", 39900)]),
    ("暖家落地扇 F3", "生活电器", ["电风扇", "落地扇", "风扇"], [("NJ-F3", "直流变频 遥控", 26900)]),
    ("暖家净水器 RO600", "大家电", ["净水器", "净水机", "RO600"], [("NJ-RO600", "600G 厨下式 含安装", 229900)]),
    (
        "暖家燃气热水器 X200",
        "大家电",
        ["热水器", "燃气热水器", "X200"],
        [("NJ-X200-13", "13L 恒温", 259900), ("NJ-X200-16", "16L 恒温", 299900)],
    ),
    ("暖家洗碗机 E8", "大家电", ["洗碗机", "E8"], [("NJ-E8", "8套 嵌入式", 329900)]),
    ("暖家油烟机 T900", "大家电", ["油烟机", "抽油烟机", "烟机"], [("NJ-T900", "侧吸 23m³", 269900)]),
    (
        "暖家燃气灶 Z5",
        "大家电",
        ["燃气灶", "煤气灶", "灶具"],
        [("NJ-Z5-NG", "天然气 5.0kW", 149900), ("NJ-Z5-LPG", "液化气 5.0kW", 149900)],
    ),
]

SESSION_THEMES = ["厨房小电专场", "大家电安装季", "清洁好物节", "冬季取暖专场", "新品首发", "会员日宠粉"]


def _evening(days_from_today: int, hour: int = 19, minute: int = 30) -> datetime:
    today = utcnow().astimezone(SHANGHAI).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return today + timedelta(days=days_from_today)


async def load_demo(session: AsyncSession) -> bool:
    """Create the demo tenant; returns False (and changes nothing) when it exists already."""
    if await TenantRepository(session).get_by_slug(DEMO_SLUG) is not None:
        return False
    rng = random.Random(20261123)
    admin = command_line_subject()
    tenant = await tenancy_service.do_create_tenant(
        session,
        admin,
        TenantCreate(
            slug=DEMO_SLUG,
            name="暖家电器（演示）",
            owner_email="owner@nuanjia.demo",
            owner_name="暖家品牌负责人",
            owner_password=DEMO_PASSWORD,
        ),
        is_simulated=True,
    )
    owner = Subject(display_name="demo loader", tenant_id=tenant.id, permissions=frozenset(Permission))

    merchants = [
        await tenancy_service.do_create_organization(
            session,
            owner,
            OrganizationCreate(name=name, kind=OrganizationKind.MERCHANT, contact_name=contact, contact_phone=phone),
            is_simulated=True,
        )
        for name, contact, phone in MERCHANTS
    ]
    dealers = [
        await tenancy_service.do_create_organization(
            session,
            owner,
            OrganizationCreate(
                name=name, kind=OrganizationKind.DEALER, contact_name=contact, contact_phone=phone, region_code=code
            ),
            is_simulated=True,
        )
        for name, contact, phone, code in DEALERS
    ]
    for email, name, role, organization_id in (
        ("operator@nuanjia.demo", "运营小王", Role.OPERATOR, merchants[0].id),
        ("analyst@nuanjia.demo", "数据分析师小李", Role.ANALYST, None),
        ("xiaonuan@nuanjia.demo", "小暖", Role.HOST, merchants[0].id),
        ("dealer.hz@nuanjia.demo", "陈师傅", Role.DEALER_STAFF, dealers[0].id),
    ):
        await tenancy_service.do_add_member(
            session,
            owner,
            MemberCreate(
                email=email, display_name=name, password=DEMO_PASSWORD, role=role, organization_id=organization_id
            ),
        )
    platform_admin = await tenancy_service.do_add_member(
        session,
        owner,
        MemberCreate(
            email="admin@livebridge.demo", display_name="平台管理员", password=DEMO_PASSWORD, role=Role.ANALYST
        ),
    )
    await tenancy_service.do_grant_platform_admin(session, admin, platform_admin.user_id)

    hosts = [
        await live_service.do_create_host(
            session, owner, host.model_copy(update={"organization_id": merchants[0].id}), is_simulated=True
        )
        for host in HOSTS
    ]
    products: list[tuple[int, int, ShelfProduct]] = []  # (product id, lowest SKU price in fen, simulator view)
    for name, category, aliases, skus in PRODUCTS:
        product = await catalog_service.do_create_product(
            session,
            owner,
            ProductCreate(
                name=name,
                category=category,
                aliases=aliases,
                skus=[SkuCreate(code=code, spec=spec, price_fen=price) for code, spec, price in skus],
            ),
            is_simulated=True,
        )
        simulated = ShelfProduct(
            link_number=1,
            name=name,
            category=category,
            aliases=tuple(aliases),
            skus=tuple(SkuSpec(code=code, price_fen=price, spec=spec) for code, spec, price in skus),
        )
        products.append((product.id, min(price for _, _, price in skus), simulated))

    # Eight past sessions (ended, with shelf and explanation segments) and three scheduled ones.
    for index, days in enumerate([-15, -13, -11, -9, -7, -5, -3, -1, 1, 3, 6]):
        host = hosts[index % len(hosts)]
        start = _evening(days)
        live_session = await live_service.do_create_session(
            session,
            owner,
            SessionCreate(
                title=f"{host.name} · {SESSION_THEMES[index % len(SESSION_THEMES)]}",
                platform=host.platform,
                platform_room_id=str(7_300_000_000_000_000_000 + index * 7919),
                scheduled_start_at=start,
                organization_id=merchants[index % 2].id,
                host_ids=[host.id],
            ),
            is_simulated=True,
        )
        shelf = rng.sample(products, k=6)
        discounts = [rng.choice([1000, 1500, 2000]) for _ in shelf]
        for (product_id, lowest_price, _), discount in zip(shelf, discounts, strict=True):
            await live_service.do_add_to_shelf(
                session,
                owner,
                live_session.id,
                ShelfItemCreate(product_id=product_id, live_price_fen=lowest_price * (10_000 - discount) // 10_000),
            )
        if days >= 0:
            continue
        await _simulate_past_session(session, owner, live_session.id, start, shelf, discounts, seed=index)
    await load_after_sales_demo(session, owner, utcnow())
    await integrity_demo.load_demo(
        session, owner, host_id=hosts[0].id, organization_id=merchants[0].id, start=_evening(-2, hour=21)
    )
    await understand_demo(session, tenant.id)
    await load_demo_demand(session, owner)
    return True


async def _simulate_past_session(
    session: AsyncSession,
    owner: Subject,
    session_id: int,
    start: datetime,
    shelf: list[tuple[int, int, ShelfProduct]],
    discounts: list[int],
    *,
    seed: int,
) -> None:
    """Go live, ingest the simulator's events (its explain events become the segments), end the session."""
    duration = timedelta(minutes=90)
    simulated_shelf = tuple(
        dataclasses.replace(product, link_number=link, live_discount_bp=discount, is_deal=link == 1)
        for link, ((_, _, product), discount) in enumerate(zip(shelf, discounts, strict=True), start=1)
    )
    schedule = plan_schedule(simulated_shelf, duration.total_seconds(), seed)
    await live_service.do_transition_session(session, owner, session_id, SessionStatus.LIVE, start)
    scenario = Scenario(
        start=start,
        duration=duration,
        shelf=simulated_shelf,
        schedule=schedule,
        audience=AudienceModel(viewers=2_000 + 1_000 * (seed % 4)),
        seed=seed,
        id_namespace=f"demo-{session_id}",
    )
    lines = [encode(event) for event in generate_events(scenario)]
    for offset in range(0, len(lines), MAX_BATCH_EVENTS):
        chunk = lines[offset : offset + MAX_BATCH_EVENTS]
        await do_ingest(session, owner, session_id, list(enumerate(chunk, start=offset + 1)))
    await live_service.do_transition_session(session, owner, session_id, SessionStatus.ENDED, start + duration)
