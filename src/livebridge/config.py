"""Settings, read from ``LIVEBRIDGE_*`` environment variables (and an optional ``.env`` file).

The defaults run everything on one machine: SQLite under ``./var/``, an in-process broadcaster and
an embedded task queue. PostgreSQL and Redis are the scale-out path, switched on by their URLs.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from livebridge.exceptions import ConfigurationError

SUPPORTED_DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LIVEBRIDGE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./var/livebridge.db"
    database_echo: bool = False
    redis_url: str | None = None
    var_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    secret_key: str = Field(default="", description="Signs cookies; generated into var/ when empty")
    session_max_age_hours: int = Field(default=12, ge=1, le=24 * 30)
    cookie_secure: bool = False
    default_locale: Literal["zh_CN", "en"] = "zh_CN"
    display_timezone: str = "Asia/Shanghai"
    shared_data_dir: Path = Path("../shared/data")
    api_page_size_max: int = Field(default=200, ge=10, le=1000)
    model_dir: Path | None = Field(default=None, description="Comment models; default var/models")
    queue_name: str = Field(default="livebridge", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    queue_workers: int = Field(default=2, ge=0, le=32, description="Task consumer threads of `serve`/`worker`")

    @field_validator("database_url")
    @classmethod
    def check_database_url(cls, value: str) -> str:
        scheme = value.split("://", 1)[0]
        if scheme not in SUPPORTED_DATABASE_SCHEMES:
            raise ValueError(f"unsupported scheme {scheme!r}; use one of {', '.join(SUPPORTED_DATABASE_SCHEMES)}")
        return value

    @field_validator("redis_url")
    @classmethod
    def check_redis_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("display_timezone")
    @classmethod
    def check_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def queue_path(self) -> Path:
        """The embedded task queue's SQLite file (used when no Redis URL is set)."""
        return self.var_dir / "queue.db"

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept in ``var/secret_key``."""
        if self.secret_key:
            return self.secret_key
        import secrets

        path = self.var_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
            path.chmod(0o600)
        return path.read_text(encoding="utf-8").strip()


def load_settings() -> Settings:
    """Read the settings, turning a validation failure into one readable error."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"LIVEBRIDGE_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from exc


@functools.cache
def get_settings() -> Settings:
    return load_settings()
