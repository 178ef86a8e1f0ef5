"""C2M improvement proposals: topics (and their quotes) turned into a change to a product.

Besides topics a proposal can carry evidence from other domains (``EvidenceInput``, e.g. an
after-sale pain point handed over from the pain-point page), at creation or added later while it
is open; it is kept as a snapshot and shown next to the topics.

Status moves only along ``TRANSITIONS``: new → under review → planned → in production → shipped,
or declined (with a reason) from any open status. Every change is recorded and the members of the
manufacturer's organization (the tenant's brand organization; the root organization of a
merchant tenant) and the proposal's owner are notified in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Permission, Subject
from livebridge.catalog import service as catalog_service
from livebridge.demand import service as topics_service
from livebridge.demand.repository import ProposalRepository, TopicRepository
from livebridge.demand.schemas import (
    EvidenceInput,
    EvidenceRead,
    ProposalCreate,
    ProposalRead,
    ProposalTransitionCreate,
    ProposalUpdate,
)
from livebridge.exceptions import Conflict, InvalidInput, NotFound
from livebridge.kit.i18n import N_
from livebridge.kit.pagination import Page, PageParams
from livebridge.kit.time import utcnow
from livebridge.models import (
    OrganizationKind,
    Proposal,
    ProposalEvidence,
    ProposalStatus,
    ProposalTransition,
    TopicStatus,
)
from livebridge.notifications import service as notifications
from livebridge.tenancy import service as tenancy_service
from livebridge.tenancy.schemas import MemberRead

OPEN = (ProposalStatus.NEW, ProposalStatus.UNDER_REVIEW, ProposalStatus.PLANNED, ProposalStatus.IN_PRODUCTION)
TRANSITIONS: dict[ProposalStatus, frozenset[ProposalStatus]] = {
    ProposalStatus.NEW: frozenset({ProposalStatus.UNDER_REVIEW, ProposalStatus.DECLINED}),
    ProposalStatus.UNDER_REVIEW: frozenset({ProposalStatus.PLANNED, ProposalStatus.DECLINED}),
    ProposalStatus.PLANNED: frozenset({ProposalStatus.IN_PRODUCTION, ProposalStatus.DECLINED}),
    ProposalStatus.IN_PRODUCTION: frozenset({ProposalStatus.SHIPPED, ProposalStatus.DECLINED}),
    ProposalStatus.SHIPPED: frozenset(),
    ProposalStatus.DECLINED: frozenset(),
}
# The order in which the console offers the moves.
STATUS_ORDER = [*OPEN, ProposalStatus.SHIPPED, ProposalStatus.DECLINED]
STATUS_LABELS: dict[ProposalStatus, str] = {
    ProposalStatus.NEW: N_("New"),
    ProposalStatus.UNDER_REVIEW: N_("Under review"),
    ProposalStatus.PLANNED: N_("Planned"),
    ProposalStatus.IN_PRODUCTION: N_("In production"),
    ProposalStatus.SHIPPED: N_("Shipped"),
    ProposalStatus.DECLINED: N_("Declined"),
}
QUOTES_FROM_EACH_TOPIC = 3


def allowed_transitions(status: ProposalStatus) -> list[ProposalStatus]:
    return [target for target in STATUS_ORDER if target in TRANSITIONS[status]]


async def _members(session: AsyncSession, subject: Subject) -> list[MemberRead]:
    members: list[MemberRead] = []
    params = PageParams(page=1, page_size=200)
    while True:
        page = await tenancy_service.list_members(session, subject, params)
        members.extend(page.items)
        if params.page >= page.pagination.max_page:
            return members
        params = PageParams(page=params.page + 1, page_size=200)


async def manufacturer_user_ids(session: AsyncSession, subject: Subject) -> set[int]:
    """Members of the tenant's brand organization (the root organization if the tenant has no brand)."""
    organizations = await tenancy_service.list_organizations(session, subject, PageParams(page=1, page_size=200))
    brand_ids = {o.id for o in organizations.items if o.kind == OrganizationKind.BRAND}
    if not brand_ids:
        brand_ids = {o.id for o in organizations.items if o.parent_id is None}
    return {m.user_id for m in await _members(session, subject) if m.organization_id in brand_ids}


async def _check_owner(session: AsyncSession, subject: Subject, owner_user_id: int | None) -> None:
    if owner_user_id is not None and owner_user_id not in {m.user_id for m in await _members(session, subject)}:
        raise InvalidInput("the owner must be a member of this tenant", code="owner_not_member", field="owner_user_id")


