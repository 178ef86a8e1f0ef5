"""Jinja2 rendering with one environment per locale (gettext installed, autoescaping on)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from livebridge.kit.money import format_yuan
from livebridge.kit.time import to_display
from livebridge.web.deps import CSRF_FIELD, get_locale
from livebridge.web.i18n import LOCALE_NAMES, SUPPORTED_LOCALES, get_translations

PACKAGE_DIR = Path(__file__).resolve().parent.parent
WEB_TEMPLATES = Path(__file__).parent / "templates"


def _template_dirs() -> list[Path]:
    """The shared layout first, then each domain's own ``templates/`` folder."""
    domain_dirs = sorted(path for path in PACKAGE_DIR.glob("*/templates") if path != WEB_TEMPLATES)
    return [WEB_TEMPLATES, *domain_dirs]


def _options(objects: Iterable[Any], label: str = "name") -> list[tuple[Any, Any]]:
    """Objects → (id, label) pairs for a <select>."""
    return [(obj.id, getattr(obj, label)) for obj in objects]


@functools.cache
def get_environment(locale: str) -> Environment:
    environment = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(path)) for path in _template_dirs()]),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_translations(get_translations(locale), newstyle=True)  # type: ignore[attr-defined]
    environment.filters["yuan"] = format_yuan
    environment.filters["options"] = _options
    return environment


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    locale = get_locale(request)
    settings = request.app.state.settings
    identity = getattr(request.state, "identity", None)

    def local_time(value: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
        return to_display(value, settings.display_timezone).strftime(pattern) if value else "—"

    full_context: dict[str, Any] = {
        "request": request,
        "locale": locale,
        "locales": [(code, LOCALE_NAMES[code]) for code in SUPPORTED_LOCALES],
        "identity": identity,
        "tenants": identity.tenants if identity else (),
        "current_tenant": identity.current_tenant if identity else None,
        "csrf_field": CSRF_FIELD,
        "csrf_token": identity.csrf_token if identity else request.state.login_csrf,
        "local_time": local_time,
        "errors": {},
        "form": {},
    }
    full_context.update(context or {})
    body = get_environment(locale).get_template(template).render(full_context)
    return HTMLResponse(body, status_code=status_code, headers=dict(headers or {}))


def gettext_for(request: Request) -> Any:
    return get_translations(get_locale(request)).gettext
