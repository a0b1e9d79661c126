"""A recording stand-in for discord.py's webhook adapter: interaction responses and follow-ups go here.

discord.py sends every interaction callback, follow-up and edit of an interaction message through the
adapter held in the context variable `discord.webhook.async_.async_context`. This fake is a real
`AsyncWebhookAdapter` whose `request` answers locally like Discord would, and records each call.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import discord
import discord.interactions
from discord.webhook import async_ as webhook_async

from tests.fakes.discord_payloads import message_dict


@dataclass
class _Response:
    status: int
    reason: str = "Not Found"


RESPONSE_TYPES = {4: "message", 5: "deferred", 6: "deferred_update", 7: "update", 9: "modal"}


@dataclass
class WebhookCall:
    method: str
    path: str
    webhook_id: int
    token: str
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """`message`, `deferred`, `modal`, ... for a callback; `followup` or `edit` otherwise."""
        if self.path.endswith("/callback"):
            return RESPONSE_TYPES.get(self.payload.get("type", 0), "other")
        return "followup" if self.method == "POST" else "edit"

    @property
    def data(self) -> dict[str, Any]:
        """The message (or modal) body of the call."""
        return self.payload.get("data", {}) if self.path.endswith("/callback") else self.payload

    @property
    def content(self) -> str:
        return self.data.get("content") or ""

    @property
    def ephemeral(self) -> bool:
        return bool(self.data.get("flags", 0) & 64)

    def custom_ids(self) -> list[str]:
        found: list[str] = []

        def walk(items: list[dict[str, Any]]) -> None:
            for item in items:
                if "custom_id" in item:
                    found.append(item["custom_id"])
                walk(item.get("components", []))
                if "component" in item:
                    walk([item["component"]])

        walk(self.data.get("components", []))
        return found

    def text(self) -> str:
        """Content and embed text together, for assertions that don't care where the words went."""
        parts = [self.content]
        for embed in self.data.get("embeds", []):
            parts += [embed.get("title") or "", embed.get("description") or ""]
            parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
        return "\n".join(p for p in parts if p)


class RecordingWebhookAdapter(webhook_async.AsyncWebhookAdapter):
    """Answers interaction callbacks and follow-ups locally and keeps every call in `calls`."""

    def __init__(self, bot_user_id: int = 1) -> None:
        super().__init__()
        self.calls: list[WebhookCall] = []
        self.bot_user_id = bot_user_id
        self._message_ids = itertools.count(1_400_000_000_000_000_000)
        self.expired = 0  # answer this many interaction callbacks as Discord does after 3 s: 10062

    async def request(self, route: Any, session: Any, *, payload: dict | None = None, **kwargs: Any) -> Any:
        if payload is None and kwargs.get("multipart"):
            import json

            payload = json.loads(kwargs["multipart"][0]["value"])
        call = WebhookCall(
            route.method, route.path, int(route.webhook_id or 0), str(route.webhook_token), payload or {}
        )
        self.calls.append(call)
        if call.path.endswith("/callback") and self.expired:
            self.expired -= 1
            raise discord.NotFound(_Response(404), {"code": 10062, "message": "Unknown interaction"})
        if call.path.endswith("/callback"):
            return {"interaction": {"id": str(call.webhook_id), "type": call.payload.get("type", 0)}}
        if call.method == "DELETE":
            return None
        body = call.payload
        message = message_dict(next(self._message_ids), 0, self.bot_user_id, body.get("components"))
        message["content"] = body.get("content") or ""
        message["embeds"] = body.get("embeds") or []
        message["flags"] = body.get("flags", 0)
        return message

    def for_token(self, token: str) -> list[WebhookCall]:
        """Every call answering the interaction whose token is `token`, in order."""
        return [c for c in self.calls if c.token == token]

    def messages(self) -> list[WebhookCall]:
        """Calls that carried a message (not a bare defer or a modal)."""
        return [c for c in self.calls if c.kind in ("message", "followup", "edit", "update")]


@contextmanager
def recording_webhooks(bot_user_id: int = 1) -> Iterator[RecordingWebhookAdapter]:
    """Install the fake for every task, whatever context it was started in, and put the real one back."""
    fake = RecordingWebhookAdapter(bot_user_id)
    holders = (webhook_async, discord.interactions)  # interactions.py imported the variable by name
    real = [holder.async_context for holder in holders]
    variable = ContextVar("async_webhook_context", default=fake)
    for holder in holders:
        holder.async_context = variable
    try:
        yield fake
    finally:
        for holder, original in zip(holders, real, strict=True):
            holder.async_context = original
