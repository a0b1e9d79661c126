"""A Discord REST stand-in for the bot's own requests: messages, edits, DMs (and refusals), threads, mutes.

It extends dpytest's `FakeHttp` (which keeps guilds, channels and users) and answers the calls the
adapter makes the way Discord would, recording each one. A user in `refuse_dms` has DMs closed: sending
to their DM channel raises `discord.Forbidden` with Discord's code 50007, as the real API does.

Messages (send, edit, delete) go through discord.py's real `HTTPClient.request` over a local stand-in for
its aiohttp session, so what discord.py does with Discord's answers is what happens here: a body Discord
refuses (tests/fakes/discord_limits.py) comes back as a 400 with 50035 or 50006, and a 429 carries
Discord's JSON (`retry_after`, `global`) and X-RateLimit headers, which discord.py sleeps on and retries
by itself (five tries in all, as it does against Discord).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord
from discord import http as discord_http
from discord.ext.test import backend
from multidict import CIMultiDict

from tests.fakes import discord_limits
from tests.fakes.discord_payloads import message_dict, user_dict

CANNOT_DM = 50007


@dataclass
class FakeResponse:
    """What `discord.HTTPException` reads from an aiohttp response."""

    status: int
    reason: str = "Forbidden"


class _WireResponse:
    """The parts of an aiohttp response that discord.py's `HTTPClient.request` reads."""

    def __init__(self, status: int, body: Any, headers: dict[str, str]) -> None:
        self.status = status
        self.reason = {200: "OK", 204: "No Content", 400: "Bad Request", 403: "Forbidden"}.get(
            status, {404: "Not Found", 429: "Too Many Requests"}.get(status, "Error")
        )
        self._text = "" if body is None else json.dumps(body)
        # Discord answers through Cloudflare and Google's front end: discord.py takes a 429 without `Via`
        # for a Cloudflare ban and does not retry it.
        self.headers = CIMultiDict({"Via": "1.1 google", **headers})
        if body is not None:
            self.headers["Content-Type"] = "application/json"

    async def text(self, encoding: str = "utf-8") -> str:
        return self._text


_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"/channels/(\d+)/messages$"), "_wire_send"),
    ("PATCH", re.compile(r"/channels/(\d+)/messages/(\d+)$"), "_wire_edit"),
    ("DELETE", re.compile(r"/channels/(\d+)/messages/(\d+)$"), "_wire_delete"),
]


class _Exchange:
    """One request in flight: `async with session.request(...) as response`."""

    def __init__(self, rest: DiscordRest, method: str, url: str, kwargs: dict[str, Any]) -> None:
        self.rest, self.method, self.url, self.kwargs = rest, method, url, kwargs

    async def __aenter__(self) -> _WireResponse:
        return await self.rest._on_wire(self.method, self.url, self.kwargs)

    async def __aexit__(self, *exc: Any) -> None:
        return None


def _body(data: Any) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """The JSON body of a request, and its files when discord.py sent multipart/form-data.

    With files, discord.py sends the message as the `payload_json` field and each file as `files[i]`.
    """
    if not data:
        return {}, []
    if not isinstance(data, aiohttp.FormData):
        return json.loads(data), []
    body: dict[str, Any] = {}
    files: list[tuple[str, bytes]] = []
    for options, _headers, value in data._fields:
        name = options.get("name", "")
        if name == "payload_json":
            body = json.loads(value)
        elif name.startswith("files["):
            raw = value.read() if hasattr(value, "read") else value
            files.append((options.get("filename", ""), bytes(raw)))
    return body, files


class _Wire:
    """Stands in for the aiohttp session of discord.py's HTTP client: each request goes to the fake."""

    def __init__(self, rest: DiscordRest) -> None:
        self.rest = rest

    def request(self, method: str, url: str, **kwargs: Any) -> _Exchange:
        return _Exchange(self.rest, method, url, kwargs)


@dataclass
class Sent:
    channel_id: int
    message_id: int
    payload: dict[str, Any]
    edits: list[dict[str, Any]] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)  # (filename, bytes) sent as attachments

    @property
    def content(self) -> str:
        return self.payload.get("content") or ""

    def custom_ids(self) -> list[str]:
        return [
            c["custom_id"] for row in self.payload.get("components", []) for c in row.get("components", [])
        ]

    def text(self) -> str:
        parts = [self.content]
        for embed in self.payload.get("embeds") or []:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
        return "\n".join(p for p in parts if p)


