"""Security headers on every response, and the login form's CSRF cookie.

A pure ASGI middleware: Starlette's ``BaseHTTPMiddleware`` (``@app.middleware("http")``) runs each
request in a task of its own and passes the body through memory streams, which the ingest path,
with its megabyte bodies, paid for on every batch.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from livebridge.kit.ids import new_token
from livebridge.web.deps import CSRF_COOKIE

HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
)


class SecurityMiddleware:
    """Adds the security headers a response lacks, and gives console pages a login CSRF token.

    A login form has no session yet: its CSRF token is a double-submit cookie, found in
    ``request.state.login_csrf`` and set on the response when the browser lacks it. API calls
    (``api_prefix``) carry API keys, not cookies: they get no cookie.
    """

    def __init__(self, app: ASGIApp, *, api_prefix: str, cookie_secure: bool) -> None:
        self.app = app
        self.api_prefix = api_prefix
        self.cookie_secure = cookie_secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        new_cookie: str | None = None
        if not scope["path"].startswith(self.api_prefix):
            browser_token = _request_cookie(scope, CSRF_COOKIE)
            login_csrf = browser_token or new_token(24)
            scope.setdefault("state", {})["login_csrf"] = login_csrf
            if not browser_token:
                new_cookie = self._cookie(login_csrf)

        open_body = False

        async def send_with_headers(message: Message) -> None:
            nonlocal open_body
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS:
                    headers.setdefault(name, value)
                if new_cookie is not None:
                    headers.append("set-cookie", new_cookie)
                open_body = True
            elif message["type"] == "http.response.body":
                open_body = message.get("more_body", False)
            await send(message)

        await self.app(scope, receive, send_with_headers)
        if open_body:  # a stream (a live dashboard) cut short at shutdown: end its body properly
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _cookie(self, value: str) -> str:
        """The Set-Cookie header Starlette writes for the login CSRF token."""
        response = Response()
        response.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="lax", secure=self.cookie_secure)
        return response.headers["set-cookie"]


def _request_cookie(scope: Scope, name: str) -> str | None:
    """A cookie of the request, read as ``Request.cookies`` reads them."""
    for key, value in scope["headers"]:
        if key == b"cookie":
            return cookie_parser(value.decode("latin-1")).get(name)
    return None
