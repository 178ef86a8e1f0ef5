"""Live statistics: rollups kept in the ingest transaction, and a session's figures read from them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Permission, Subject
from livebridge.catalog import service as catalog_service
from livebridge.kit.time import utcnow
from livebridge.live import service as live_service
from livebridge.models import LiveSession, SessionSku
from livebridge.stats import rollup
from livebridge.stats.repository import StatsRepository
from livebridge.stats.rollup import EventColumns as EventColumns  # what ingest hands over
from livebridge.stats.schemas import CommentItem, FunnelStep, MinuteFigures, ProductFigures, SessionStats, SessionTotals
from livebridge.stats.tallies import TALLIED, WINDOW, SessionTallies, TallyCache

# 进房 → 商品点击 → 加购 → 下单 → 支付, counted in distinct people.
FUNNEL: Final = (
    ("enter", "进房"),
    ("product_click", "商品点击"),
    ("cart_add", "加购"),
    ("order_created", "下单"),
    ("order_paid", "支付"),
)
MINUTE_COUNTERS: Final = (
    "enters",
    "leaves",
    "comments",
    "likes",
    "clicks",
    "cart_adds",
    "orders",
    "paid_orders",
    "paid_fen",
    "refunds",
    "refund_fen",
)


@dataclass(frozen=True)
class RollupIncrements:
    """What a set of newly stored events adds to the rollups, computed before the write transaction."""

    seconds: dict[int, dict[str, int]]  # UTC epoch second → counters
    skus: dict[str, dict[str, int]]  # product reference → counters


def rollup_increments(events: EventColumns) -> RollupIncrements:
    return RollupIncrements(*rollup.increments(events))


async def record_increments(
    session: AsyncSession, tenant_id: int, session_id: int, increments: RollupIncrements
) -> None:
    """Add newly stored events to the rollups, in the caller's transaction (so they never drift)."""
    repository = StatsRepository(session)
    await repository.add_second_increments(tenant_id, session_id, increments.seconds)
    await repository.add_sku_increments(tenant_id, session_id, increments.skus)


PRODUCT_COUNTERS: Final = (
    "clicks",
    "cart_adds",
    "orders",
    "paid_orders",
    "paid_units",
    "paid_fen",
    "refunds",
    "refund_fen",
)


async def _product_figures(
    session: AsyncSession, subject: Subject, live_session: LiveSession, rows: list[SessionSku]
) -> list[ProductFigures]:
    """Rollups by SKU code or link number, summed per product (SKUs via the catalog, links via the shelf)."""
    skus = await catalog_service.products_by_sku(session, subject, [r.sku_code for r in rows if r.sku_code[0] != "#"])
    links = {item.link_number: (item.product_id, item.product.name) for item in live_session.shelf}
    merged: dict[str, ProductFigures] = {}
    for row in rows:
        reference = row.sku_code
        if reference.startswith("#") and reference[1:].isdigit():
            product = links.get(int(reference[1:]))
        else:
            product = skus.get(reference)
        key = f"product:{product[0]}" if product else reference
        figures = merged.setdefault(
            key,
            ProductFigures(
                product_id=product[0] if product else None,
                product_name=product[1] if product else None,
                references=[],
                **dict.fromkeys(PRODUCT_COUNTERS, 0),
            ),
        )
        figures.references.append(reference)
        for column in PRODUCT_COUNTERS:
            setattr(figures, column, getattr(figures, column) + getattr(row, column))
    return sorted(merged.values(), key=lambda f: (-f.paid_fen, -f.clicks, f.product_name or "", f.references))


TALLIES = TallyCache()


async def _tallies(
    session: AsyncSession, subject: Subject, session_id: int, rollups: Mapping[str, int]
) -> SessionTallies:
    """The session's tallies, brought up to date; rebuilt from all its events if they missed some."""
    repository = StatsRepository(session)
    connection = await session.connection()
    window = WINDOW.get(connection.dialect.name, max(WINDOW.values()))
    key = (str(connection.engine.url), subject.require_tenant(), session_id)
    tallies = TALLIES.get(key)
    kinds = tuple(TALLIED)
    tallies.take(await repository.tallied_events(subject, session_id, kinds, tallies.read_after(window)), window)
    if tallies.missed_events(rollups):
        tallies = TALLIES.replace(key)
        tallies.take(await repository.tallied_events(subject, session_id, kinds, 0), window)
    return tallies


