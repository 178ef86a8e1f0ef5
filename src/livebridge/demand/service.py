"""Demand topics: building them from comment insights, ranking, merging and splitting, evidence.

``rebuild_topics`` is the one entry point that places comments into topics; it is idempotent (a
comment already placed never moves) and cheap when nothing is new, so a task can run it as often
as insights arrive. It is ``plan_rebuild`` (reads and the grouping, no writes) then
``apply_rebuild``; the background task runs the two in separate transactions (``regroup_tenants``).
Comments of excluded viewers never count: by default the viewers who posted spam in a session;
integrity detectors add theirs through the ``excluded`` providers.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Permission, Subject
from livebridge.catalog import service as catalog_service
from livebridge.db import Database
from livebridge.demand.embedding import load_encoder
from livebridge.demand.grouping import (
    Comment,
    GroupingSettings,
    TextCleaner,
    fit_vectorizer,
    group_comments,
    key_phrases,
    phrase_counts,
    readable_label,
    vectors_of,
)
from livebridge.demand.repository import InsightRepository, InsightRow, ProposalRepository, QuoteRow, TopicRepository
from livebridge.demand.schemas import QuoteRead, RebuildRead, ShipEffect, TopicDetail, TopicRead, TrendPoint
from livebridge.exceptions import Conflict, InvalidInput, NotFound
from livebridge.integrity import service as integrity_service
from livebridge.kit.i18n import N_
from livebridge.kit.pagination import Page, PageParams
from livebridge.kit.time import utcnow
from livebridge.live import service as live_service
from livebridge.models import DemandTopic, DemandTopicEdit, Product, Proposal, TopicEditKind, TopicKind, TopicStatus

logger = logging.getLogger(__name__)

# Ranking: distinct viewers, a buyer counting BUYER_WEIGHT more, raised by the share of negative
# comments and halved every HALF_LIFE_DAYS since the topic was last mentioned.
BUYER_WEIGHT = 2.0
NEGATIVE_WEIGHT = 1.0
HALF_LIFE_DAYS = 14.0
QUOTES_PER_TOPIC = 5
KIND_LABELS: dict[str, str] = {
    TopicKind.DEMAND: N_("Demand"),
    TopicKind.QUESTION: N_("Question"),
    TopicKind.COMPLAINT: N_("Complaint"),
}

# (session id → viewer keys whose comments must not count) for the given sessions.
ExcludedViewers = Callable[[AsyncSession, Subject, Sequence[int]], Awaitable[Mapping[int, frozenset[str]]]]


async def spam_posters(
    session: AsyncSession, subject: Subject, session_ids: Sequence[int]
) -> dict[int, frozenset[str]]:
    """The default exclusion: a viewer who posted spam (引流/广告) in a session is not a voice there."""
    wanted = set(session_ids)
    found: dict[int, set[str]] = defaultdict(set)
    for session_id, viewer_key in await InsightRepository(session).viewers_with_intent(subject, "spam"):
        if session_id in wanted:
            found[session_id].add(viewer_key)
    return {session_id: frozenset(keys) for session_id, keys in found.items()}


async def flagged_accounts(
    session: AsyncSession, subject: Subject, session_ids: Sequence[int]
) -> dict[int, frozenset[str]]:
    """Accounts the integrity detectors judged bots or water army in a session are not voices there."""
    assessed = await integrity_service.session_authenticity(session, subject, session_ids)
    return {sid: frozenset(found.flagged_viewers) for sid, found in assessed.items() if found.flagged_viewers}


DEFAULT_EXCLUSIONS: tuple[ExcludedViewers, ...] = (spam_posters, flagged_accounts)


async def topics_of_sessions(
    session: AsyncSession, subject: Subject, session_ids: Sequence[int]
) -> dict[int, frozenset[int]]:
    """The demand topics each session's comments contributed to (for host scorecards)."""
    subject.check(Permission.READ)
    found: dict[int, set[int]] = defaultdict(set)
    for session_id, topic_id in await TopicRepository(session).topics_of_sessions(subject, list(session_ids)):
        found[session_id].add(topic_id)
    return {session_id: frozenset(topics) for session_id, topics in found.items()}


