"""All SQL of the demand domain: topics, their members, user edits, proposals and their evidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Subject, scoped
from livebridge.kit.pagination import PageParams
from livebridge.kit.repository import Repository
from livebridge.models import (
    CommentInsight,
    DemandTopic,
    DemandTopicEdit,
    DemandTopicMember,
    Host,
    LiveEventRow,
    LiveSession,
    Proposal,
    ProposalQuote,
    ProposalStatus,
    ProposalTopic,
    ProposalTransition,
    SessionHost,
    ShelfItem,
    TopicKind,
    TopicStatus,
)

KINDS = [kind.value for kind in TopicKind]
# Comments whose intent the model is unsure of stay out of demand topics (they are still stored).
MIN_INTENT_CONFIDENCE = 0.6


@dataclass(frozen=True, slots=True)
class InsightRow:
    """What grouping and figures need of one comment insight."""

    event_row_id: int
    session_id: int
    occurred_at: datetime
    viewer_key: str | None
    normalized: str
    intent: str
    sentiment: str
    product_id: int | None
    is_simulated: bool


@dataclass(frozen=True, slots=True)
class QuoteRow:
    """A comment as evidence: its original text, when, in which session and with which hosts."""

    event_row_id: int
    topic_id: int
    text: str
    occurred_at: datetime
    session_id: int
    session_title: str
    viewer_key: str | None
    sentiment: str
    intent: str
    answered_at: datetime | None
    is_simulated: bool


_INSIGHT_COLUMNS = (
    CommentInsight.event_row_id,
    CommentInsight.session_id,
    CommentInsight.occurred_at,
    CommentInsight.viewer_key,
    CommentInsight.normalized,
    CommentInsight.intent,
    CommentInsight.sentiment,
    CommentInsight.product_id,
    CommentInsight.is_simulated,
)


class InsightRepository:
    """Reads of the comment insights (and live events) that topics are built from."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def dangerously_latest_eligible(self) -> dict[int, int]:
        """Tenant → id of its newest comment that can join a topic (across tenants: for the background task)."""
        statement = (
            select(CommentInsight.tenant_id, func.max(CommentInsight.event_row_id))
            .where(CommentInsight.intent.in_(KINDS), CommentInsight.intent_confidence >= MIN_INTENT_CONFIDENCE)
            .group_by(CommentInsight.tenant_id)
        )
        return {int(t): int(m) for t, m in (await self.session.execute(statement)).all()}

    async def dangerously_tenants_with_topics(self) -> list[int]:
        statement = select(DemandTopic.tenant_id).distinct().order_by(DemandTopic.tenant_id)
        return [int(t) for t in (await self.session.execute(statement)).scalars()]

    async def eligible(self, subject: Subject) -> list[InsightRow]:
        statement = scoped(select(*_INSIGHT_COLUMNS), CommentInsight, subject).where(
            CommentInsight.intent.in_(KINDS), CommentInsight.intent_confidence >= MIN_INTENT_CONFIDENCE
        )
        rows = await self.session.execute(statement.order_by(CommentInsight.event_row_id))
        return [InsightRow(*row) for row in rows.all()]

    async def viewers_with_intent(self, subject: Subject, intent: str) -> list[tuple[int, str]]:
        statement = (
            scoped(select(CommentInsight.session_id, CommentInsight.viewer_key), CommentInsight, subject)
            .where(CommentInsight.intent == intent, CommentInsight.viewer_key.is_not(None))
            .distinct()
        )
        return [(int(s), str(v)) for s, v in (await self.session.execute(statement)).all()]

    async def paying_viewers(self, subject: Subject) -> set[tuple[int, str]]:
        """(session, viewer) pairs with a paid order: the buyers."""
        statement = (
            scoped(select(LiveEventRow.session_id, LiveEventRow.viewer_key), LiveEventRow, subject)
            .where(LiveEventRow.type == "order_paid", LiveEventRow.viewer_key.is_not(None))
            .distinct()
        )
        return {(int(s), str(v)) for s, v in (await self.session.execute(statement)).all()}

    async def mark_answered(self, subject: Subject, session_id: int, topic_id: int, at: datetime) -> int:
        members = scoped(select(DemandTopicMember.event_row_id), DemandTopicMember, subject).where(
            DemandTopicMember.topic_id == topic_id
        )
        statement = (
            update(CommentInsight)
            .where(
                CommentInsight.tenant_id == subject.require_tenant(),
                CommentInsight.session_id == session_id,
                CommentInsight.answered_at.is_(None),
                CommentInsight.intent == TopicKind.QUESTION.value,
                CommentInsight.event_row_id.in_(members),
            )
            .values(answered_at=at)
        )
        result = await self.session.execute(statement)
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def unplaced_open_questions(self, subject: Subject, session_id: int, limit: int) -> list[QuoteRow]:
        placed = scoped(select(DemandTopicMember.event_row_id), DemandTopicMember, subject)
        statement = (
            _quote_select(subject)
            .where(
                CommentInsight.session_id == session_id,
                CommentInsight.intent == TopicKind.QUESTION.value,
                CommentInsight.answered_at.is_(None),
                CommentInsight.event_row_id.not_in(placed),
            )
            .order_by(CommentInsight.occurred_at.desc())
            .limit(limit)
        )
        return [QuoteRow(row[0], 0, *row[1:]) for row in (await self.session.execute(statement)).all()]


