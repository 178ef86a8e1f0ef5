"""The ASGI application: API under /api/v1 (OpenAPI at /docs), the console, static assets."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from livebridge import __version__
from livebridge.audit import endpoints as audit_endpoints
from livebridge.catalog import endpoints as catalog_endpoints
from livebridge.catalog import pages as catalog_pages
from livebridge.config import Settings, get_settings
from livebridge.db import Database
from livebridge.dealers import endpoints as dealers_endpoints
from livebridge.dealers import pages as dealers_pages
from livebridge.demand import endpoints as demand_endpoints
from livebridge.demand import pages as demand_pages
from livebridge.exceptions import AppError, Conflict
from livebridge.ingest import endpoints as ingest_endpoints
from livebridge.insight import endpoints as insight_endpoints
from livebridge.insight import pages as insight_pages
from livebridge.integrity import endpoints as integrity_endpoints
from livebridge.integrity import pages as integrity_pages
from livebridge.live import endpoints as live_endpoints
from livebridge.live import pages as live_pages
from livebridge.notifications import pages as notifications_pages
from livebridge.orders import endpoints as orders_endpoints
from livebridge.orders import pages as orders_pages
from livebridge.overview import pages as overview_pages
from livebridge.realtime.broadcaster import create_broadcaster
from livebridge.replay import endpoints as replay_endpoints
from livebridge.replay import pages as replay_pages
from livebridge.scorecards import endpoints as scorecard_endpoints
from livebridge.scorecards import pages as scorecard_pages
from livebridge.service_desk import endpoints as service_desk_endpoints
from livebridge.service_desk import pages as service_desk_pages
from livebridge.settlement import endpoints as settlement_endpoints
from livebridge.settlement import pages as settlement_pages
from livebridge.stats import endpoints as stats_endpoints
from livebridge.stats import pages as stats_pages
from livebridge.tenancy import endpoints as tenancy_endpoints
from livebridge.tenancy import pages as tenancy_pages
from livebridge.web.deps import LoginRequired
from livebridge.web.security import SecurityMiddleware
from livebridge.web.templating import render
from livebridge.worker.consumer import start_embedded_consumer, stop_embedded_consumer
from livebridge.worker.queue import configure_queue

logger = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "web" / "static"
API_PREFIX = "/api/v1"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_json(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def on_app_error(request: Request, exc: AppError) -> Response:
        if _is_api(request):
            return JSONResponse(exc.to_body(), status_code=exc.status_code)
        if isinstance(exc, LoginRequired):
            target = "/login?next=" + quote(request.url.path)
            if request.headers.get("hx-request"):
                return Response(status_code=204, headers={"HX-Redirect": target})
            return RedirectResponse(target, status_code=303)
        return render(request, "error.html", {"error": exc}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {
                "field": ".".join(str(part) for part in error["loc"] if part not in ("body", "query", "path")),
                "message": error["msg"],
                "type": error["type"],
            }
            for error in exc.errors()
        ]
        first = problems[0] if problems else {"field": None, "message": "invalid input"}
        message = f"{first['field']}: {first['message']}" if first["field"] else str(first["message"])
        return _error_json(422, "invalid_input", message, field=first["field"], details={"errors": problems})

    @app.exception_handler(IntegrityError)
    async def on_integrity_error(request: Request, exc: IntegrityError) -> Response:
        # Services check uniqueness first; this catches the race where two requests insert at once.
        logger.info("integrity error turned into 409: %s", exc.orig)
        return await on_app_error(request, Conflict("this conflicts with an existing record"))

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        code = codes.get(exc.status_code, "http_error")
        if _is_api(request):
            return _error_json(exc.status_code, code, str(exc.detail))
        error = AppError(str(exc.detail), code=code)
        return render(request, "error.html", {"error": error}, status_code=exc.status_code)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        consumer = start_embedded_consumer(settings, app.state.broadcaster, asyncio.get_running_loop())
        yield
        if consumer is not None:
            await asyncio.to_thread(stop_embedded_consumer, consumer)
        await app.state.broadcaster.close()
        await app.state.db.dispose()

    app = FastAPI(
        title="LiveBridge API",
        version=__version__,
        description='S2B live-commerce platform (直播带货中台). Errors: `{"error": {"code", "message"}}`.',
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.db = Database(settings)
    app.state.broadcaster = create_broadcaster(settings.redis_url)
    configure_queue(settings)  # requests enqueue background tasks (see livebridge.worker)
    app.state.secret_key = settings.resolved_secret_key()

    app.add_middleware(SecurityMiddleware, api_prefix=API_PREFIX, cookie_secure=settings.cookie_secure)
    _install_error_handlers(app)
    for module in (
        tenancy_endpoints,
        catalog_endpoints,
        live_endpoints,
        ingest_endpoints,
        stats_endpoints,
        insight_endpoints,
        replay_endpoints,
        demand_endpoints,
        scorecard_endpoints,
        integrity_endpoints,
        audit_endpoints,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
    for module in (dealers_endpoints, orders_endpoints, service_desk_endpoints, settlement_endpoints):
        app.include_router(module.router, prefix=API_PREFIX)
    # demand_pages before live_pages: live_pages ends with a catch-all POST /sessions/{id}/{action}.
    for module in (
        overview_pages,
        tenancy_pages,
        catalog_pages,
        stats_pages,
        insight_pages,
        replay_pages,
        notifications_pages,
        demand_pages,
        scorecard_pages,
        integrity_pages,
        live_pages,
    ):
        app.include_router(module.router, include_in_schema=False)
    for module in (dealers_pages, orders_pages, service_desk_pages, settlement_pages):
        app.include_router(module.router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
