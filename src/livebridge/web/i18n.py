"""Gettext catalogues (zh_CN first, en second), read from the .po files at start-up.

Reading the .po sources directly (through Babel) means there is no compiled .mo file to forget.
"""

from __future__ import annotations

import functools
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
SUPPORTED_LOCALES = ("zh_CN", "en")
LOCALE_NAMES = {"zh_CN": "简体中文", "en": "English"}
DOMAIN = "messages"


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def get_translations(locale: str) -> NullTranslations:
    path = po_path(locale)
    if locale not in SUPPORTED_LOCALES or not path.exists():
        return NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def negotiate_locale(cookie_value: str | None, default: str) -> str:
    """The console speaks Simplified Chinese unless the user switched (a cookie), whatever the browser says."""
    if cookie_value in SUPPORTED_LOCALES:
        return str(cookie_value)
    return default
