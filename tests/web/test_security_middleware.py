"""The security middleware: headers on every response, the login CSRF cookie, streams closed properly."""

from __future__ import annotations

from starlette.types import Message, Receive, Scope, Send

from livebridge.web.security import SecurityMiddleware


async def run(
    app_messages: list[Message], path: str = "/login", cookie: bytes | None = None
) -> tuple[list[Message], Scope]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        for message in app_messages:
            await send(message)

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    headers = [(b"cookie", cookie)] if cookie else []
    scope: Scope = {"type": "http", "path": path, "headers": headers}
    await SecurityMiddleware(app, api_prefix="/api/v1", cookie_secure=False)(scope, receive, send)
    return sent, scope


def start() -> Message:
    return {"type": "http.response.start", "status": 200, "headers": []}


async def test_headers_and_a_login_cookie_only_where_the_browser_lacks_one() -> None:
    sent, scope = await run([start(), {"type": "http.response.body", "body": b"ok"}])
    headers = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["set-cookie"].startswith(f"lb_csrf={scope['state']['login_csrf']}")
    sent, scope = await run([start(), {"type": "http.response.body", "body": b"ok"}], cookie=b"lb_csrf=abc")
    assert scope["state"]["login_csrf"] == "abc"
    assert all(k != b"set-cookie" for k, _ in sent[0]["headers"])
    sent, scope = await run([start(), {"type": "http.response.body", "body": b"{}"}], path="/api/v1/products")
    assert "state" not in scope
    assert all(k != b"set-cookie" for k, _ in sent[0]["headers"])


async def test_a_stream_cut_short_is_ended_and_a_finished_one_is_left_alone() -> None:
    sent, _ = await run([start(), {"type": "http.response.body", "body": b"data: 1\n\n", "more_body": True}])
    assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
    sent, _ = await run([start(), {"type": "http.response.body", "body": b"done"}])
    assert len(sent) == 2
