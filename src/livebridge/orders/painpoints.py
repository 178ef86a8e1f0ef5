"""Pain points: after-sale requests of a period grouped by their reason, ranked, with spikes and return rates.

A pain point is one after-sale reason (售后原因, e.g. 漏水) with how often it came in the period,
the product it is mostly about and that product's share, the live sessions and the host its orders
came from, the aspect the comment models read in the buyers' own words (when the models are
trained; ``livebridge nlp train``), a few of those words, and the count of the previous period of
the same length. A **spike** is at least 3 requests and at least twice the previous period's count.

Return rates per product, session and host: return-type requests (仅退款, 退货退款, 换货) applied in
the period ÷ orders paid in the period.

A pain point can be handed to the C2M proposal flow (``do_hand_to_proposal``): its requests about
one product become evidence (label, counts, and the requests with their buyers' words and their
after-sale, order, session and host references) on a new proposal or on an open one of the product.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Permission, Subject
from livebridge.catalog import service as catalog_service
from livebridge.demand import proposals
from livebridge.demand.schemas import EvidenceInput, EvidenceItem, ProposalCreate
from livebridge.exceptions import InvalidInput, NotFound
from livebridge.live import service as live_service
from livebridge.models import AfterSaleType, Order
from livebridge.orders.repository import PainPointRepository
from livebridge.orders.schemas import PainPointHandoff, PainPointHandoffRead

RETURN_TYPES: Final = frozenset({AfterSaleType.REFUND_ONLY, AfterSaleType.RETURN_REFUND, AfterSaleType.EXCHANGE})
NO_REASON: Final = "未填写原因"
SPIKE_MIN_COUNT: Final = 3
SPIKE_FACTOR: Final = 2
EXAMPLES: Final = 3
# Requests kept as evidence on a proposal: those with the buyers' own words first.
EVIDENCE_ITEMS: Final = 20
EVIDENCE_SOURCE: Final = "pain_point"
PERIOD_ZONE: Final = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class PainPoint:
    reason: str
    count: int
    previous_count: int
    is_spike: bool
    top_product_id: int | None
    top_product: str | None
    top_product_share: float
    sessions: int
    top_host_id: int | None
    top_host: str | None
    top_host_sessions: int
    aspect: str | None
    examples: list[str]


@dataclass(frozen=True)
class Rate:
    key_id: int
    name: str
    orders: int
    returns: int

    @property
    def rate(self) -> float:
        return self.returns / self.orders if self.orders else 0.0


@dataclass
class PainPointReport:
    start: datetime
    end: datetime
    points: list[PainPoint] = field(default_factory=list)
    products: list[Rate] = field(default_factory=list)
    sessions: list[Rate] = field(default_factory=list)
    hosts: list[Rate] = field(default_factory=list)
    aspects_from_models: bool = False


def period_from_dates(start_date: date | None, end_date: date | None) -> tuple[datetime, datetime]:
    """Days in Asia/Shanghai, the end exclusive; by default the 30 days up to today."""
    today = datetime.now(PERIOD_ZONE).date()
    end = end_date or today + timedelta(days=1)
    start = start_date or end - timedelta(days=30)
    return datetime.combine(start, time(), PERIOD_ZONE), datetime.combine(end, time(), PERIOD_ZONE)


@functools.cache
def _analyzer(model_dir: str) -> Any | None:
    """The comment models when trained, else None (pain points are then grouped by reason alone)."""
    from livebridge.text import CommentAnalyzer, TextModelError

    try:
        return CommentAnalyzer.load(Path(model_dir))
    except TextModelError:
        return None


async def pain_points(
    session: AsyncSession, subject: Subject, start: datetime, end: datetime, *, model_dir: str | None = None
) -> PainPointReport:
    subject.check(Permission.READ)
    if end <= start:
        raise InvalidInput("the period must end after it starts", code="empty_period", field="end")
    repository = PainPointRepository(session)
    current = await repository.requests(subject, start, end)
    previous = await repository.requests(subject, start - (end - start), start)
    analyzer = _analyzer(model_dir) if model_dir else None
    report = PainPointReport(start=start, end=end, aspects_from_models=analyzer is not None)
    report.points = await _points(session, subject, current, previous, analyzer)
    report.products = await _rates(session, subject, current, start, end, 3, Order.product_id)
    report.sessions = await _rates(session, subject, current, start, end, 4, Order.session_id)
    report.hosts = await _rates(session, subject, current, start, end, 5, Order.host_id)
    return report


def _reason(row: tuple[Any, ...]) -> str:
    return (row[1] or "").strip() or NO_REASON


async def _points(
    session: AsyncSession,
    subject: Subject,
    current: list[tuple[Any, ...]],
    previous: list[tuple[Any, ...]],
    analyzer: Any | None,
) -> list[PainPoint]:
    before = Counter(_reason(row) for row in previous)
    groups: dict[str, list[tuple[Any, ...]]] = {}
    for row in current:
        groups.setdefault(_reason(row), []).append(row)
    points = []
    for reason, rows in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])):
        products = Counter(row[3] for row in rows if row[3] is not None)
        hosts = Counter(row[5] for row in rows if row[5] is not None)
        sessions = {row[4] for row in rows if row[4] is not None}
        top_product, product_count = products.most_common(1)[0] if products else (None, 0)
        top_host = hosts.most_common(1)[0][0] if hosts else None
        texts = [row[2] for row in rows if row[2]]
        count, earlier = len(rows), before.get(reason, 0)
        points.append(
            PainPoint(
                reason=reason,
                count=count,
                previous_count=earlier,
                is_spike=count >= SPIKE_MIN_COUNT and count >= SPIKE_FACTOR * max(earlier, 1),
                top_product_id=top_product,
                top_product=await _product_name(session, subject, top_product),
                top_product_share=product_count / count,
                sessions=len(sessions),
                top_host_id=top_host,
                top_host=await _host_name(session, subject, top_host),
                top_host_sessions=len({row[4] for row in rows if row[5] == top_host and row[4] is not None}),
                aspect=_aspect(analyzer, [f"{reason} {text}" for text in texts] or [reason]),
                examples=texts[:EXAMPLES],
            )
        )
    return points


def _aspect(analyzer: Any | None, texts: list[str]) -> str | None:
    if analyzer is None:
        return None
    aspects = Counter(aspect for analysis in analyzer.analyze_batch(texts) for aspect in analysis.aspects)
    return aspects.most_common(1)[0][0] if aspects else None


async def _rates(
    session: AsyncSession,
    subject: Subject,
    current: list[tuple[Any, ...]],
    start: datetime,
    end: datetime,
    index: int,
    column: Any,
) -> list[Rate]:
    orders = await PainPointRepository(session).order_counts(subject, start, end, column)
    returns = Counter(row[index] for row in current if row[index] is not None and row[0] in RETURN_TYPES)
    keys = sorted(set(orders) | set(returns), key=lambda k: (-returns.get(k, 0), k))
    names = {
        3: _product_name,
        4: _session_title,
        5: _host_name,
    }[index]
    return [
        Rate(key, await names(session, subject, key) or str(key), orders.get(key, 0), returns.get(key, 0))
        for key in keys
    ]


async def _product_name(session: AsyncSession, subject: Subject, product_id: int | None) -> str | None:
    if product_id is None:
        return None
    try:
        return (await catalog_service.access_product(session, subject, product_id)).name
    except NotFound:
        return None


async def _host_name(session: AsyncSession, subject: Subject, host_id: int | None) -> str | None:
    if host_id is None:
        return None
    try:
        return (await live_service.access_host(session, subject, host_id)).name
    except NotFound:
        return None


async def _session_title(session: AsyncSession, subject: Subject, session_id: int | None) -> str | None:
    if session_id is None:
        return None
    try:
        return (await live_service.access_session(session, subject, session_id)).title
    except NotFound:
        return None


async def do_hand_to_proposal(
    session: AsyncSession, subject: Subject, payload: PainPointHandoff
) -> PainPointHandoffRead:
    """The pain point's requests about one product as evidence on a new or an open proposal of it."""
    subject.check(Permission.READ)
    start, end = period_from_dates(payload.start_date, payload.end_date)
    repository = PainPointRepository(session)
    rows = [row for row in await repository.requests(subject, start, end) if _reason(row) == payload.reason]
    if not rows:
        raise NotFound("no such pain point in this period", code="pain_point_not_found")
    products = Counter(row[3] for row in rows if row[3] is not None)
    product_id = payload.product_id or (products.most_common(1)[0][0] if products else None)
    if product_id is None:
        raise InvalidInput(
            "the requests of this pain point name no product: choose one", code="required", field="product_id"
        )
    product = await catalog_service.access_product(session, subject, product_id)
    chosen = [row for row in rows if row[3] == product.id]
    if not chosen:
        raise InvalidInput(
            "this pain point has no requests about that product", code="product_not_in_pain_point", field="product_id"
        )
    previous = [
        row
        for row in await repository.requests(subject, start - (end - start), start)
        if _reason(row) == payload.reason
    ]
    evidence = await _evidence(session, subject, payload.reason, product.name, chosen, rows, previous, start, end)
    if payload.proposal_id is None:
        proposal = await proposals.do_create_proposal(
            session,
            subject,
            ProposalCreate(
                product_id=product.id,
                title=payload.title or f"{product.name}：{payload.reason}",
                evidence=[evidence],
            ),
        )
        return PainPointHandoffRead(proposal_id=proposal.id, created=True, requests=len(chosen))
    target = await proposals.access_proposal(session, subject, payload.proposal_id)
    if target.product_id != product.id:
        raise InvalidInput(
            "the proposal is about another product", code="proposal_of_other_product", field="proposal_id"
        )
    await proposals.do_add_evidence(session, subject, target.id, [evidence])
    return PainPointHandoffRead(proposal_id=target.id, created=False, requests=len(chosen))


