"""The Slack part of the bot's settings, and the permissions (scopes) the app asks a workspace for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCOPES = [
    "commands",
    "chat:write",
    "chat:write.public",
    "files:write",  # the report's charts, uploaded to the facilitator's DM
    "channels:join",
    "im:write",
    "mpim:write",
    "users:read",
    "app_mentions:read",
]


@dataclass(frozen=True, slots=True)
class SlackSettings:
    """The Slack part of the bot's settings (env: SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_SIGNING_SECRET...)."""

    bot_token: str | None = None
    app_token: str | None = None
    signing_secret: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    host: str = "0.0.0.0"
    port: int = 3000
    api_url: str = "https://slack.com/api/"
    command: str = "/tsunagari"

    @classmethod
    def of(cls, settings: Any) -> SlackSettings:
        """Read `slack_*` fields from the project's settings object, whatever else it holds."""
        values = {}
        for name in cls.__dataclass_fields__:
            value = getattr(settings, "slack_" + name, None)
            if hasattr(value, "get_secret_value"):
                value = value.get_secret_value()
            if value is not None:
                values[name] = value
        return cls(**values)

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @property
    def oauth(self) -> bool:
        return bool(self.client_id and self.client_secret)