# A topic in a rebuild plan: an existing topic's id, or a new topic (whose id comes when the plan is applied).
TopicRef = int | DemandTopic


@dataclass(frozen=True, slots=True)
class Figures:
    comments: int
    viewers: int
    buyers: int
    negative: int
    sessions: int
    first_seen_at: datetime | None
    last_seen_at: datetime | None


def _viewer(row: InsightRow) -> str:
    """A viewer key, or the comment itself when the platform gave none (counted as one voice)."""
    return row.viewer_key if row.viewer_key is not None else f"#{row.event_row_id}"


def topic_figures(rows: Iterable[InsightRow], buyers: set[tuple[int, str]]) -> Figures:
    rows = list(rows)
    viewers = {_viewer(r) for r in rows}
    buying = {r.viewer_key for r in rows if r.viewer_key is not None and (r.session_id, r.viewer_key) in buyers}
    times = [r.occurred_at for r in rows]
    return Figures(
        comments=len(rows),
        viewers=len(viewers),
        buyers=len(buying),
        negative=sum(1 for r in rows if r.sentiment == "negative"),
        sessions=len({r.session_id for r in rows}),
        first_seen_at=min(times) if times else None,
        last_seen_at=max(times) if times else None,
    )


def rank_score(figures: Figures, now: datetime) -> float:
    if figures.comments == 0 or figures.last_seen_at is None:
        return 0.0
    weight = figures.viewers + BUYER_WEIGHT * figures.buyers
    negativity = 1.0 + NEGATIVE_WEIGHT * figures.negative / figures.comments
    age_days = max(0.0, (now - figures.last_seen_at).total_seconds() / 86_400)
    return round(float(weight * negativity * 0.5 ** (age_days / HALF_LIFE_DAYS)), 6)


async def all_products(session: AsyncSession, subject: Subject) -> list[Product]:
    products: list[Product] = []
    params = PageParams(page=1, page_size=200)
    while True:
        page = await catalog_service.list_products(session, subject, params)
        products.extend(page.items)
        if params.page >= page.pagination.max_page:
            return products
        params = PageParams(page=params.page + 1, page_size=200)


def _cleaners(products: Iterable[Product]) -> dict[int | None, TextCleaner]:
    cleaners: dict[int | None, TextCleaner] = {None: TextCleaner()}
    for product in products:
        cleaners[product.id] = TextCleaner((product.name, *product.aliases))
    return cleaners


class _Labeller:
    """Labels and key phrases of topics, from their members' texts."""

    def __init__(
        self, rows_by_topic: Mapping[TopicRef, list[InsightRow]], cleaners: Mapping[int | None, TextCleaner]
    ) -> None:
        self.rows_by_topic = rows_by_topic
        self.cleaners = cleaners
        self.row_of: dict[int, int] = {}
        texts: list[str] = []
        for rows in rows_by_topic.values():
            for row in rows:
                self.row_of[row.event_row_id] = len(texts)
                texts.append(self._cleaner(rows).clean(row.normalized))
        vectorizer = fit_vectorizer(texts)
        self.matrix = vectors_of(vectorizer, texts)
        self.counts = {
            topic_id: phrase_counts([r.normalized for r in rows], self._cleaner(rows))
            for topic_id, rows in rows_by_topic.items()
        }
        self.topics_with_word: Counter[str] = Counter()
        for counts in self.counts.values():
            self.topics_with_word.update(counts.keys())

    def _cleaner(self, rows: Sequence[InsightRow]) -> TextCleaner:
        return self.cleaners.get(rows[0].product_id if rows else None, self.cleaners[None])

    def label(self, topic: TopicRef) -> tuple[str, list[str]] | None:
        """(label, key phrases) of a topic with members."""
        rows = self.rows_by_topic.get(topic, [])
        if not rows:
            return None
        vectors = self.matrix[[self.row_of[r.event_row_id] for r in rows]]
        return (
            readable_label([r.normalized for r in rows], vectors, self._cleaner(rows)),
            key_phrases(self.counts[topic], self.topics_with_word, len(self.counts)),
        )