async def session_stats(session: AsyncSession, subject: Subject, session_id: int) -> SessionStats:
    subject.check(Permission.READ)
    live_session = await live_service.access_session(session, subject, session_id)
    repository = StatsRepository(session)
    summed = (*MINUTE_COUNTERS, "gifts", "gift_fen", "follows", "shares", "order_fen")
    minute_sums = await repository.minute_sums(subject, session_id, summed)

    totals: dict[str, int] = defaultdict(int)
    online_by_minute: dict[datetime, int] = {}
    has_samples = any(m.online_max is not None for m in minute_sums)
    for m in minute_sums:
        for column, value in m.sums.items():
            totals[column] += value
        if m.online_max is not None:
            online_by_minute[m.minute] = m.online_max
    if not has_samples:  # enters minus leaves, second by second
        present = 0
        for second, enters, leaves in await repository.presence_by_second(subject, session_id):
            present += enters - leaves
            minute = second.replace(second=0)
            online_by_minute[minute] = max(online_by_minute.get(minute, 0), max(present, 0))
    minute_rows = [
        MinuteFigures(
            minute=m.minute,
            online=online_by_minute.get(m.minute, 0),
            **{column: m.sums[column] for column in MINUTE_COUNTERS},
        )
        for m in minute_sums
    ]
    online_values = [m.online for m in minute_rows if m.minute in online_by_minute]
    last_second = minute_sums[-1].last_second if minute_sums else None

    tallies = await _tallies(session, subject, session_id, totals)  # after the rollups: see stats/tallies.py
    funnel: list[FunnelStep] = []
    previous: int | None = None
    for step, label in FUNNEL:
        viewers = tallies.distinct_people(step)
        rate = round(viewers / previous, 4) if previous else None
        funnel.append(FunnelStep(step=step, label=label, viewers=viewers, rate_from_previous=rate))
        previous = viewers

    until = live_session.ended_at or (utcnow() if live_session.status == "live" else last_second) or utcnow()
    watch = tallies.average_watch_seconds(until)
    enters = totals["enters"]
    products = await _product_figures(session, subject, live_session, await repository.skus(subject, session_id))
    return SessionStats(
        session_id=live_session.id,
        title=live_session.title,
        status=live_session.status,
        started_at=live_session.started_at,
        ended_at=live_session.ended_at,
        totals=SessionTotals(
            enters=enters,
            leaves=totals["leaves"],
            unique_viewers=tallies.distinct_people("enter"),
            comments=totals["comments"],
            likes=totals["likes"],
            gifts=totals["gifts"],
            gift_fen=totals["gift_fen"],
            follows=totals["follows"],
            shares=totals["shares"],
            clicks=totals["clicks"],
            cart_adds=totals["cart_adds"],
            orders=totals["orders"],
            order_fen=totals["order_fen"],
            paid_orders=totals["paid_orders"],
            paid_fen=totals["paid_fen"],
            refunds=totals["refunds"],
            refund_fen=totals["refund_fen"],
            online_peak=max(online_values, default=0),
            online_average=round(sum(online_values) / len(online_values), 1) if online_values else 0.0,
            online_source="platform samples" if has_samples else "enters minus leaves",
            average_watch_seconds=round(watch, 1) if watch is not None else None,
            # Integer fen: GMV × 1000 / views, rounded half up.
            gpm_fen=(totals["paid_fen"] * 1000 * 2 + enters) // (2 * enters) if enters else None,
        ),
        funnel=funnel,
        minutes=minute_rows,
        products=products,
    )


async def funnel_of_sessions(session: AsyncSession, subject: Subject, session_ids: list[int]) -> dict[str, int]:
    """The funnel's people summed over several sessions (each session counts its own unique people)."""
    subject.check(Permission.READ)
    if not session_ids:
        return {}
    per_session = await StatsRepository(session).funnel_viewers(subject, session_ids, tuple(s for s, _ in FUNNEL))
    summed: dict[str, int] = defaultdict(int)
    for counts in per_session.values():
        for step, viewers in counts.items():
            summed[step] += viewers
    return dict(summed)


async def window_totals(
    session: AsyncSession, subject: Subject, session_id: int, windows: list[tuple[datetime, datetime]]
) -> list[dict[str, int]]:
    """The per-second rollups summed over each [start, end) window (e.g. while a product was explained)."""
    subject.check(Permission.READ)
    seconds = await StatsRepository(session).seconds(subject, session_id)
    totals: list[dict[str, int]] = [defaultdict(int) for _ in windows]
    for second in seconds:
        for index, (start, end) in enumerate(windows):
            if start <= second.second < end:
                for column in MINUTE_COUNTERS:
                    totals[index][column] += getattr(second, column)
    return [dict(t) for t in totals]


async def recent_comments(
    session: AsyncSession, subject: Subject, session_id: int, *, after_id: int = 0, limit: int = 50
) -> list[CommentItem]:
    subject.check(Permission.READ)
    rows = await StatsRepository(session).recent_comments(subject, session_id, after_id, limit)
    return [CommentItem(id=i, occurred_at=at, viewer=viewer, text=text) for i, at, viewer, text in rows]
