"""Settings read from the environment; a bad value names its variable and stops the start."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import limits
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class ConfigError(Exception):
    """A configuration value is unusable; the message names the variable."""


_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIREBREAK_", extra="ignore", frozen=True)

    data_dir: Path = Path("data")
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    redis_prefix: str = Field(default="firebreak:", max_length=64)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str | None = None
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    log_level: str = "INFO"
    env: Literal["production", "development"] = "production"
    ws_init_timeout: float = Field(default=10.0, gt=0, le=3600)
    ws_max_operations: int = Field(default=100, ge=1, le=10_000)
    ws_ping_interval: float = Field(default=20.0, gt=0, le=3600)
    ws_send_buffer: int = Field(default=256, ge=1, le=100_000)
    db_pool_size: int = Field(default=10, ge=1, le=500)
    alerts_rate_limit: str = "120/minute"
    rate_limit_per_token: str = "3000/minute"
    rate_limit_per_ip: str = "600/minute"
    graphql_max_depth: int = Field(default=10, ge=2, le=100)
    graphql_max_aliases: int = Field(default=30, ge=0, le=1000)
    graphql_max_tokens: int = Field(default=5000, ge=100, le=1_000_000)
    graphql_max_cost: int = Field(default=25_000, ge=100, le=10_000_000)
    status_page_name: str = Field(default="Firebreak", min_length=1, max_length=100)
    status_page_logo_url: str | None = None
    status_page_time_zone: str = "UTC"
    status_page_max_age: int = Field(default=30, ge=0, le=3600)
    postmortem_required_severities: Annotated[tuple[str, ...], NoDecode] = ("SEV1", "SEV2")
    blameless_patterns: Path | None = None
    smtp_url: SecretStr | None = None
    smtp_from: str = "Firebreak <firebreak@localhost>"
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    outbound_allow: Annotated[tuple[str, ...], NoDecode] = ()
    worker: bool = True
    worker_concurrency: int = Field(default=10, ge=1, le=1000)
    jobs_heartbeat: float = Field(default=5.0, gt=0, le=300)
    jobs_stalled_after: float = Field(default=30.0, gt=0, le=3600)
    jobs_poll_interval: float = Field(default=5.0, gt=0, le=3600)
    jobs_shutdown_timeout: float = Field(default=10.0, ge=0, le=3600)

    @field_validator("database_url", "redis_url", "public_url", "status_page_logo_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in ("sqlite", "postgres", "postgresql", "asyncpg"):
            raise ValueError("must start with sqlite://, postgres:// or postgresql://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "memory://")):
            raise ValueError("must start with redis://, rediss:// or memory://")
        return value

    @field_validator("alerts_rate_limit", "rate_limit_per_token", "rate_limit_per_ip")
    @classmethod
    def _check_rate(cls, value: str) -> str:
        if value.strip().lower() == "off":
            return "off"
        try:
            limits.parse(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate such as 120/minute or 10/second") from None
        return value

    @field_validator("status_page_logo_url")
    @classmethod
    def _check_logo_url(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith(("https://", "http://")) or any(c in value for c in " \"'<>")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("status_page_time_zone")
    @classmethod
    def _check_time_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Paris") from None
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            origins = tuple(part.strip() for part in value.split(",") if part.strip())
            for origin in origins:
                if origin != "*" and not origin.startswith(("http://", "https://")):
                    raise ValueError(f"{origin!r} is not an http(s) origin")
            return origins
        return value

    @field_validator("postmortem_required_severities", mode="before")
    @classmethod
    def _split_severities(cls, value: object) -> object:
        if isinstance(value, str):
            if not value.strip():
                return ("SEV1", "SEV2")  # blank is unset, as for every setting
            value = tuple(part.strip().upper() for part in value.split(",") if part.strip())
            if value == ("NONE",):
                return ()
        if isinstance(value, (tuple, list)):
            known = ("SEV1", "SEV2", "SEV3", "SEV4")
            for severity in value:
                if severity not in known:
                    raise ValueError(
                        f"{severity!r} is not a severity; use a comma-separated list of {', '.join(known)}, or none"
                    )
        return value

    @field_validator("blameless_patterns", mode="before")
    @classmethod
    def _blank_path_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("blameless_patterns")
    @classmethod
    def _check_patterns(cls, value: Path | None) -> Path | None:
        if value is not None:
            from app.postmortems.language import load

            load(value)  # a LanguageRulesError (a ValueError) names the entry at fault
        return value

    @field_validator("smtp_url", "slack_bot_token", "slack_signing_secret", mode="before")
    @classmethod
    def _blank_secret_is_unset(cls, value: object) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("smtp_url")
    @classmethod
    def _check_smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            from app.notifications.channels.smtp import parse_smtp_url

            parse_smtp_url(value.get_secret_value())  # its ValueError never repeats the password
        return value

    @field_validator("smtp_from")
    @classmethod
    def _check_smtp_from(cls, value: str) -> str:
        from email.utils import parseaddr

        value = value.strip()
        _, address = parseaddr(value)
        if not address or "@" not in address or any(c in value for c in "\r\n"):
            raise ValueError("must be an address such as Firebreak <firebreak@example.com>")
        return value

    @field_validator("slack_bot_token")
    @classmethod
    def _check_slack_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip().startswith("xox"):
            raise ValueError("must be a Slack bot token (xoxb-…)")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _check_slack_api_url(cls, value: str) -> str:
        value = value.strip() or "https://slack.com/api/"
        if not value.startswith(("https://", "http://")) or any(c in value for c in " \"'<>"):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("outbound_allow", mode="before")
    @classmethod
    def _split_outbound_allow(cls, value: object) -> object:
        from app.notifications.outbound import parse_allow_entry

        if isinstance(value, str):
            value = tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, (tuple, list)):
            for entry in value:
                parse_allow_entry(str(entry))  # a ValueError names the entry
        return value

    @field_validator("jobs_stalled_after")
    @classmethod
    def _check_stalled_after(cls, value: float, info: ValidationInfo) -> float:
        heartbeat = info.data.get("jobs_heartbeat")
        if heartbeat is not None and value < 2 * heartbeat:
            raise ValueError(f"must be at least twice FIREBREAK_JOBS_HEARTBEAT ({heartbeat:g} s)")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _check_log_level(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().upper()
            if value not in _LOG_LEVELS:
                raise ValueError(f"must be one of {', '.join(_LOG_LEVELS)}")
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            for alias in ("postgresql://", "asyncpg://"):
                if url.startswith(alias):
                    url = "postgres://" + url[len(alias) :]
            return url
        return f"sqlite://{(self.data_dir / 'firebreak.sqlite3').as_posix()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite://")

    @property
    def development(self) -> bool:
        return self.env == "development"

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "localhost" if self.host in ("0.0.0.0", "::", "127.0.0.1") else self.host
        return f"http://{host}:{self.port}"


_UNPREFIXED = ("DATABASE_URL", "REDIS_URL")


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, raising ConfigError naming the bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]).upper() if error["loc"] else "?"
        name = field if field in _UNPREFIXED else "FIREBREAK_" + field
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{name}: {message}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
