"""A recording stand-in for discord.py's webhook adapter: interaction responses and follow-ups go here.

discord.py sends every interaction callback, follow-up and edit of an interaction message through the
adapter held in the context variable `discord.webhook.async_.async_context`. This fake is a real
`AsyncWebhookAdapter` whose `request` answers locally like Discord would, and records each call.

Interactions live on a clock (`clock`, the test's virtual clock in the Discord world): one that `arrived`
must get its first answer within 3 seconds (later: 10062 Unknown interaction) and only one (a second:
40060); follow-ups and edits work for 15 minutes (later: 401, 50027 Invalid Webhook Token). Message
bodies are held to Discord's limits (tests/fakes/discord_limits.py), modals to theirs.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import discord
import discord.interactions
from discord.webhook import async_ as webhook_async

from tests.fakes import discord_limits
from tests.fakes.discord_payloads import message_dict

ANSWER_WITHIN = timedelta(seconds=3)
FOLLOW_UPS_FOR = timedelta(minutes=15)
UNKNOWN_INTERACTION = 10062
ALREADY_ACKNOWLEDGED = 40060
INVALID_WEBHOOK_TOKEN = 50027
UNKNOWN_WEBHOOK = 10015
MODAL_TITLE_MAX = 45
MODAL_COMPONENTS_MAX = 5


class _Clock(Protocol):
    def now(self) -> datetime: ...


class _WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class _Response:
    status: int
    reason: str = "Not Found"


@dataclass
class _Interaction:
    arrived_at: datetime
    answered: bool = False


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

    def __init__(self, bot_user_id: int = 1, clock: _Clock | None = None) -> None:
        super().__init__()
        self.calls: list[WebhookCall] = []
        self.refusals: list[tuple[WebhookCall, int]] = []  # calls Discord refused, with its error code
        self.bot_user_id = bot_user_id
        self.clock: _Clock = clock or _WallClock()
        self.interactions: dict[str, _Interaction] = {}  # by token
        self._message_ids = itertools.count(1_400_000_000_000_000_000)

    def arrived(self, token: str) -> None:
        """An interaction reached the bot now (by `clock`): its windows start here."""
        self.interactions[token] = _Interaction(self.clock.now())

    def _refuse(self, call: WebhookCall, status: int, code: int, message: str) -> None:
        self.refusals.append((call, code))
        error = {403: discord.Forbidden, 404: discord.NotFound}.get(status, discord.HTTPException)
        reason = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}.get(status, "Error")
        raise error(_Response(status, reason), {"code": code, "message": message})

    def _check(self, call: WebhookCall, body: dict[str, Any], *, creating: bool) -> None:
        try:
            if creating:
                discord_limits.check(body)
            else:
                discord_limits.check({**body, "content": body.get("content") or "\u200b"})
        except discord_limits.Refusal as refusal:
            self.refusals.append((call, refusal.body["code"]))
            raise discord.HTTPException(_Response(400, "Bad Request"), refusal.body) from None

    def _check_modal(self, call: WebhookCall, data: dict[str, Any]) -> None:
        title, components = data.get("title") or "", data.get("components") or []
        custom_id = data.get("custom_id") or ""
        if not (
            1 <= len(title) <= MODAL_TITLE_MAX
            and 1 <= len(components) <= MODAL_COMPONENTS_MAX
            and 1 <= len(custom_id) <= discord_limits.CUSTOM_ID_MAX
        ):
            self._refuse(call, 400, discord_limits.INVALID_FORM_BODY, "Invalid Form Body")

    async def request(self, route: Any, session: Any, *, payload: dict | None = None, **kwargs: Any) -> Any:
        if payload is None and kwargs.get("multipart"):
            import json

            payload = json.loads(kwargs["multipart"][0]["value"])
        call = WebhookCall(
            route.method, route.path, int(route.webhook_id or 0), str(route.webhook_token), payload or {}
        )
        self.calls.append(call)
        life = self.interactions.get(call.token)
        age = None if life is None else self.clock.now() - life.arrived_at
        if call.path.endswith("/callback"):
            if life is None or age > ANSWER_WITHIN:
                self._refuse(call, 404, UNKNOWN_INTERACTION, "Unknown interaction")
            if life.answered:
                self._refuse(call, 400, ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged.")
            kind = call.payload.get("type", 0)
            if kind in (4, 7):
                self._check(call, call.data, creating=kind == 4)
            if kind == 9:
                self._check_modal(call, call.data)
            life.answered = True
            return {"interaction": {"id": str(call.webhook_id), "type": kind}}
        if life is None or not life.answered:  # no interaction answered with this token: no webhook yet
            self._refuse(call, 404, UNKNOWN_WEBHOOK, "Unknown Webhook")
        if age > FOLLOW_UPS_FOR:
            self._refuse(call, 401, INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token")
        if call.method == "DELETE":
            return None
        body = call.payload
        self._check(call, body, creating=call.method == "POST")
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