async def _evidence(
    session: AsyncSession,
    subject: Subject,
    reason: str,
    product: str,
    chosen: list[tuple[Any, ...]],
    rows: list[tuple[Any, ...]],
    previous: list[tuple[Any, ...]],
    start: datetime,
    end: datetime,
) -> EvidenceInput:
    sessions = {row[4] for row in chosen if row[4] is not None}
    hosts = Counter(row[5] for row in chosen if row[5] is not None)
    host = await _host_name(session, subject, hosts.most_common(1)[0][0]) if hosts else None
    last_day = (end - timedelta(days=1)).astimezone(PERIOD_ZONE).date()
    summary = (
        f"{start.astimezone(PERIOD_ZONE).date()}–{last_day}：{product} 售后原因「{reason}」{len(chosen)} 次"
        f"（该原因共 {len(rows)} 次，上一周期 {len(previous)} 次），涉及 {len(sessions)} 场直播"
        + (f"，主要来自主播 {host}" if host else "")
    )
    titles: dict[int, str | None] = {}
    names: dict[int, str | None] = {}
    items = []
    for row in sorted(chosen, key=lambda r: not r[2])[:EVIDENCE_ITEMS]:
        references = {"after_sale": row[6], "order": row[7]}
        if row[4] is not None:
            if row[4] not in titles:
                titles[row[4]] = await _session_title(session, subject, row[4])
            references["session"] = titles[row[4]] or str(row[4])
        if row[5] is not None:
            if row[5] not in names:
                names[row[5]] = await _host_name(session, subject, row[5])
            references["host"] = names[row[5]] or str(row[5])
        items.append(EvidenceItem(text=row[2] or "", references=references))
    return EvidenceInput(source=EVIDENCE_SOURCE, label=reason, count=len(chosen), summary=summary, items=items)