@dataclass(frozen=True, slots=True)
class TopicValues:
    """A topic's figures and score, and its label and key phrases when it is relabelled."""

    figures: Figures
    score: float
    label: tuple[str, list[str]] | None


@dataclass
class RebuildPlan:
    """What a rebuild writes, worked out from one consistent read by ``plan_rebuild``."""

    tenant_id: int
    now: datetime
    seen_members: dict[int, int]  # event row id → topic id, as read
    seen_active: frozenset[int]  # the active topics, as read
    removed: list[int]  # event row ids leaving their topics (their viewers are excluded now)
    new_topics: list[DemandTopic]
    placed: list[tuple[int, TopicRef, int | None]]  # (event row id, topic, duplicate of)
    values: dict[TopicRef, TopicValues]
    result: RebuildRead


async def rebuild_topics(
    session: AsyncSession,
    subject: Subject,
    *,
    excluded: Sequence[ExcludedViewers] = DEFAULT_EXCLUSIONS,
    settings: GroupingSettings | None = None,
    now: datetime | None = None,
) -> RebuildRead:
    """Place every new demand, question and complaint comment of the tenant into a topic; refresh figures."""
    plan = await plan_rebuild(session, subject, excluded=excluded, settings=settings, now=now)
    result = await apply_rebuild(session, subject, plan, check=False)
    assert result is not None  # unchecked: applied in the transaction it was planned in
    return result


async def plan_rebuild(
    session: AsyncSession,
    subject: Subject,
    *,
    excluded: Sequence[ExcludedViewers] = DEFAULT_EXCLUSIONS,
    settings: GroupingSettings | None = None,
    now: datetime | None = None,
) -> RebuildPlan:
    """Read the tenant's comments and topics and work out the rebuild, writing nothing (so a read
    transaction will do: the grouping takes seconds)."""
    subject.check(Permission.MANAGE_DEMAND)
    tenant_id = subject.require_tenant()
    now = now or utcnow()
    insights = InsightRepository(session)
    topics = TopicRepository(session)
    rows = await insights.eligible(subject)
    session_ids = sorted({r.session_id for r in rows})
    blocked: dict[int, set[str]] = defaultdict(set)
    for provider in excluded:
        for session_id, keys in (await provider(session, subject, session_ids)).items():
            blocked[session_id] |= keys
    counted = [r for r in rows if r.viewer_key is None or r.viewer_key not in blocked.get(r.session_id, ())]
    counted_ids = {r.event_row_id for r in counted}
    seen_members = await topics.members(subject)
    if (settings or GroupingSettings()).semantic_weight > 0 and any(e not in seen_members for e in counted_ids):
        # The first grouping of a process loads the sentence encoder (seconds): off the event loop.
        await asyncio.to_thread(load_encoder)
    members: dict[int, TopicRef] = {e: t for e, t in seen_members.items() if e in counted_ids}
    active = frozenset(t.id for t in await topics.active(subject))
    cleaners = _cleaners(await all_products(session, subject))
    vectorizer = fit_vectorizer([cleaners.get(r.product_id, cleaners[None]).clean(r.normalized) for r in counted])
    by_partition: dict[tuple[int | None, str], list[InsightRow]] = defaultdict(list)
    for row in counted:
        by_partition[(row.product_id, row.intent)].append(row)
    new_topics: list[DemandTopic] = []
    placed: list[tuple[int, TopicRef, int | None]] = []
    changed: set[TopicRef] = set()
    for (product_id, kind), partition in sorted(by_partition.items(), key=lambda item: (item[0][0] or 0, item[0][1])):
        new = [Comment(r.event_row_id, r.normalized) for r in partition if r.event_row_id not in members]
        if not new:
            continue
        existing: dict[int, list[Comment]] = defaultdict(list)
        for r in partition:
            topic_id = members.get(r.event_row_id)
            if isinstance(topic_id, int) and topic_id in active:
                existing[topic_id].append(Comment(r.event_row_id, r.normalized))
        grouping = group_comments(new, existing, vectorizer, cleaners.get(product_id, cleaners[None]), settings)
        simulated = {r.event_row_id: r.is_simulated for r in partition}
        for event_id, topic_id in sorted(grouping.joins.items()):
            placed.append((event_id, topic_id, grouping.duplicate_of.get(event_id)))
            changed.add(topic_id)
        for group in grouping.new_groups:
            topic = DemandTopic(
                tenant_id=tenant_id,
                product_id=product_id,
                kind=TopicKind(kind),
                label="",
                key_phrases=[],
                is_simulated=all(simulated[e] for e in group),
            )
            new_topics.append(topic)
            changed.add(topic)
            placed.extend((e, topic, grouping.duplicate_of.get(e)) for e in group)
    members.update({e: t for e, t, _ in placed})
    buyers = await insights.paying_viewers(subject)
    values = _topic_values([*sorted(active), *new_topics], members, counted, buyers, cleaners, relabel=changed, now=now)
    return RebuildPlan(
        tenant_id=tenant_id,
        now=now,
        seen_members=seen_members,
        seen_active=active,
        removed=sorted(e for e in seen_members if e not in counted_ids),
        new_topics=new_topics,
        placed=placed,
        values=values,
        result=RebuildRead(
            comments_considered=len(rows),
            comments_excluded=len(rows) - len(counted),
            comments_placed=len(placed),
            topics_created=len(new_topics),
            topics_active=len(active) + len(new_topics),
        ),
    )


