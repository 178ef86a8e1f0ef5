"""Host scorecards over a period, the brand's ranking weights, comparisons and the Excel export."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Permission, Subject
from livebridge.exceptions import InvalidInput
from livebridge.kit.pagination import Page, PageParams
from livebridge.kit.time import utcnow
from livebridge.live import service as live_service
from livebridge.scorecards import sources
from livebridge.scorecards.compute import (
    HostedSession,
    OrderTable,
    Purchases,
    ScorecardInputs,
    build_scorecards,
    empty_scorecard,
    rank_scorecards,
    session_audiences,
)
from livebridge.scorecards.excel import scorecard_workbook
from livebridge.scorecards.metrics import DEFAULT_WEIGHTS
from livebridge.scorecards.repository import ScorecardRepository
from livebridge.scorecards.schemas import (
    HostComparison,
    HostScorecard,
    Period,
    RankedScorecard,
    RankingWeights,
    ScorecardRanking,
    WeightsRead,
)

DEFAULT_PERIOD_DAYS: Final = 30
MAX_PERIOD_DAYS: Final = 366
MAX_REPURCHASE_DAYS: Final = 90
COMPARE_MIN, COMPARE_MAX = 2, 5


@dataclass(frozen=True)
class PeriodWindow:
    period: Period
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC


def resolve_period(date_from: date | None, date_to: date | None, zone: str, today: date | None = None) -> PeriodWindow:
    """Calendar days in the display zone, both ends included; by default the last 30 days."""
    tz = ZoneInfo(zone)
    last = date_to or today or utcnow().astimezone(tz).date()
    first = date_from or last - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if first > last:
        raise InvalidInput("date_from must not be after date_to", code="period_reversed", field="date_from")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidInput(f"a period spans at most {MAX_PERIOD_DAYS} days", code="period_too_long", field="date_from")
    start = datetime.combine(first, time.min, tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tz)
    return PeriodWindow(Period(date_from=first, date_to=last, timezone=zone), start, end)


async def host_scorecards(
    session: AsyncSession,
    subject: Subject,
    window: PeriodWindow,
    *,
    host_ids: Sequence[int] | None = None,
    by_organization: bool = False,
    as_of: datetime | None = None,
) -> list[HostScorecard]:
    """Scorecards (unranked) of the hosts with a session in the period, per host or host × brand."""
    subject.check(Permission.READ)
    repository = ScorecardRepository(session)
    hosted = [
        HostedSession(*row) for row in await repository.hosted_sessions(subject, window.start, window.end, host_ids)
    ]
    if not hosted:
        return []
    session_ids = sorted({h.session_id for h in hosted})
    orders = OrderTable.build(
        await repository.paid_orders(subject, session_ids), await repository.refunded_by_order(subject, session_ids)
    )
    purchases = Purchases.build(
        await repository.purchases_of_buyers(
            subject, session_ids, window.start, window.end + timedelta(days=MAX_REPURCHASE_DAYS)
        ),
        orders.buyers,
    )
    inputs = ScorecardInputs(
        hosted=hosted,
        audiences=session_audiences(
            await repository.session_totals(subject, session_ids), await repository.online_minutes(subject, session_ids)
        ),
        orders=orders,
        purchases=purchases,
        viewers=await repository.distinct_viewers(subject, session_ids, by_organization=by_organization),
        understood=await repository.comment_understanding(subject, session_ids),
        integrity=await sources.session_integrity(session, subject, session_ids),
        topics=await sources.session_demand_topics(session, subject, session_ids),
        as_of=as_of or utcnow(),
        by_organization=by_organization,
    )
    return build_scorecards(inputs)


async def access_weights(session: AsyncSession, subject: Subject) -> WeightsRead:
    subject.check(Permission.READ)
    row = await ScorecardRepository(session).weights(subject)
    if row is None:
        return WeightsRead(weights=RankingWeights(), is_default=True)
    # Metrics added after the brand saved its weights start at their default.
    weights = RankingWeights(**{**DEFAULT_WEIGHTS, **row.weights})
    return WeightsRead(weights=weights, is_default=weights.model_dump() == DEFAULT_WEIGHTS)


async def do_set_weights(session: AsyncSession, subject: Subject, payload: RankingWeights) -> WeightsRead:
    subject.check(Permission.MANAGE_LIVE)
    await ScorecardRepository(session).save_weights(subject, payload.model_dump(), subject.user_id, utcnow())
    return await access_weights(session, subject)


async def _ranked(
    session: AsyncSession, subject: Subject, window: PeriodWindow, *, by_brand: bool, as_of: datetime | None
) -> tuple[RankingWeights, list[RankedScorecard], list[str]]:
    weights = (await access_weights(session, subject)).weights
    cards = await host_scorecards(session, subject, window, by_organization=by_brand, as_of=as_of)
    ranked, excluded = rank_scorecards(cards, weights)
    return weights, ranked, excluded


async def host_ranking(
    session: AsyncSession,
    subject: Subject,
    window: PeriodWindow,
    params: PageParams,
    *,
    by_brand: bool = False,
    as_of: datetime | None = None,
) -> ScorecardRanking:
    """Every host with a session in the period (or host × brand), ranked by the brand's weights."""
    subject.check(Permission.READ)
    weights, ranked, excluded = await _ranked(session, subject, window, by_brand=by_brand, as_of=as_of)
    page = Page[RankedScorecard].build(ranked[params.offset : params.offset + params.page_size], len(ranked), params)
    return ScorecardRanking(
        period=window.period, weights=weights, excluded_metrics=excluded, items=page.items, pagination=page.pagination
    )