def _quote_select(subject: Subject) -> Select[*tuple[Any, ...]]:
    return (
        scoped(
            select(
                CommentInsight.event_row_id,
                func.coalesce(LiveEventRow.text, CommentInsight.normalized),
                CommentInsight.occurred_at,
                CommentInsight.session_id,
                LiveSession.title,
                CommentInsight.viewer_key,
                CommentInsight.sentiment,
                CommentInsight.intent,
                CommentInsight.answered_at,
                CommentInsight.is_simulated,
            ),
            CommentInsight,
            subject,
        )
        .join(LiveEventRow, LiveEventRow.id == CommentInsight.event_row_id)
        .join(LiveSession, LiveSession.id == CommentInsight.session_id)
    )


class TopicRepository(Repository[DemandTopic]):
    def readable(self, subject: Subject) -> Select[DemandTopic]:
        return scoped(select(DemandTopic), DemandTopic, subject)

    def _ranked(
        self, subject: Subject, *, product_id: int | None, kind: TopicKind | None, product_ids: Sequence[int] | None
    ) -> Select[DemandTopic]:
        # A topic whose every comment was excluded (its viewers flagged later) is not shown.
        statement = self.readable(subject).where(
            DemandTopic.status == TopicStatus.ACTIVE, DemandTopic.comment_count > 0
        )
        if product_id is not None:
            statement = statement.where(DemandTopic.product_id == product_id)
        if product_ids is not None:
            statement = statement.where(DemandTopic.product_id.in_(product_ids))
        if kind is not None:
            statement = statement.where(DemandTopic.kind == kind)
        return statement.order_by(DemandTopic.score.desc(), DemandTopic.id)

    async def page(
        self, subject: Subject, params: PageParams, *, product_id: int | None = None, kind: TopicKind | None = None
    ) -> tuple[list[DemandTopic], int]:
        return await self.paginate(self._ranked(subject, product_id=product_id, kind=kind, product_ids=None), params)

    async def ranked(
        self, subject: Subject, *, product_id: int | None = None, limit: int | None = None
    ) -> list[DemandTopic]:
        statement = self._ranked(subject, product_id=product_id, kind=None, product_ids=None)
        return await self.all(statement.limit(limit) if limit else statement)

    async def get(self, subject: Subject, topic_id: int) -> DemandTopic | None:
        return await self.first(self.readable(subject).where(DemandTopic.id == topic_id))

    async def get_many(self, subject: Subject, topic_ids: Sequence[int]) -> list[DemandTopic]:
        return await self.all(self.readable(subject).where(DemandTopic.id.in_(topic_ids)).order_by(DemandTopic.id))

    async def active(self, subject: Subject) -> list[DemandTopic]:
        return await self.all(
            self.readable(subject).where(DemandTopic.status == TopicStatus.ACTIVE).order_by(DemandTopic.id)
        )

    async def add(self, topic: DemandTopic) -> DemandTopic:
        self.session.add(topic)
        await self.session.flush()
        return topic

    # Members ------------------------------------------------------------------------------------

    async def members(self, subject: Subject) -> dict[int, int]:
        """event_row_id → topic id, for the whole tenant."""
        statement = scoped(
            select(DemandTopicMember.event_row_id, DemandTopicMember.topic_id), DemandTopicMember, subject
        )
        return {int(e): int(t) for e, t in (await self.session.execute(statement)).all()}

    async def member_ids(self, subject: Subject, topic_id: int) -> list[int]:
        statement = scoped(select(DemandTopicMember.event_row_id), DemandTopicMember, subject).where(
            DemandTopicMember.topic_id == topic_id
        )
        return sorted(int(e) for e in (await self.session.execute(statement)).scalars())

    async def topics_of_sessions(self, subject: Subject, session_ids: Sequence[int]) -> list[tuple[int, int]]:
        """(session, topic) pairs: the topics each session's comments were grouped into."""
        statement = (
            scoped(select(CommentInsight.session_id, DemandTopicMember.topic_id), DemandTopicMember, subject)
            .join(CommentInsight, CommentInsight.event_row_id == DemandTopicMember.event_row_id)
            .where(CommentInsight.session_id.in_(session_ids))
            .distinct()
        )
        return [(int(s), int(t)) for s, t in (await self.session.execute(statement)).all()]

    async def add_many(self, topics: Sequence[DemandTopic]) -> None:
        self.session.add_all(topics)
        await self.session.flush()

    async def add_members(self, tenant_id: int, rows: Sequence[tuple[int, int, int | None]]) -> None:
        """(event_row_id, topic_id, duplicate_of) rows, in one multi-row insert."""
        if rows:
            await self.session.execute(
                insert(DemandTopicMember),
                [{"tenant_id": tenant_id, "event_row_id": e, "topic_id": t, "duplicate_of": d} for e, t, d in rows],
            )

    async def remove_members(self, subject: Subject, event_row_ids: Sequence[int]) -> None:
        if event_row_ids:
            await self.session.execute(
                delete(DemandTopicMember).where(
                    DemandTopicMember.tenant_id == subject.require_tenant(),
                    DemandTopicMember.event_row_id.in_(event_row_ids),
                )
            )

    async def move_members(
        self,
        subject: Subject,
        to_topic_id: int,
        *,
        from_topic_ids: Sequence[int] = (),
        event_row_ids: Sequence[int] = (),
    ) -> None:
        statement = update(DemandTopicMember).where(DemandTopicMember.tenant_id == subject.require_tenant())
        if from_topic_ids:
            statement = statement.where(DemandTopicMember.topic_id.in_(from_topic_ids))
        if event_row_ids:
            statement = statement.where(DemandTopicMember.event_row_id.in_(event_row_ids))
        await self.session.execute(statement.values(topic_id=to_topic_id))

    async def add_edit(self, edit: DemandTopicEdit) -> None:
        self.session.add(edit)
        await self.session.flush()

    async def session_counts(self, subject: Subject, session_id: int) -> list[tuple[int, str, bool]]:
        """(topic id, intent, is open) of every placed comment of one session."""
        statement = (
            scoped(
                select(DemandTopicMember.topic_id, CommentInsight.intent, CommentInsight.answered_at),
                DemandTopicMember,
                subject,
            )
            .join(CommentInsight, CommentInsight.event_row_id == DemandTopicMember.event_row_id)
            .where(CommentInsight.session_id == session_id)
        )
        return [(int(t), str(i), a is None) for t, i, a in (await self.session.execute(statement)).all()]

    # Evidence -----------------------------------------------------------------------------------

    async def quotes(
        self, subject: Subject, topic_ids: Sequence[int], params: PageParams | None = None
    ) -> tuple[list[QuoteRow], int]:
        """The topics' comments, newest first (one page of them with ``params``), and how many there are."""
        statement = (
            _quote_select(subject)
            .add_columns(DemandTopicMember.topic_id)
            .join(DemandTopicMember, DemandTopicMember.event_row_id == CommentInsight.event_row_id)
            .where(DemandTopicMember.topic_id.in_(topic_ids))
            .order_by(CommentInsight.occurred_at.desc(), CommentInsight.event_row_id.desc())
        )
        if params is not None:
            total = (
                await self.session.execute(select(func.count()).select_from(statement.order_by(None).subquery()))
            ).scalar_one()
            statement = statement.limit(params.page_size).offset(params.offset)
        rows = (await self.session.execute(statement)).all()
        quotes = [QuoteRow(row[0], int(row[10]), *row[1:10]) for row in rows]
        return quotes, total if params is not None else len(quotes)

    async def quotes_by_id(self, subject: Subject, event_row_ids: Sequence[int]) -> list[QuoteRow]:
        statement = _quote_select(subject).where(CommentInsight.event_row_id.in_(event_row_ids))
        rows = (await self.session.execute(statement.order_by(CommentInsight.occurred_at))).all()
        return [QuoteRow(row[0], 0, *row[1:]) for row in rows]

    async def session_hosts(self, subject: Subject, session_ids: Sequence[int]) -> dict[int, list[str]]:
        statement = (
            scoped(select(SessionHost.session_id, Host.name), SessionHost, subject)
            .join(Host, Host.id == SessionHost.host_id)
            .where(SessionHost.session_id.in_(session_ids))
            .order_by(SessionHost.session_id, Host.name)
        )
        hosts: dict[int, list[str]] = {}
        for session_id, name in (await self.session.execute(statement)).all():
            hosts.setdefault(int(session_id), []).append(str(name))
        return hosts

    async def sessions(self, subject: Subject, session_ids: Sequence[int]) -> dict[int, tuple[str, datetime]]:
        """id → (title, start) of the given sessions."""
        started = func.coalesce(LiveSession.started_at, LiveSession.scheduled_start_at)
        statement = scoped(select(LiveSession.id, LiveSession.title, started), LiveSession, subject).where(
            LiveSession.id.in_(session_ids)
        )
        return {int(i): (str(t), s) for i, t, s in (await self.session.execute(statement)).all()}

    async def product_session_starts(self, subject: Subject, product_id: int) -> list[datetime]:
        """When each session that had the product on its shelf started (sessions that took place)."""
        statement = (
            scoped(select(LiveSession.started_at), LiveSession, subject)
            .join(ShelfItem, ShelfItem.session_id == LiveSession.id)
            .where(ShelfItem.product_id == product_id, LiveSession.started_at.is_not(None))
        )
        return [start for start in (await self.session.execute(statement)).scalars() if start is not None]