async def apply_rebuild(
    session: AsyncSession, subject: Subject, plan: RebuildPlan, *, check: bool
) -> RebuildRead | None:
    """Write a plan. With ``check`` (planned in an earlier transaction), nothing is written and None is
    returned when the topics or their members are no longer as planned (a merge, a split, another
    rebuild in between): plan again."""
    subject.check(Permission.MANAGE_DEMAND)
    topics = TopicRepository(session)
    active = {t.id: t for t in await topics.active(subject)}
    if check and (set(active) != plan.seen_active or await topics.members(subject) != plan.seen_members):
        return None
    await topics.remove_members(subject, plan.removed)
    await topics.add_many(plan.new_topics)
    await topics.add_members(plan.tenant_id, [(e, t if isinstance(t, int) else t.id, d) for e, t, d in plan.placed])
    for ref, values in plan.values.items():
        topic = active.get(ref) if isinstance(ref, int) else ref
        if topic is not None and topic.status == TopicStatus.ACTIVE:
            _set_values(topic, values, plan.now)
    await session.flush()
    return plan.result


def _worker_subject(tenant_id: int) -> Subject:
    return Subject(display_name="demand worker", tenant_id=tenant_id, permissions=frozenset(Permission))


async def latest_comment_ids(database: Database) -> dict[int, int]:
    """Tenant → id of its newest comment that can join a topic (what the background task watches)."""
    async with database.transaction(write=False) as session:
        return await InsightRepository(session).dangerously_latest_eligible()


async def tenants_with_topics(database: Database) -> list[int]:
    async with database.transaction(write=False) as session:
        return await InsightRepository(session).dangerously_tenants_with_topics()


REPLAN_ATTEMPTS = 3


async def regroup_tenants(database: Database, tenant_ids: Sequence[int]) -> list[tuple[int, RebuildRead]]:
    """Rebuild each tenant's topics: planned in a read transaction, written in a write transaction of
    its own (one tenant's failure keeps the others'). The grouping takes seconds, and on SQLite a
    write transaction would hold every other writer (ingestion) off for as long; the write is short.
    A plan overtaken by an edit is made again; after ``REPLAN_ATTEMPTS`` the tenant waits for the next run."""
    results = []
    for tenant_id in tenant_ids:
        subject = _worker_subject(tenant_id)
        for _ in range(REPLAN_ATTEMPTS):
            async with database.transaction(write=False) as session:
                plan = await plan_rebuild(session, subject)
            async with database.transaction() as session:
                result = await apply_rebuild(session, subject, plan, check=True)
            if result is not None:
                results.append((tenant_id, result))
                break
        else:
            logger.warning("demand: tenant %d's topics kept changing while they were regrouped; next run", tenant_id)
    return results