class DiscordRest(backend.FakeHttp):
    """dpytest's fake HTTP, answering and recording what the adapter sends."""

    def __init__(self, loop: Any = None) -> None:
        super().__init__(loop=loop)
        self.sent: list[Sent] = []
        self.refuse_dms: set[int] = set()
        self.refused: list[int] = []
        self.dm_channels: dict[int, int] = {}  # DM channel id -> user id
        self.users: dict[int, discord.abc.User] = {}
        self.threads: dict[int, dict[str, Any]] = {}
        self.thread_members: dict[int, list[int]] = {}
        self.member_edits: list[tuple[int, int, dict[str, Any]]] = []
        self.private_threads_allowed = True
        self.mute_allowed = True  # False: the bot lacks Mute Members, as a 403/50013 says
        self.deleted_channels: set[int] = set()
        self.too_many_requests = 0  # answer this many message requests with Discord's 429
        self.retry_after = 0.01  # seconds a 429 asks for (discord.py really sleeps them)
        self.global_limit = False  # whether a 429 is the global limit rather than the route's
        self.requests: list[tuple[str, str]] = []  # (method, path) of every message request, retries too
        self.deleted: list[int] = []  # ids of messages deleted
        self._HTTPClient__session = _Wire(self)  # discord.py's real request() talks to the fake
        self._global_over = asyncio.Event()  # what discord.py's login sets up: no global limit in force
        self._global_over.set()
        self.synced: list[tuple[int | None, list[dict[str, Any]]]] = []
        self._ids = itertools.count(1_500_000_000_000_000_000)

    def install(self, client: discord.Client) -> DiscordRest:
        """Take over from the FakeHttp that `dpytest.configure(client)` installed."""
        self.state = client._connection
        self.max_ratelimit_timeout = client.http.max_ratelimit_timeout  # the bot's own setting
        client.http = self
        client._connection.http = self
        return self

    def add_user(self, user: discord.abc.User) -> None:
        self.users[user.id] = user

    # -- messages --------------------------------------------------------------------------------

    async def start_private_message(self, user_id: int) -> dict[str, Any]:
        channel_id = next(self._ids)
        self.dm_channels[channel_id] = int(user_id)
        return {"id": str(channel_id), "type": 1, "recipients": [user_dict(self.users[int(user_id)])]}

    # discord.py's own endpoint methods build the routes; dpytest's replacements are bypassed for these.
    send_message = discord_http.HTTPClient.send_message
    edit_message = discord_http.HTTPClient.edit_message
    delete_message = discord_http.HTTPClient.delete_message

    async def request(self, route: discord_http.Route, **kwargs: Any) -> Any:
        if any(m == route.method and p.search(route.url) for m, p, _ in _ROUTES):
            return await discord_http.HTTPClient.request(self, route, **kwargs)
        return await super().request(route, **kwargs)

    async def _on_wire(self, method: str, url: str, kwargs: dict[str, Any]) -> _WireResponse:
        path = url.split("/api/v10", 1)[-1]
        self.requests.append((method, path))
        if self.too_many_requests:
            self.too_many_requests -= 1
            return _WireResponse(
                429,
                {
                    "message": "You are being rate limited.",
                    "retry_after": self.retry_after,
                    "global": self.global_limit,
                },
                {
                    "Retry-After": str(max(1, round(self.retry_after))),
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset-After": str(self.retry_after),
                    "X-RateLimit-Bucket": "fake-bucket",
                    **(
                        {"X-RateLimit-Global": "true"} if self.global_limit else {"X-RateLimit-Scope": "user"}
                    ),
                },
            )
        body, files = _body(kwargs.get("data"))
        for wanted, pattern, handler in _ROUTES:
            match = pattern.search(path)
            if wanted == method and match:
                answer: Callable[..., Awaitable[Any]] = getattr(self, handler)
                try:
                    extra = {"files": files} if files else {}
                    result = await answer(*(int(g) for g in match.groups()), body, **extra)
                except discord_limits.Refusal as refusal:
                    return _WireResponse(refusal.status, refusal.body, {})
                return _WireResponse(204 if result is None else 200, result, {})
        return _WireResponse(404, {"code": 0, "message": "404: Not Found"}, {})

    async def _wire_send(
        self, channel_id: int, payload: dict[str, Any], files: list[tuple[str, bytes]] | None = None
    ) -> dict[str, Any]:
        if channel_id in self.deleted_channels:
            raise discord_limits.Refusal(404, 10003, "Unknown Channel")
        recipient = self.dm_channels.get(channel_id)
        if recipient in self.refuse_dms:
            self.refused.append(recipient)
            raise discord_limits.Refusal(403, CANNOT_DM, "Cannot send messages to this user")
        discord_limits.check(payload)
        if files and len(files) > 10:  # Discord takes at most 10 files a message
            raise discord_limits.Refusal(400, 50035, "Invalid Form Body")
        sent = Sent(channel_id, next(self._ids), payload, files=list(files or []))
        self.sent.append(sent)
        return self._message(sent)

    async def _wire_edit(self, channel_id: int, message_id: int, payload: dict[str, Any]) -> dict[str, Any]:
        sent = self._find(channel_id, message_id)
        merged = {**sent.payload, **payload}
        discord_limits.check(merged)  # what the message would become must itself be a valid message
        sent.edits.append(payload)
        sent.payload = merged
        return self._message(sent)

    async def _wire_delete(self, channel_id: int, message_id: int, payload: dict[str, Any]) -> None:
        sent = self._find(channel_id, message_id)
        self.sent.remove(sent)
        self.deleted.append(sent.message_id)

    def _find(self, channel_id: int, message_id: int) -> Sent:
        for sent in self.sent:
            if sent.message_id == message_id and sent.channel_id == channel_id:
                return sent
        raise discord_limits.Refusal(404, 10008, "Unknown Message")

    def _message(self, sent: Sent) -> dict[str, Any]:
        data = message_dict(
            sent.message_id, sent.channel_id, self.state.user.id, sent.payload.get("components")
        )
        data["content"] = sent.payload.get("content") or ""
        data["embeds"] = sent.payload.get("embeds") or []
        return data

    # -- users -----------------------------------------------------------------------------------

    async def get_user(self, user_id: int) -> dict[str, Any]:
        user = self.users.get(int(user_id))
        if user is None:
            raise discord.NotFound(FakeResponse(404, "Not Found"), {"code": 10013, "message": "Unknown User"})
        return user_dict(user)

    # -- private threads -------------------------------------------------------------------------

    async def start_thread_without_message(self, channel_id: int, **options: Any) -> dict[str, Any]:
        if not self.private_threads_allowed:
            raise discord.Forbidden(FakeResponse(403), {"code": 50013, "message": "Missing Permissions"})
        thread_id = next(self._ids)
        parent = self.state.get_channel(int(channel_id))
        data = {
            "id": str(thread_id),
            "guild_id": str(parent.guild.id),
            "parent_id": str(channel_id),
            "owner_id": str(self.state.user.id),
            "name": options["name"],
            "type": int(options["type"]),
            "message_count": 0,
            "member_count": 0,
            "rate_limit_per_user": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": options.get("auto_archive_duration", 1440),
                "archive_timestamp": "2026-01-15T09:00:00+00:00",
                "locked": False,
                "invitable": options.get("invitable", True),
            },
        }
        self.threads[thread_id] = data
        self.thread_members[thread_id] = []
        return data

    async def add_user_to_thread(self, channel_id: int, user_id: int) -> None:
        self.thread_members[int(channel_id)].append(int(user_id))

    # -- voice -----------------------------------------------------------------------------------

    async def edit_member(
        self, guild_id: int, user_id: int, *, reason: str | None = None, **fields: Any
    ) -> Any:
        if "mute" in fields and not self.mute_allowed:
            raise discord.Forbidden(FakeResponse(403), {"code": 50013, "message": "Missing Permissions"})
        guild = self.state._get_guild(int(guild_id))
        member = guild.get_member(int(user_id)) if guild else None
        if "mute" in fields and (member is None or member.voice is None or member.voice.channel is None):
            raise discord.HTTPException(
                FakeResponse(400, "Bad Request"),
                {"code": 40032, "message": "Target user is not connected to voice."},
            )
        self.member_edits.append((int(guild_id), int(user_id), fields))
        if member is not None and member.voice is not None and "mute" in fields:
            member.voice.mute = fields["mute"]
        return {
            "user": user_dict(self.users.get(int(user_id)) or member),
            "roles": [],
            "joined_at": "2026-01-15T09:00:00+00:00",
            "deaf": False,
            "mute": fields.get("mute", False),
            "flags": 0,
        }

    # -- command sync ----------------------------------------------------------------------------

    async def bulk_upsert_guild_commands(self, application_id: int, guild_id: int, payload: list) -> list:
        self.synced.append((int(guild_id), payload))
        return [self._registered(application_id, guild_id, command) for command in payload]

    async def bulk_upsert_global_commands(self, application_id: int, payload: list) -> list:
        self.synced.append((None, payload))
        return [self._registered(application_id, None, command) for command in payload]

    def _registered(self, application_id: int, guild_id: int | None, command: dict) -> dict:
        return {
            **command,
            "id": str(next(self._ids)),
            "application_id": str(application_id),
            "guild_id": None if guild_id is None else str(guild_id),
            "version": "1",
            "default_member_permissions": None,
        }

    # -- what the tests read ---------------------------------------------------------------------

    def in_channel(self, channel_id: int) -> list[Sent]:
        return [s for s in self.sent if s.channel_id == int(channel_id)]

    def muted(self, guild_id: int, user_id: int) -> bool:
        """Whether Discord holds a server mute on this member (as their voice state says)."""
        member = self.state._get_guild(int(guild_id)).get_member(int(user_id))
        return bool(member is not None and member.voice is not None and member.voice.mute)

    def mute_edits(self, user_id: int) -> list[bool]:
        """Every server mute (True) and unmute (False) the bot asked for this person, in order."""
        return [f["mute"] for _, u, f in self.member_edits if u == int(user_id) and "mute" in f]

    def dms_to(self, user_id: int) -> list[Sent]:
        return [s for s in self.sent if self.dm_channels.get(s.channel_id) == int(user_id)]
