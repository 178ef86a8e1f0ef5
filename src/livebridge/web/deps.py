"""FastAPI dependencies: the request's transaction, who is asking, CSRF and the locale."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.auth.service import (
    ConsoleIdentity,
    access_api_key_subject,
    access_console_identity,
    recent_api_key_subject,
)
from livebridge.authz import Subject
from livebridge.config import Settings
from livebridge.db import Database
from livebridge.exceptions import AppError, NotAuthenticated, PermissionDenied
from livebridge.web.i18n import negotiate_locale

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE = "lb_session"
LOCALE_COOKIE = "lb_lang"
CSRF_COOKIE = "lb_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


class LoginRequired(AppError):
    """The console answers this with a redirect to the login page."""

    status_code = 401
    default_code = "login_required"


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.db
    async with database.transaction(write=request.method not in SAFE_METHODS) as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(get_db_session, scope="function")]


def get_database(request: Request) -> Database:
    """For the rare request that needs a second transaction (a GET that must write)."""
    database: Database = request.app.state.db
    return database


AppDatabase = Annotated[Database, Depends(get_database)]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header."""
    if header and header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def _bearer_key(request: Request) -> str | None:
    return bearer_token(request.headers.get("authorization")) or request.headers.get("x-api-key") or None


def tokens_match(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


async def get_api_subject(request: Request, session: DbSession) -> Subject:
    return await resolve_api_subject(request, session, may_write=request.method not in SAFE_METHODS)


def recent_api_subject(request: Request) -> Subject | None:
    """The subject of the request's API key when it was found valid moments ago (no database)."""
    key = _bearer_key(request)
    return recent_api_key_subject(key) if key is not None else None


async def resolve_api_subject(request: Request, session: AsyncSession, *, may_write: bool) -> Subject:
    """API callers: an API key (Bearer or X-API-Key), or the console's session cookie plus CSRF header.

    ``may_write`` records the key's use, so it needs a write transaction.
    """
    key = _bearer_key(request)
    if key is not None:
        return await access_api_key_subject(session, key, may_write=may_write)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        identity = await access_console_identity(session, token)
        if identity is not None:
            writes = request.method not in SAFE_METHODS
            if writes and not tokens_match(identity.csrf_token, request.headers.get(CSRF_HEADER)):
                raise PermissionDenied("missing or wrong CSRF token", code="csrf_failed")
            return identity.subject
    raise NotAuthenticated("an API key (Authorization: Bearer …) or a console login is needed")


ApiSubject = Annotated[Subject, Depends(get_api_subject)]


async def get_console_identity(request: Request, session: DbSession) -> ConsoleIdentity:
    token = request.cookies.get(SESSION_COOKIE)
    identity = await access_console_identity(session, token) if token else None
    if identity is None:
        raise LoginRequired("please log in")
    if request.method not in SAFE_METHODS:
        given = request.headers.get(CSRF_HEADER)
        if given is None:
            form = await request.form()
            field = form.get(CSRF_FIELD)
            given = field if isinstance(field, str) else None
        if not tokens_match(identity.csrf_token, given):
            raise PermissionDenied("missing or wrong CSRF token", code="csrf_failed")
    request.state.identity = identity
    return identity


ConsoleUser = Annotated[ConsoleIdentity, Depends(get_console_identity)]


def get_locale(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return negotiate_locale(request.cookies.get(LOCALE_COOKIE), settings.default_locale)


Locale = Annotated[str, Depends(get_locale)]