def _topic_values(
    keys: Iterable[TopicRef],
    members: Mapping[int, TopicRef],
    rows: Sequence[InsightRow],
    buyers: set[tuple[int, str]],
    cleaners: Mapping[int | None, TextCleaner],
    *,
    relabel: set[TopicRef],
    now: datetime,
) -> dict[TopicRef, TopicValues]:
    """Figures and score of the given topics; labels of those in ``relabel``."""
    rows_by_topic: dict[TopicRef, list[InsightRow]] = defaultdict(list)
    for row in rows:
        topic = members.get(row.event_row_id)
        if topic is not None:
            rows_by_topic[topic].append(row)
    labeller = _Labeller(rows_by_topic, cleaners) if relabel else None
    values: dict[TopicRef, TopicValues] = {}
    for key in keys:
        figures = topic_figures(rows_by_topic.get(key, []), buyers)
        label = labeller.label(key) if labeller is not None and key in relabel else None
        values[key] = TopicValues(figures, rank_score(figures, now), label)
    return values


def _set_values(topic: DemandTopic, values: TopicValues, now: datetime) -> None:
    figures = values.figures
    topic.comment_count = figures.comments
    topic.viewer_count = figures.viewers
    topic.buyer_count = figures.buyers
    topic.negative_count = figures.negative
    topic.session_count = figures.sessions
    topic.first_seen_at = figures.first_seen_at
    topic.last_seen_at = figures.last_seen_at
    topic.score = values.score
    topic.scored_at = now
    if values.label is not None:
        topic.label, topic.key_phrases = values.label


async def _refresh(
    session: AsyncSession,
    subject: Subject,
    topics: Mapping[int, DemandTopic],
    members: Mapping[int, int],
    rows: Sequence[InsightRow],
    cleaners: Mapping[int | None, TextCleaner],
    *,
    relabel: set[int],
    now: datetime,
) -> None:
    """Figures and score of every given active topic; labels of those in ``relabel``."""
    buyers = await InsightRepository(session).paying_viewers(subject)
    active = {topic_id: topic for topic_id, topic in topics.items() if topic.status == TopicStatus.ACTIVE}
    values = _topic_values(active, members, rows, buyers, cleaners, relabel=set(relabel), now=now)
    for topic_id, topic in active.items():
        _set_values(topic, values[topic_id], now)
    await session.flush()


async def _refresh_after_edit(session: AsyncSession, subject: Subject, relabel: set[int]) -> None:
    topics = TopicRepository(session)
    active = {t.id: t for t in await topics.active(subject)}
    members = await topics.members(subject)
    rows = [r for r in await InsightRepository(session).eligible(subject) if r.event_row_id in members]
    cleaners = _cleaners(await all_products(session, subject))
    await _refresh(session, subject, active, members, rows, cleaners, relabel=relabel, now=utcnow())


# Reading ---------------------------------------------------------------------------------------


async def list_topics(
    session: AsyncSession,
    subject: Subject,
    params: PageParams,
    *,
    product_id: int | None = None,
    kind: TopicKind | None = None,
) -> Page[DemandTopic]:
    """Active topics, best ranked first."""
    subject.check(Permission.READ)
    items, total = await TopicRepository(session).page(subject, params, product_id=product_id, kind=kind)
    return Page.build(items, total, params)


async def access_topic(session: AsyncSession, subject: Subject, topic_id: int) -> DemandTopic:
    subject.check(Permission.READ)
    topic = await TopicRepository(session).get(subject, topic_id)
    if topic is None:
        raise NotFound("no such demand topic", code="topic_not_found")
    return topic


