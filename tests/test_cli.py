"""The command line against a real database: demo (idempotent), tenants, users, API keys."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from livebridge.cli import app
from livebridge.config import get_settings


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("LIVEBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("LIVEBRIDGE_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_admin_commands_and_api_key(cli_env: CliRunner) -> None:
    slug = f"cli-{os.getpid()}"
    created = cli_env.invoke(app, ["admin", "create-tenant", slug, "命令行品牌", "--owner-email",
                                   f"boss@{slug}.cn", "--owner-name", "老板", "--owner-password", "secret-pass"])
    assert created.exit_code == 0, created.output
    again = cli_env.invoke(app, ["admin", "create-tenant", slug, "x", "--owner-email", f"boss@{slug}.cn",
                                 "--owner-name", "x", "--owner-password", "secret-pass"])
    assert again.exit_code == 1
    assert "slug_taken" in again.output
    user = cli_env.invoke(app, ["admin", "create-user", "--tenant", slug, "--email", f"ops@{slug}.cn",
                                "--name", "运营", "--role", "operator", "--password", "secret-pass"])
    assert user.exit_code == 0, user.output
    short = cli_env.invoke(app, ["admin", "create-user", "--tenant", slug, "--email", f"x@{slug}.cn",
                                 "--name", "x", "--role", "analyst", "--password", "short"])
    assert short.exit_code == 1
    assert "password" in short.output
    key = cli_env.invoke(app, ["apikey", "create", "--tenant", slug, "--name", "推流", "--json"])
    assert key.exit_code == 0, key.output
    assert '"key": "lbk_' in key.output
    missing = cli_env.invoke(app, ["apikey", "create", "--tenant", "no-such-tenant", "--name", "x"])
    assert missing.exit_code == 1


def test_demo_is_idempotent(cli_env: CliRunner) -> None:
    first = cli_env.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    second = cli_env.invoke(app, ["demo"])
    assert second.exit_code == 0
    assert "already present" in second.output
    assert "owner@nuanjia.demo" in second.output


def test_invalid_configuration_exits_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEBRIDGE_DATABASE_URL", "mysql://nope")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["db", "upgrade"])
    get_settings.cache_clear()
    assert result.exit_code == 2
    assert "LIVEBRIDGE_DATABASE_URL" in result.output
