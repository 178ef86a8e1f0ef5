"""The overview page: counts, sessions by platform and the next sessions."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from livebridge.authz import Permission
from livebridge.catalog import service as catalog_service
from livebridge.kit.pagination import PageParams
from livebridge.live import service as live_service
from livebridge.models import ProductStatus, SessionStatus
from livebridge.web.deps import ConsoleUser, DbSession
from livebridge.web.templating import gettext_for, render

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def overview_page(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    subject = identity.subject
    if not subject.can(Permission.READ) and subject.can(Permission.SERVE_TICKETS):
        return RedirectResponse("/portal", status_code=303)  # dealer staff land in their portal
    _ = gettext_for(request)
    one = PageParams(page=1, page_size=1)
    products = await catalog_service.list_products(session, subject, one, status=ProductStatus.ACTIVE)
    hosts = await live_service.list_hosts(session, subject, one)
    by_status = await live_service.count_sessions_by_status(session, subject)
    upcoming = await live_service.list_sessions(
        session, subject, PageParams(page=1, page_size=5), status=SessionStatus.SCHEDULED
    )
    per_platform = await live_service.count_sessions_by_platform(session, subject)
    chart = {
        "tooltip": {"trigger": "item"},
        "series": [
            {
                "type": "pie",
                "radius": ["45%", "70%"],
                "data": [
                    {"name": _(PLATFORM_LABELS[platform]), "value": count}
                    for platform, count in sorted(per_platform.items(), key=lambda item: -item[1])
                ],
            }
        ],
    }
    return render(
        request,
        "overview/overview.html",
        {
            "active": "overview",
            "product_count": products.pagination.total_count,
            "host_count": hosts.pagination.total_count,
            "by_status": by_status,
            "upcoming": upcoming.items,
            "chart_json": json.dumps(chart, ensure_ascii=False),
        },
    )


PLATFORM_LABELS = {
    "douyin": "Douyin",
    "kuaishou": "Kuaishou",
    "wechat_channels": "WeChat Channels",
    "taobao": "Taobao Live",
    "bilibili": "Bilibili",
    "other": "Other",
}