def choose_quotes(quotes: Sequence[QuoteRow], buyers: set[tuple[int, str]], limit: int) -> list[QuoteRow]:
    """Up to ``limit`` quotes from distinct viewers and near-duplicate-free texts: buyers first, then the latest."""
    ordered = sorted(
        quotes,
        key=lambda q: (
            (q.session_id, q.viewer_key) not in buyers,
            -q.occurred_at.timestamp(),
            q.event_row_id,
        ),
    )
    chosen: list[QuoteRow] = []
    seen_viewers: set[str] = set()
    seen_texts: set[str] = set()
    for quote in ordered:
        viewer = quote.viewer_key or f"#{quote.event_row_id}"
        text = "".join(quote.text.split())
        if viewer in seen_viewers or text in seen_texts:
            continue
        chosen.append(quote)
        seen_viewers.add(viewer)
        seen_texts.add(text)
        if len(chosen) == limit:
            break
    return chosen


async def topic_quotes(
    session: AsyncSession, subject: Subject, topic_ids: Sequence[int], limit: int = QUOTES_PER_TOPIC
) -> dict[int, list[QuoteRead]]:
    """Evidence per topic: up to ``limit`` real comments with session, time and hosts."""
    subject.check(Permission.READ)
    if not topic_ids:
        return {}
    repository = TopicRepository(session)
    rows, _ = await repository.quotes(subject, topic_ids)
    buyers = await InsightRepository(session).paying_viewers(subject)
    by_topic: dict[int, list[QuoteRow]] = defaultdict(list)
    for row in rows:
        by_topic[row.topic_id].append(row)
    chosen = {topic_id: choose_quotes(quotes, buyers, limit) for topic_id, quotes in by_topic.items()}
    hosts = await repository.session_hosts(subject, sorted({q.session_id for qs in chosen.values() for q in qs}))
    return {topic_id: [quote_read(q, hosts, buyers) for q in quotes] for topic_id, quotes in chosen.items()}


def quote_read(quote: QuoteRow, hosts: Mapping[int, list[str]], buyers: set[tuple[int, str]]) -> QuoteRead:
    return QuoteRead(
        event_row_id=quote.event_row_id,
        text=quote.text,
        occurred_at=quote.occurred_at,
        session_id=quote.session_id,
        session_title=quote.session_title,
        hosts=hosts.get(quote.session_id, []),
        sentiment=quote.sentiment,
        is_buyer=(quote.session_id, quote.viewer_key or "") in buyers,
        is_simulated=quote.is_simulated,
    )


async def quotes_by_id(session: AsyncSession, subject: Subject, event_row_ids: Sequence[int]) -> list[QuoteRead]:
    """The given comments as quotes (a proposal's evidence), oldest first."""
    subject.check(Permission.READ)
    repository = TopicRepository(session)
    rows = await repository.quotes_by_id(subject, event_row_ids)
    buyers = await InsightRepository(session).paying_viewers(subject)
    hosts = await repository.session_hosts(subject, sorted({q.session_id for q in rows}))
    return [quote_read(q, hosts, buyers) for q in rows]


async def topic_members(session: AsyncSession, subject: Subject, topic_id: int, params: PageParams) -> Page[QuoteRead]:
    """A page of a topic's comments, newest first (to read them all, and to split some off)."""
    topic = await access_topic(session, subject, topic_id)
    repository = TopicRepository(session)
    rows, total = await repository.quotes(subject, [topic.id], params)
    buyers = await InsightRepository(session).paying_viewers(subject)
    hosts = await repository.session_hosts(subject, sorted({q.session_id for q in rows}))
    return Page.build([quote_read(q, hosts, buyers) for q in rows], total, params)


