from __future__ import annotations

import pytest

from livebridge.config import load_settings
from livebridge.exceptions import ConfigurationError


def test_defaults_are_the_embedded_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("LIVEBRIDGE_DATABASE_URL", "LIVEBRIDGE_REDIS_URL"):
        monkeypatch.delenv(variable, raising=False)
    settings = load_settings()
    assert settings.is_sqlite
    assert settings.redis_url is None
    assert settings.default_locale == "zh_CN"


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("LIVEBRIDGE_DATABASE_URL", "mysql://localhost/x", "LIVEBRIDGE_DATABASE_URL"),
        ("LIVEBRIDGE_PORT", "http", "LIVEBRIDGE_PORT"),
        ("LIVEBRIDGE_REDIS_URL", "localhost:6379", "LIVEBRIDGE_REDIS_URL"),
        ("LIVEBRIDGE_DISPLAY_TIMEZONE", "Mars/Olympus", "LIVEBRIDGE_DISPLAY_TIMEZONE"),
    ],
)
def test_invalid_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str,
                                            named: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=named):
        load_settings()
