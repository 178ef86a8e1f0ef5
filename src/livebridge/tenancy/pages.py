"""Console pages of the tenancy domain: login, language, tenant switch, members, keys, admin."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from livebridge.auth.service import do_login, do_logout, do_switch_tenant
from livebridge.authz import Permission
from livebridge.exceptions import AppError, PermissionDenied
from livebridge.kit.pagination import PageParams
from livebridge.models import ApiKeyRole, OrganizationKind, Role
from livebridge.tenancy import service
from livebridge.tenancy.schemas import ApiKeyCreate, MemberCreate, OrganizationCreate, TenantCreate, UserCreate
from livebridge.web.deps import (
    CSRF_COOKIE,
    LOCALE_COOKIE,
    SESSION_COOKIE,
    AppSettings,
    ConsoleUser,
    DbSession,
    tokens_match,
)
from livebridge.web.forms import app_error_field, parse_form, read_form, submit_form
from livebridge.web.i18n import SUPPORTED_LOCALES
from livebridge.web.templating import gettext_for, render

router = APIRouter()
FULL_LIST = PageParams(page=1, page_size=200)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a login to another host."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "tenancy/login.html", {"next": _safe_next(next)})


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    _ = gettext_for(request)
    context = {"next": _safe_next(next), "form": {"email": email}}
    if not tokens_match(request.cookies.get(CSRF_COOKIE, ""), csrf_token) or not request.cookies.get(CSRF_COOKIE):
        return render(
            request,
            "tenancy/login.html",
            {**context, "errors": {"__all__": _("Your form expired. Please try again.")}},
            status_code=403,
        )
    if not email or not password:
        errors = {
            key: _("This field is required.") for key, value in (("email", email), ("password", password)) if not value
        }
        return render(request, "tenancy/login.html", {**context, "errors": errors}, status_code=422)
    try:
        login_result = await do_login(
            session,
            email=email,
            password=password,
            user_agent=request.headers.get("user-agent"),
            max_age=timedelta(hours=settings.session_max_age_hours),
        )
    except AppError as exc:
        return render(request, "tenancy/login.html", {**context, "errors": app_error_field(exc, _)}, status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        login_result.token,
        max_age=settings.session_max_age_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    return response


@router.post("/logout")
async def logout(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await do_logout(session, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{locale}")
async def switch_language(locale: str, next: str = "/") -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if locale in SUPPORTED_LOCALES:
        response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.post("/tenant")
async def switch_tenant(session: DbSession, identity: ConsoleUser, tenant_id: Annotated[int, Form()]) -> Response:
    await do_switch_tenant(session, identity, tenant_id)
    return RedirectResponse("/", status_code=303)


# Organizations ---------------------------------------------------------------------------------


@router.get("/organizations", response_class=HTMLResponse)
async def organizations_page(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    return await _organizations(request, session, identity)


async def _organizations(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    page = await service.list_organizations(session, identity.subject, FULL_LIST)
    return render(
        request,
        "tenancy/organizations.html",
        {
            "active": "organizations",
            "organizations": page.items,
            "form": form or {},
            "errors": errors or {},
            "can_manage": identity.subject.can(Permission.MANAGE_MEMBERS),
            "kinds": [OrganizationKind.MERCHANT, OrganizationKind.DEALER],
        },
        status_code=status_code,
    )


@router.post("/organizations", response_class=HTMLResponse)
async def create_organization(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    async def save(payload: OrganizationCreate) -> object:
        return await service.do_create_organization(session, identity.subject, payload)

    async def show_again(form: dict[str, str], errors: dict[str, str]) -> Response:
        return await _organizations(request, session, identity, form=form, errors=errors, status_code=422)

    return await submit_form(request, OrganizationCreate, save, redirect_to="/organizations", show_again=show_again)


# Members ---------------------------------------------------------------------------------------


async def _members(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    members = await service.list_members(session, identity.subject, FULL_LIST)
    organizations = await service.list_organizations(session, identity.subject, FULL_LIST)
    return render(
        request,
        "tenancy/members.html",
        {
            "active": "members",
            "members": members.items,
            "organizations": organizations.items,
            "roles": list(Role),
            "form": form or {},
            "errors": errors or {},
            "can_manage": identity.subject.can(Permission.MANAGE_MEMBERS),
        },
        status_code=status_code,
    )


@router.get("/members", response_class=HTMLResponse)
async def members_page(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    return await _members(request, session, identity)


@router.post("/members", response_class=HTMLResponse)
async def add_member(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    async def save(payload: MemberCreate) -> object:
        return await service.do_add_member(session, identity.subject, payload)

    async def show_again(form: dict[str, str], errors: dict[str, str]) -> Response:
        return await _members(request, session, identity, form=form, errors=errors, status_code=422)

    return await submit_form(request, MemberCreate, save, redirect_to="/members", show_again=show_again)


@router.post("/members/{membership_id}/remove")
async def remove_member(membership_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    await service.do_remove_member(session, identity.subject, membership_id)
    return RedirectResponse("/members", status_code=303)


# API keys --------------------------------------------------------------------------------------


async def _api_keys(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    *,
    created: object = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    keys = await service.list_api_keys(session, identity.subject, FULL_LIST)
    return render(
        request,
        "tenancy/api_keys.html",
        {
            "active": "api_keys",
            "keys": keys.items,
            "created": created,
            "roles": list(ApiKeyRole),
            "form": form or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/api-keys", response_class=HTMLResponse)
async def api_keys_page(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    return await _api_keys(request, session, identity)


@router.post("/api-keys", response_class=HTMLResponse)
async def create_api_key(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    _ = gettext_for(request)
    form = await read_form(request)
    payload, errors = parse_form(ApiKeyCreate, form, _)
    if payload is None:
        return await _api_keys(request, session, identity, form=form, errors=errors, status_code=422)
    created = await service.do_create_api_key(session, identity.subject, payload)
    return await _api_keys(request, session, identity, created=created)


@router.post("/api-keys/{api_key_id}/revoke")
async def revoke_api_key(api_key_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    await service.do_revoke_api_key(session, identity.subject, api_key_id)
    return RedirectResponse("/api-keys", status_code=303)


# Platform admin --------------------------------------------------------------------------------


async def _tenants(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    user_form: dict[str, str] | None = None,
    user_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    if not identity.subject.is_platform_admin:
        raise PermissionDenied("only a platform admin may do this", code="platform_admin_only")
    return render(
        request,
        "tenancy/tenants.html",
        {
            "active": "admin",
            "all_tenants": await service.list_all_tenants(session, identity.subject),
            "roles": list(Role),
            "form": form or {},
            "errors": errors or {},
            "user_form": user_form or {},
            "user_errors": user_errors or {},
        },
        status_code=status_code,
    )


@router.get("/admin/tenants", response_class=HTMLResponse)
async def tenants_page(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    return await _tenants(request, session, identity)


@router.post("/admin/tenants", response_class=HTMLResponse)
async def create_tenant(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    async def save(payload: TenantCreate) -> object:
        return await service.do_create_tenant(session, identity.subject, payload)

    async def show_again(form: dict[str, str], errors: dict[str, str]) -> Response:
        return await _tenants(request, session, identity, form=form, errors=errors, status_code=422)

    return await submit_form(request, TenantCreate, save, redirect_to="/admin/tenants", show_again=show_again)


@router.post("/admin/users", response_class=HTMLResponse)
async def create_user(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    async def save(payload: UserCreate) -> object:
        return await service.do_create_user(session, identity.subject, payload)

    async def show_again(form: dict[str, str], errors: dict[str, str]) -> Response:
        return await _tenants(request, session, identity, user_form=form, user_errors=errors, status_code=422)

    return await submit_form(request, UserCreate, save, redirect_to="/admin/tenants", show_again=show_again)
