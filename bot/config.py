"""Settings, read from the environment (and an optional .env file); secrets never leave this object."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.commands import known_zone

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./tsunagari.db"


def normalise_database_url(url: str) -> str:
    """Accept the URLs people write and pick the async driver the bot runs on."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    default_lang: str = Field("en", alias="TSUNAGARI_DEFAULT_LANG")
    # The zone of events started without --tz; None: the zone of the event's language (bot/reader.py).
    default_tz: str | None = Field(None, alias="TSUNAGARI_DEFAULT_TZ")
    log_level: str = Field("INFO", alias="TSUNAGARI_LOG_LEVEL")
    # Lets the libraries (bolt, slack_sdk, discord.py, aiohttp, the drivers) log at DEBUG too; their
    # lines are still redacted to their shape, so no payload is written (bot/logs.py).
    library_debug: bool = Field(False, alias="TSUNAGARI_LIBRARY_DEBUG")
    prompts_dir: Path | None = Field(None, alias="TSUNAGARI_PROMPTS_DIR")
    sweep_seconds: float = Field(30.0, alias="TSUNAGARI_SWEEP_SECONDS")
    # Several processes on PostgreSQL: how often a follower tries to become the leader and the leader looks
    # for rows other processes inserted; and how long a claimed timer may stay `running` before the leader
    # decides its process died and marks it `failed` (never fired again).
    leader_poll_seconds: float = Field(1.0, alias="TSUNAGARI_LEADER_POLL_SECONDS", gt=0)
    stuck_timer_seconds: float = Field(600.0, alias="TSUNAGARI_STUCK_TIMER_SECONDS", gt=0)
    # How many timers the leader fires at once: the most a crash of the leader can leave undelivered.
    timers_in_flight: int = Field(8, alias="TSUNAGARI_TIMERS_IN_FLIGHT", ge=1, le=100)
    # Heavy work (planning many rounds, matching a large room) runs off the event loop: in worker
    # processes by default ("thread" and "inline" exist for comparison), each job bounded in seconds.
    compute: Literal["process", "thread", "inline"] = Field("process", alias="TSUNAGARI_COMPUTE")
    compute_workers: int = Field(1, alias="TSUNAGARI_COMPUTE_WORKERS", ge=1, le=32)
    compute_timeout_seconds: float = Field(60.0, alias="TSUNAGARI_COMPUTE_TIMEOUT_SECONDS", gt=0)

    # Slack (Socket Mode needs the app token; HTTP mode needs the signing secret)
    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_port: int = Field(3000, alias="SLACK_PORT")
    slack_host: str = Field("0.0.0.0", alias="SLACK_HOST")
    # OAuth, for installing into many workspaces (HTTP mode; installations kept in our database)
    slack_client_id: str | None = Field(None, alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(None, alias="SLACK_CLIENT_SECRET")
    # Only tests and proxies change this: where the Slack Web API is
    slack_api_url: str = Field("https://slack.com/api/", alias="SLACK_API_URL")

    # Discord
    discord_token: SecretStr | None = Field(None, alias="DISCORD_TOKEN")
    discord_application_id: int | None = Field(None, alias="DISCORD_APPLICATION_ID")
    discord_sharded: bool = Field(False, alias="DISCORD_SHARDED")  # AutoShardedBot: needed from 2,500 guilds

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("default_lang")
    @classmethod
    def _known_lang(cls, value: str) -> str:
        if value not in ("en", "ja"):
            raise ValueError("TSUNAGARI_DEFAULT_LANG must be en or ja")
        return value

    @field_validator("default_tz")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        zone = known_zone(value.strip())
        if zone is None:
            raise ValueError(
                f"TSUNAGARI_DEFAULT_TZ={value[:64]!r} is not a time zone: use an IANA name like Asia/Tokyo"
            )
        return zone

    @property
    def slack_configured(self) -> bool:
        oauth = self.slack_client_id is not None and self.slack_client_secret is not None
        return self.slack_bot_token is not None or oauth

    @property
    def discord_configured(self) -> bool:
        return self.discord_token is not None