async def _notify(session: AsyncSession, subject: Subject, proposal: Proposal, product_name: str, kind: str) -> None:
    recipients = await manufacturer_user_ids(session, subject)
    if proposal.owner_user_id is not None:
        recipients.add(proposal.owner_user_id)
    recipients.discard(subject.user_id or 0)
    await notifications.do_notify(
        session,
        subject,
        recipients,
        kind,
        {"title": proposal.title, "product": product_name, "status_label": STATUS_LABELS[proposal.status]},
        link=f"/demand/proposals/{proposal.id}",
        is_simulated=proposal.is_simulated,
    )


async def proposal_read(session: AsyncSession, subject: Subject, proposal: Proposal) -> ProposalRead:
    repository = ProposalRepository(session)
    links = await repository.topic_links(subject, [proposal.id])
    return ProposalRead(
        id=proposal.id,
        product_id=proposal.product_id,
        title=proposal.title,
        notes=proposal.notes,
        status=proposal.status,
        owner_user_id=proposal.owner_user_id,
        decline_reason=proposal.decline_reason,
        shipped_at=proposal.shipped_at,
        created_at=proposal.created_at,
        updated_at=proposal.updated_at,
        topic_ids=links.get(proposal.id, []),
        quote_ids=await repository.quote_ids(subject, proposal.id),
        evidence=[EvidenceRead.model_validate(e) for e in await repository.evidence(subject, proposal.id)],
        allowed_transitions=allowed_transitions(proposal.status),
        is_simulated=proposal.is_simulated,
    )


async def list_proposals(
    session: AsyncSession,
    subject: Subject,
    params: PageParams,
    *,
    status: ProposalStatus | None = None,
    product_id: int | None = None,
) -> Page[Proposal]:
    subject.check(Permission.READ)
    items, total = await ProposalRepository(session).page(subject, params, status=status, product_id=product_id)
    return Page.build(items, total, params)


async def all_proposals(session: AsyncSession, subject: Subject, *, product_id: int | None = None) -> list[Proposal]:
    subject.check(Permission.READ)
    return await ProposalRepository(session).all_of(subject, product_id=product_id)


async def access_proposal(session: AsyncSession, subject: Subject, proposal_id: int) -> Proposal:
    subject.check(Permission.READ)
    proposal = await ProposalRepository(session).get(subject, proposal_id)
    if proposal is None:
        raise NotFound("no such proposal", code="proposal_not_found")
    return proposal


async def topic_links(session: AsyncSession, subject: Subject, proposal_ids: Sequence[int]) -> dict[int, list[int]]:
    subject.check(Permission.READ)
    return await ProposalRepository(session).topic_links(subject, proposal_ids)


async def history(session: AsyncSession, subject: Subject, proposal_id: int) -> list[ProposalTransition]:
    await access_proposal(session, subject, proposal_id)
    return await ProposalRepository(session).transitions(subject, proposal_id)


async def do_create_proposal(
    session: AsyncSession, subject: Subject, payload: ProposalCreate, *, is_simulated: bool = False
) -> Proposal:
    subject.check(Permission.MANAGE_DEMAND)
    tenant_id = subject.require_tenant()
    product = await catalog_service.access_product(session, subject, payload.product_id)
    topic_ids = sorted(set(payload.topic_ids))
    if not topic_ids and not payload.evidence:
        raise InvalidInput("choose at least one topic or give other evidence", code="required", field="topic_ids")
    topics = await TopicRepository(session).get_many(subject, topic_ids)
    if len(topics) != len(topic_ids):
        raise InvalidInput("no such demand topic", code="topic_not_found", field="topic_ids")
    for topic in topics:
        if topic.status != TopicStatus.ACTIVE:
            raise InvalidInput(f"topic {topic.id} was merged into another", code="topic_merged", field="topic_ids")
        if topic.product_id not in (None, product.id):
            raise InvalidInput(
                f"topic {topic.id} is about another product", code="topic_of_other_product", field="topic_ids"
            )
    await _check_owner(session, subject, payload.owner_user_id)
    quote_ids = sorted(set(payload.quote_ids))
    repository = TopicRepository(session)
    members = {e for topic_id in topic_ids for e in await repository.member_ids(subject, topic_id)}
    if not set(quote_ids) <= members:
        raise InvalidInput(
            "a quote is not a comment of the chosen topics", code="quote_not_in_topics", field="quote_ids"
        )
    if not quote_ids:
        quotes = await topics_service.topic_quotes(session, subject, topic_ids, limit=QUOTES_FROM_EACH_TOPIC)
        quote_ids = sorted({q.event_row_id for qs in quotes.values() for q in qs})
    proposals = ProposalRepository(session)
    proposal = await proposals.add(
        Proposal(
            tenant_id=tenant_id,
            product_id=product.id,
            title=payload.title,
            notes=payload.notes,
            status=ProposalStatus.NEW,
            owner_user_id=payload.owner_user_id,
            created_by_user_id=subject.user_id,
            is_simulated=is_simulated,
        )
    )
    await proposals.link(tenant_id, proposal.id, topic_ids, quote_ids)
    await proposals.add_evidence(_evidence_rows(subject, proposal, payload.evidence))
    await proposals.add_transition(
        ProposalTransition(
            tenant_id=tenant_id, proposal_id=proposal.id, to_status=ProposalStatus.NEW, user_id=subject.user_id
        )
    )
    await _notify(session, subject, proposal, product.name, "proposal_created")
    return proposal