async def topic_detail(session: AsyncSession, subject: Subject, topic_id: int) -> TopicDetail:
    topic = await access_topic(session, subject, topic_id)
    repository = TopicRepository(session)
    rows, _ = await repository.quotes(subject, [topic.id])
    sessions = await repository.sessions(subject, sorted({q.session_id for q in rows}))
    per_session: dict[int, list[QuoteRow]] = defaultdict(list)
    for row in rows:
        per_session[row.session_id].append(row)
    trend = sorted(
        (
            TrendPoint(
                session_id=session_id,
                session_title=sessions[session_id][0],
                started_at=sessions[session_id][1],
                comments=len(quotes),
                viewers=len({q.viewer_key or f"#{q.event_row_id}" for q in quotes}),
            )
            for session_id, quotes in per_session.items()
        ),
        key=lambda point: (point.started_at, point.session_id),
    )
    linked = await ProposalRepository(session).for_topic(subject, topic.id)
    quotes = (await topic_quotes(session, subject, [topic.id])).get(topic.id, [])
    effects = [await _ship_effect(session, subject, p, rows) for p in linked if p.shipped_at is not None]
    return TopicDetail(
        topic=TopicRead.model_validate(topic),
        quotes=quotes,
        trend=trend,
        proposal_ids=[p.id for p in linked],
        ship_effects=effects,
    )


async def _ship_effect(
    session: AsyncSession, subject: Subject, proposal: Proposal, rows: Sequence[QuoteRow]
) -> ShipEffect:
    """Comments per session of the product before and after the ship date (sessions with it on the shelf)."""
    assert proposal.shipped_at is not None
    shipped_at = proposal.shipped_at
    starts = await TopicRepository(session).product_session_starts(subject, proposal.product_id)
    sessions_before = sum(1 for start in starts if start < shipped_at)
    sessions_after = len(starts) - sessions_before
    comments_before = sum(1 for row in rows if row.occurred_at < shipped_at)
    comments_after = len(rows) - comments_before
    return ShipEffect(
        proposal_id=proposal.id,
        shipped_at=shipped_at,
        sessions_before=sessions_before,
        comments_before=comments_before,
        sessions_after=sessions_after,
        comments_after=comments_after,
        per_session_before=per_session(comments_before, sessions_before),
        per_session_after=per_session(comments_after, sessions_after),
    )


# The host's question panel ---------------------------------------------------------------------


@dataclass(frozen=True)
class TopicInSession:
    topic: DemandTopic
    count: int  # open questions, or demand/complaint comments, of this topic in the session


@dataclass(frozen=True)
class SessionQuestions:
    open_questions: list[TopicInSession]
    unplaced_questions: list[QuoteRead]  # open questions not yet grouped (the next rebuild places them)
    hot_demands: list[TopicInSession]
    can_answer: bool


async def session_questions(
    session: AsyncSession, subject: Subject, session_id: int, *, limit: int = 20
) -> SessionQuestions:
    """Open questions of a session grouped by topic ("尺码怎么选 ×23") and its hottest demands."""
    await live_service.access_session(session, subject, session_id)
    repository = TopicRepository(session)
    open_counts: Counter[int] = Counter()
    demand_counts: Counter[int] = Counter()
    for topic_id, intent, is_open in await repository.session_counts(subject, session_id):
        if intent == TopicKind.QUESTION:
            open_counts[topic_id] += is_open
        else:
            demand_counts[topic_id] += 1
    topics = {t.id: t for t in await repository.get_many(subject, sorted(set(open_counts) | set(demand_counts)))}

    def ranked(counts: Counter[int]) -> list[TopicInSession]:
        entries = [TopicInSession(topics[t], n) for t, n in counts.items() if n and t in topics]
        entries.sort(key=lambda e: (-e.count, -e.topic.score, e.topic.id))
        return entries[:limit]

    unplaced = await InsightRepository(session).unplaced_open_questions(subject, session_id, limit)
    hosts = await repository.session_hosts(subject, [session_id])
    return SessionQuestions(
        open_questions=ranked(open_counts),
        unplaced_questions=[quote_read(q, hosts, set()) for q in unplaced],
        hot_demands=ranked(demand_counts),
        can_answer=subject.can(Permission.ANSWER_QUESTIONS),
    )


