"""Console pages of the dealers domain: dealers with territories and capacity, one dealer's agreement history."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from livebridge.authz import Permission
from livebridge.dealers import service
from livebridge.dealers.schemas import TerritoryClaim
from livebridge.models import Capability
from livebridge.web.deps import ConsoleUser, DbSession
from livebridge.web.forms import submit_form
from livebridge.web.templating import render

router = APIRouter()


@router.get("/dealers", response_class=HTMLResponse)
async def dealers_page(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    dealers = await service.list_dealers(session, identity.subject)
    return render(request, "dealers/dealers.html", {"active": "aftersales", "dealers": dealers})


async def _dealer_page(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    organization_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    subject = identity.subject
    dealer = await service.access_dealer(session, subject, organization_id)
    versions = await service.list_agreement_versions(session, subject, organization_id)
    return render(
        request,
        "dealers/dealer.html",
        {
            "active": "aftersales",
            "dealer": dealer,
            "versions": list(reversed(versions)),
            "capabilities": list(Capability),
            "can_manage": subject.can(Permission.MANAGE_DEALERS),
            "form": form or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/dealers/{organization_id}", response_class=HTMLResponse)
async def dealer_page(request: Request, organization_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    return await _dealer_page(request, session, identity, organization_id)


@router.post("/dealers/{organization_id}/territories", response_class=HTMLResponse)
async def claim_territory(
    request: Request, organization_id: int, session: DbSession, identity: ConsoleUser
) -> Response:
    """A refused claim (区域保护) shows the page again naming the dealer that holds the region."""

    async def save(payload: TerritoryClaim) -> object:
        return await service.do_claim_territory(session, identity.subject, organization_id, payload)

    async def show_again(form: dict[str, str], errors: dict[str, str]) -> Response:
        return await _dealer_page(
            request, session, identity, organization_id, form=form, errors=errors, status_code=422
        )

    return await submit_form(
        request, TerritoryClaim, save, redirect_to=f"/dealers/{organization_id}", show_again=show_again
    )