def _evidence_rows(subject: Subject, proposal: Proposal, evidence: Sequence[EvidenceInput]) -> list[ProposalEvidence]:
    return [
        ProposalEvidence(
            tenant_id=proposal.tenant_id,
            proposal_id=proposal.id,
            source=item.source,
            label=item.label,
            count=item.count,
            summary=item.summary,
            items=[i.model_dump() for i in item.items],
            user_id=subject.user_id,
        )
        for item in evidence
    ]


async def do_add_evidence(
    session: AsyncSession, subject: Subject, proposal_id: int, evidence: Sequence[EvidenceInput]
) -> Proposal:
    """Add evidence to an open proposal (a shipped or declined one is history and stays as it was)."""
    subject.check(Permission.MANAGE_DEMAND)
    proposal = await access_proposal(session, subject, proposal_id)
    if proposal.status not in OPEN:
        raise Conflict(
            f"a {proposal.status} proposal takes no more evidence", code="proposal_closed", field="proposal_id"
        )
    await ProposalRepository(session).add_evidence(_evidence_rows(subject, proposal, evidence))
    proposal.updated_at = utcnow()
    await session.flush()
    return proposal


async def do_update_proposal(
    session: AsyncSession, subject: Subject, proposal_id: int, payload: ProposalUpdate
) -> Proposal:
    subject.check(Permission.MANAGE_DEMAND)
    proposal = await access_proposal(session, subject, proposal_id)
    changes = payload.model_dump(exclude_unset=True)
    if changes.get("title", "") is None:
        raise InvalidInput("title cannot be empty", code="required", field="title")
    if "owner_user_id" in changes:
        await _check_owner(session, subject, changes["owner_user_id"])
    for key, value in changes.items():
        setattr(proposal, key, "" if key == "notes" and value is None else value)
    await session.flush()
    return proposal


async def do_transition_proposal(
    session: AsyncSession, subject: Subject, proposal_id: int, payload: ProposalTransitionCreate
) -> Proposal:
    subject.check(Permission.MANAGE_DEMAND)
    proposal = await access_proposal(session, subject, proposal_id)
    source = ProposalStatus(proposal.status)
    if payload.to not in TRANSITIONS[source]:
        raise Conflict(
            f"a {source} proposal cannot become {payload.to}",
            code="invalid_proposal_transition",
            details={"from": source, "to": payload.to, "allowed": allowed_transitions(source)},
        )
    if payload.to == ProposalStatus.DECLINED and not payload.reason:
        raise InvalidInput("say why the proposal is declined", code="decline_reason_required", field="reason")
    moment: datetime = payload.at or utcnow()
    if payload.to == ProposalStatus.SHIPPED:
        proposal.shipped_at = moment
    if payload.to == ProposalStatus.DECLINED:
        proposal.decline_reason = payload.reason
    proposal.status = payload.to
    await ProposalRepository(session).add_transition(
        ProposalTransition(
            tenant_id=proposal.tenant_id,
            proposal_id=proposal.id,
            from_status=source.value,
            to_status=payload.to.value,
            reason=payload.reason,
            user_id=subject.user_id,
        )
    )
    product = await catalog_service.access_product(session, subject, proposal.product_id)
    await _notify(session, subject, proposal, product.name, "proposal_status")
    await session.flush()
    return proposal