async def do_mark_answered(session: AsyncSession, subject: Subject, session_id: int, topic_id: int) -> int:
    """Mark the open questions of a topic in one session answered; returns how many."""
    subject.check(Permission.ANSWER_QUESTIONS)
    await live_service.access_session(session, subject, session_id)
    topic = await access_topic(session, subject, topic_id)
    return await InsightRepository(session).mark_answered(subject, session_id, topic.id, utcnow())


# User edits ------------------------------------------------------------------------------------


async def do_merge_topics(
    session: AsyncSession, subject: Subject, into_topic_id: int, topic_ids: Sequence[int]
) -> DemandTopic:
    """Move the comments of ``topic_ids`` into ``into_topic_id``; the others stay as "merged" pointers."""
    subject.check(Permission.MANAGE_DEMAND)
    others = sorted(set(topic_ids) - {into_topic_id})
    if not others:
        raise InvalidInput("name at least one other topic to merge", code="nothing_to_merge", field="topic_ids")
    repository = TopicRepository(session)
    target = await access_topic(session, subject, into_topic_id)
    found = await repository.get_many(subject, others)
    if len(found) != len(others):
        raise NotFound("no such demand topic", code="topic_not_found")
    for topic in [target, *found]:
        if topic.status != TopicStatus.ACTIVE:
            raise Conflict(f"topic {topic.id} was merged already", code="topic_merged", field="topic_ids")
        if topic.product_id != target.product_id:
            raise Conflict("topics of different products cannot be merged", code="merge_across_products")
    await repository.move_members(subject, target.id, from_topic_ids=others)
    for topic in found:
        topic.status = TopicStatus.MERGED
        topic.merged_into_id = target.id
        topic.score = 0.0
    await ProposalRepository(session).relink_topics(subject, others, target.id)
    await repository.add_edit(
        DemandTopicEdit(
            tenant_id=target.tenant_id,
            kind=TopicEditKind.MERGE,
            topic_id=target.id,
            other_topic_ids=others,
            user_id=subject.user_id,
        )
    )
    await _refresh_after_edit(session, subject, {target.id})
    return target


async def do_split_topic(
    session: AsyncSession, subject: Subject, topic_id: int, event_row_ids: Sequence[int]
) -> DemandTopic:
    """Move the chosen comments of a topic into a new topic of the same product and kind."""
    subject.check(Permission.MANAGE_DEMAND)
    repository = TopicRepository(session)
    topic = await access_topic(session, subject, topic_id)
    if topic.status != TopicStatus.ACTIVE:
        raise Conflict("a merged topic cannot be split", code="topic_merged")
    members = set(await repository.member_ids(subject, topic.id))
    chosen = sorted(set(event_row_ids))
    if not set(chosen) <= members:
        raise InvalidInput("a chosen comment is not in this topic", code="not_in_topic", field="event_row_ids")
    if set(chosen) == members:
        raise Conflict("leave at least one comment in the topic", code="split_takes_all")
    part = await repository.add(
        DemandTopic(
            tenant_id=topic.tenant_id,
            product_id=topic.product_id,
            kind=topic.kind,
            label="",
            key_phrases=[],
            is_simulated=topic.is_simulated,
        )
    )
    await repository.move_members(subject, part.id, event_row_ids=chosen)
    await repository.add_edit(
        DemandTopicEdit(
            tenant_id=topic.tenant_id,
            kind=TopicEditKind.SPLIT,
            topic_id=topic.id,
            other_topic_ids=[part.id],
            event_row_ids=chosen,
            user_id=subject.user_id,
        )
    )
    await _refresh_after_edit(session, subject, {topic.id, part.id})
    return part


def negative_share(topic: DemandTopic) -> float:
    return topic.negative_count / topic.comment_count if topic.comment_count else 0.0


def per_session(count: int, sessions: int) -> float | None:
    return round(count / sessions, 2) if sessions else None