async def host_detail(
    session: AsyncSession, subject: Subject, host_id: int, window: PeriodWindow, *, as_of: datetime | None = None
) -> HostComparison:
    """One host's scorecard and its per-brand rows (a host of another tenant is 404)."""
    return await compare_hosts(session, subject, [host_id], window, as_of=as_of, minimum=1)


async def compare_hosts(
    session: AsyncSession,
    subject: Subject,
    host_ids: Sequence[int],
    window: PeriodWindow,
    *,
    as_of: datetime | None = None,
    minimum: int = COMPARE_MIN,
) -> HostComparison:
    """2–5 hosts side by side, ranked among themselves, with their per-brand rows."""
    subject.check(Permission.READ)
    unique = list(dict.fromkeys(host_ids))
    if not minimum <= len(unique) <= COMPARE_MAX:
        raise InvalidInput(
            f"compare {COMPARE_MIN} to {COMPARE_MAX} different hosts, got {len(unique)}",
            code="compare_host_count",
            field="host_ids",
        )
    hosts = [await live_service.access_host(session, subject, host_id) for host_id in unique]
    weights = (await access_weights(session, subject)).weights
    found = await host_scorecards(session, subject, window, host_ids=unique, as_of=as_of)
    cards = {card.host_id: card for card in found}
    ordered = [cards.get(h.id) or empty_scorecard(h.id, h.name, h.is_simulated) for h in hosts]
    ranked, excluded = rank_scorecards(ordered, weights)
    by_brand = await host_scorecards(session, subject, window, host_ids=unique, by_organization=True, as_of=as_of)
    position = {host_id: index for index, host_id in enumerate(unique)}
    return HostComparison(
        period=window.period,
        weights=weights,
        excluded_metrics=excluded,
        hosts=sorted(ranked, key=lambda card: position[card.host_id]),
        by_brand=sorted(by_brand, key=lambda card: (position[card.host_id], card.organization_name or "")),
    )


async def export_workbook(
    session: AsyncSession, subject: Subject, window: PeriodWindow, *, as_of: datetime | None = None
) -> bytes:
    """The whole ranking, the host × brand rows and the weights as an .xlsx file."""
    subject.check(Permission.READ)
    weights, ranked, excluded = await _ranked(session, subject, window, by_brand=False, as_of=as_of)
    by_brand = await host_scorecards(session, subject, window, by_organization=True, as_of=as_of)
    return scorecard_workbook(window.period, weights, ranked, excluded, by_brand)
