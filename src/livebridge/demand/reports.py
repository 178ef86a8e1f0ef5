"""R&D meeting reports: ranked demands and proposals per brand (the tenant) or per product, as Excel."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Permission, Subject
from livebridge.catalog import service as catalog_service
from livebridge.demand import proposals as proposals_service
from livebridge.demand import service
from livebridge.demand.repository import TopicRepository
from livebridge.demand.schemas import QuoteRead
from livebridge.kit.time import to_display, utcnow
from livebridge.models import DemandTopic, Proposal

REPORT_TOPICS = 100


@dataclass(frozen=True)
class DemandReport:
    title: str  # the brand's or the product's name
    generated_at: datetime
    products: dict[int, str]
    topics: list[DemandTopic]
    quotes: dict[int, list[QuoteRead]]
    proposals: list[Proposal]
    proposal_topics: dict[int, list[int]]


async def build_report(
    session: AsyncSession, subject: Subject, *, brand_name: str, product_id: int | None = None
) -> DemandReport:
    subject.check(Permission.READ)
    title = brand_name
    if product_id is not None:
        title = (await catalog_service.access_product(session, subject, product_id)).name
    topics = await TopicRepository(session).ranked(subject, product_id=product_id, limit=REPORT_TOPICS)
    quotes = await service.topic_quotes(session, subject, [t.id for t in topics])
    proposals = await proposals_service.all_proposals(session, subject, product_id=product_id)
    products = {p.id: p.name for p in await service.all_products(session, subject)}
    return DemandReport(
        title=title,
        generated_at=utcnow(),
        products=products,
        topics=topics,
        quotes=quotes,
        proposals=proposals,
        proposal_topics=await proposals_service.topic_links(session, subject, [p.id for p in proposals]),
    )


def report_workbook(report: DemandReport, gettext: Callable[[str], str], zone: str) -> bytes:
    """Two sheets, 需求排行 (ranked demands with quotes) and 改进提案 (proposals), with numbers as numbers."""
    _ = gettext

    def when(value: datetime | None) -> str:
        return to_display(value, zone).strftime("%Y-%m-%d %H:%M") if value else ""

    book = Workbook()
    demands = book.active
    demands.title = _("Ranked demands")
    demands.append([f"{report.title} · {_('Demand report')} · {when(report.generated_at)}"])
    demands.append(
        [
            _("Rank"),
            _("Product"),
            _("Topic"),
            _("Kind"),
            _("Comments"),
            _("Viewers"),
            _("Buyers"),
            _("Negative share"),
            _("Sessions"),
            _("Last mentioned"),
            _("Score"),
            _("Key phrases"),
            _("Quotes"),
        ]
    )
    for rank, topic in enumerate(report.topics, start=1):
        quotes = report.quotes.get(topic.id, [])
        demands.append(
            [
                rank,
                report.products.get(topic.product_id or 0, _("No product")),
                topic.label,
                _(service.KIND_LABELS[topic.kind]),
                topic.comment_count,
                topic.viewer_count,
                topic.buyer_count,
                round(service.negative_share(topic), 4),
                topic.session_count,
                when(topic.last_seen_at),
                round(topic.score, 3),
                "、".join(topic.key_phrases),
                "\n".join(f"「{q.text}」 {q.session_title} {when(q.occurred_at)}" for q in quotes),
            ]
        )
    proposals = book.create_sheet(_("Proposals"))
    proposals.append(
        [
            "ID",
            _("Product"),
            _("Title"),
            _("Status"),
            _("Topics"),
            _("Notes"),
            _("Decline reason"),
            _("Created"),
            _("Shipped"),
        ]
    )
    labels = {t.id: t.label for t in report.topics}
    for proposal in report.proposals:
        topic_ids = report.proposal_topics.get(proposal.id, [])
        proposals.append(
            [
                proposal.id,
                report.products.get(proposal.product_id, ""),
                proposal.title,
                _(proposals_service.STATUS_LABELS[proposal.status]),
                "、".join(labels.get(t, f"#{t}") for t in topic_ids),
                proposal.notes,
                proposal.decline_reason or "",
                when(proposal.created_at),
                when(proposal.shipped_at),
            ]
        )
    for sheet in (demands, proposals):
        header = 2 if sheet is demands else 1
        for cell in sheet[header]:
            cell.font = Font(bold=True)
        for row in sheet.iter_rows(min_row=header + 1):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    demands.column_dimensions["C"].width = 28
    demands.column_dimensions["M"].width = 60
    proposals.column_dimensions["C"].width = 30
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
