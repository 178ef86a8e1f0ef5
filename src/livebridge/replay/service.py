"""The replay report (复盘) of an ended session: what happened, against what, and what to change."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Permission, Subject
from livebridge.exceptions import Conflict
from livebridge.live import service as live_service
from livebridge.models import LiveSession, SessionStatus
from livebridge.replay import analysis
from livebridge.replay.repository import ReplayRepository
from livebridge.replay.schemas import (
    Advice,
    AspectCount,
    FunnelComparison,
    ProductReplay,
    ReplayReport,
    SegmentImpact,
)
from livebridge.stats import service as stats_service
from livebridge.stats.schemas import FunnelStep, MinuteFigures, ProductFigures

SEVERITY_ORDER = {"warning": 0, "info": 1, "good": 2}


async def replay_report(session: AsyncSession, subject: Subject, session_id: int) -> ReplayReport:
    subject.check(Permission.READ)
    live_session = await live_service.access_session(session, subject, session_id)
    if live_session.status != SessionStatus.ENDED or live_session.started_at is None or live_session.ended_at is None:
        raise Conflict("the replay report is made once the session has ended", code="session_not_ended")
    figures = await stats_service.session_stats(session, subject, session_id)
    segments = await _segments(session, subject, live_session, figures.minutes, live_session.ended_at)
    funnel = await _funnel(session, subject, live_session, figures.funnel)
    products = _products(figures.products, segments)
    repository = ReplayRepository(session)
    unanswered = _aspect_counts(await repository.unanswered_questions_by_aspect(subject, session_id))
    complaints = _aspect_counts(await repository.complaints_by_aspect(subject, session_id))
    # The last minute's exodus is the broadcast ending, not viewers leaving a dull moment.
    whole_minutes = [m for m in figures.minutes if m.minute + timedelta(minutes=1) <= live_session.ended_at]
    drop_offs = analysis.find_drop_offs(whole_minutes, segments)
    usual_loss = analysis.usual_loss_per_minute(figures.minutes)

    advice = [
        *analysis.segment_advice(segments, usual_loss),
        *analysis.comment_advice(unanswered, complaints),
        *analysis.funnel_advice(funnel),
        *analysis.product_advice(products),
        *analysis.peak_advice(figures.minutes, segments, live_session.started_at),
    ]
    if drop_offs:
        worst = max(drop_offs, key=lambda d: d.lost)
        on_screen = f"，当时在讲解「{worst.product_on_screen}」" if worst.product_on_screen else "，当时未讲解商品"
        offset = int((worst.minute - live_session.started_at.replace(second=0, microsecond=0)).total_seconds() // 60)
        advice.append(
            Advice(
                kind="drop_off",
                severity="info",
                text=(
                    f"开播第 {offset} 分钟流失最多：在线从 {worst.online_before} 降到 {worst.online_after}"
                    f"（{analysis.percent(worst.drop_share)}）{on_screen}，复盘时回看这一段的话术与画面"
                ),
            )
        )
    advice.sort(key=lambda a: SEVERITY_ORDER[a.severity])

    return ReplayReport(
        session_id=live_session.id,
        title=live_session.title,
        platform=live_session.platform,
        hosts=[h.host.name for h in live_session.hosts],
        started_at=live_session.started_at,
        ended_at=live_session.ended_at,
        duration_seconds=int((live_session.ended_at - live_session.started_at).total_seconds()),
        is_simulated=live_session.is_simulated,
        totals=figures.totals,
        minutes=figures.minutes,
        segments=segments,
        drop_offs=drop_offs,
        usual_loss_per_minute=round(usual_loss, 4),
        funnel=funnel,
        products=products,
        unanswered_questions=unanswered,
        complaints=complaints,
        comments_understood=await repository.comments_understood(subject, session_id),
        advice=advice,
    )


async def _segments(
    session: AsyncSession,
    subject: Subject,
    live_session: LiveSession,
    minutes: list[MinuteFigures],
    session_end: datetime,
) -> list[SegmentImpact]:
    ordered = sorted(live_session.segments, key=lambda s: s.started_at)
    windows = [(s.started_at, s.ended_at or session_end) for s in ordered]
    totals = await stats_service.window_totals(session, subject, live_session.id, windows)
    result = []
    for segment, (start, end), counts in zip(ordered, windows, totals, strict=True):
        online_start, online_end = analysis.segment_online(minutes, start, end)
        change = (online_end - online_start) / online_start if online_start and online_end is not None else None
        result.append(
            SegmentImpact(
                product_id=segment.product_id,
                product_name=segment.product.name,
                started_at=start,
                ended_at=segment.ended_at,
                seconds=int((end - start).total_seconds()),
                online_start=online_start,
                online_end=online_end,
                online_change=round(change, 4) if change is not None else None,
                comments=counts.get("comments", 0),
                paid_orders=counts.get("paid_orders", 0),
                paid_fen=counts.get("paid_fen", 0),
            )
        )
    return result


def _pooled_rates(people: dict[str, int]) -> dict[str, float | None]:
    rates: dict[str, float | None] = {}
    previous: str | None = None
    for step, _ in stats_service.FUNNEL:
        base = people.get(previous, 0) if previous else 0
        rates[step] = round(people.get(step, 0) / base, 4) if base else None
        previous = step
    return rates


async def _funnel(
    session: AsyncSession, subject: Subject, live_session: LiveSession, funnel: list[FunnelStep]
) -> list[FunnelComparison]:
    host_ids = await live_service.previous_sessions(session, subject, live_session, of="host")
    shop_ids = await live_service.previous_sessions(session, subject, live_session, of="shop")
    host_rates = _pooled_rates(await stats_service.funnel_of_sessions(session, subject, host_ids))
    shop_rates = _pooled_rates(await stats_service.funnel_of_sessions(session, subject, shop_ids))
    return [
        FunnelComparison(
            step=step.step,
            label=step.label,
            previous_label=funnel[index - 1].label if index else None,
            viewers=step.viewers,
            rate=step.rate_from_previous,
            host_rate=host_rates.get(step.step),
            host_sessions=len(host_ids),
            shop_rate=shop_rates.get(step.step),
            shop_sessions=len(shop_ids),
        )
        for index, step in enumerate(funnel)
    ]


def _products(products: list[ProductFigures], segments: list[SegmentImpact]) -> list[ProductReplay]:
    """Every product that sold or was explained, with how long it was explained."""
    explained: dict[int, int] = defaultdict(int)
    names: dict[int, str] = {}
    for segment in segments:
        explained[segment.product_id] += segment.seconds
        names[segment.product_id] = segment.product_name
    result = [
        ProductReplay(
            **product.model_dump(),
            explained_seconds=explained.get(product.product_id, 0) if product.product_id else 0,
            conversion=round(product.paid_orders / product.clicks, 4) if product.clicks else None,
        )
        for product in products
    ]
    sold = {product.product_id for product in products}
    result.extend(
        ProductReplay(
            product_id=product_id,
            product_name=names[product_id],
            references=[],
            explained_seconds=seconds,
            conversion=None,
            **dict.fromkeys(stats_service.PRODUCT_COUNTERS, 0),
        )
        for product_id, seconds in explained.items()
        if product_id not in sold
    )
    return result


def _aspect_counts(counts: dict[str, int]) -> list[AspectCount]:
    return [AspectCount(aspect=a, count=c) for a, c in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