class ProposalRepository(Repository[Proposal]):
    def readable(self, subject: Subject) -> Select[Proposal]:
        return scoped(select(Proposal), Proposal, subject)

    async def page(
        self,
        subject: Subject,
        params: PageParams,
        *,
        status: ProposalStatus | None = None,
        product_id: int | None = None,
    ) -> tuple[list[Proposal], int]:
        return await self.paginate(self._filtered(subject, status=status, product_id=product_id), params)

    def _filtered(
        self, subject: Subject, *, status: ProposalStatus | None = None, product_id: int | None = None
    ) -> Select[Proposal]:
        statement = self.readable(subject).order_by(Proposal.updated_at.desc(), Proposal.id.desc())
        if status is not None:
            statement = statement.where(Proposal.status == status)
        if product_id is not None:
            statement = statement.where(Proposal.product_id == product_id)
        return statement

    async def all_of(self, subject: Subject, *, product_id: int | None = None) -> list[Proposal]:
        return await self.all(self._filtered(subject, product_id=product_id))

    async def get(self, subject: Subject, proposal_id: int) -> Proposal | None:
        return await self.first(self.readable(subject).where(Proposal.id == proposal_id))

    async def add(self, proposal: Proposal) -> Proposal:
        self.session.add(proposal)
        await self.session.flush()
        return proposal

    async def link(self, tenant_id: int, proposal_id: int, topic_ids: Sequence[int], quote_ids: Sequence[int]) -> None:
        self.session.add_all(ProposalTopic(tenant_id=tenant_id, proposal_id=proposal_id, topic_id=t) for t in topic_ids)
        self.session.add_all(
            ProposalQuote(tenant_id=tenant_id, proposal_id=proposal_id, event_row_id=e) for e in quote_ids
        )
        await self.session.flush()

    async def topic_links(self, subject: Subject, proposal_ids: Sequence[int]) -> dict[int, list[int]]:
        statement = (
            scoped(select(ProposalTopic.proposal_id, ProposalTopic.topic_id), ProposalTopic, subject)
            .where(ProposalTopic.proposal_id.in_(proposal_ids))
            .order_by(ProposalTopic.topic_id)
        )
        links: dict[int, list[int]] = {}
        for proposal_id, topic_id in (await self.session.execute(statement)).all():
            links.setdefault(int(proposal_id), []).append(int(topic_id))
        return links

    async def quote_ids(self, subject: Subject, proposal_id: int) -> list[int]:
        statement = scoped(select(ProposalQuote.event_row_id), ProposalQuote, subject).where(
            ProposalQuote.proposal_id == proposal_id
        )
        return sorted(int(e) for e in (await self.session.execute(statement)).scalars())

    async def for_topic(self, subject: Subject, topic_id: int) -> list[Proposal]:
        linked = scoped(select(ProposalTopic.proposal_id), ProposalTopic, subject).where(
            ProposalTopic.topic_id == topic_id
        )
        return await self.all(self.readable(subject).where(Proposal.id.in_(linked)).order_by(Proposal.id))

    async def relink_topics(self, subject: Subject, from_topic_ids: Sequence[int], to_topic_id: int) -> None:
        """After a merge, proposals that cited a merged topic cite the topic it went into (once)."""
        tenant_id = subject.require_tenant()
        statement = scoped(select(ProposalTopic.proposal_id), ProposalTopic, subject)
        affected = set(
            (await self.session.execute(statement.where(ProposalTopic.topic_id.in_(from_topic_ids)))).scalars()
        )
        already = set((await self.session.execute(statement.where(ProposalTopic.topic_id == to_topic_id))).scalars())
        await self.session.execute(
            delete(ProposalTopic).where(
                ProposalTopic.tenant_id == tenant_id, ProposalTopic.topic_id.in_(from_topic_ids)
            )
        )
        self.session.add_all(
            ProposalTopic(tenant_id=tenant_id, proposal_id=p, topic_id=to_topic_id) for p in sorted(affected - already)
        )
        await self.session.flush()

    async def add_transition(self, transition: ProposalTransition) -> None:
        self.session.add(transition)
        await self.session.flush()

    async def transitions(self, subject: Subject, proposal_id: int) -> list[ProposalTransition]:
        statement = (
            scoped(select(ProposalTransition), ProposalTransition, subject)
            .where(ProposalTransition.proposal_id == proposal_id)
            .order_by(ProposalTransition.id)
        )
        return list((await self.session.execute(statement)).scalars())
