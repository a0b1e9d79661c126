"""A Discord REST stand-in for the bot's own requests: messages, edits, DMs (and refusals), threads, mutes.

It extends dpytest's `FakeHttp` (which keeps guilds, channels and users) and answers the calls the
adapter makes the way Discord would, recording each one. A user in `refuse_dms` has DMs closed: sending
to their DM channel raises `discord.Forbidden` with Discord's code 50007, as the real API does.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import discord
from discord.ext.test import backend

from tests.fakes.discord_payloads import message_dict, user_dict

CANNOT_DM = 50007


@dataclass
class FakeResponse:
    """What `discord.HTTPException` reads from an aiohttp response."""

    status: int
    reason: str = "Forbidden"


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
        self.too_many_requests = 0  # answer this many sends with a 429 that discord.py did not absorb
        self.synced: list[tuple[int | None, list[dict[str, Any]]]] = []
        self._ids = itertools.count(1_500_000_000_000_000_000)

    def install(self, client: discord.Client) -> DiscordRest:
        """Take over from the FakeHttp that `dpytest.configure(client)` installed."""
        self.state = client._connection
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

    async def send_message(self, channel_id: int, *, params: Any) -> dict[str, Any]:
        channel_id = int(channel_id)
        if self.too_many_requests:
            self.too_many_requests -= 1
            raise discord.HTTPException(
                FakeResponse(429, "Too Many Requests"), {"message": "You are being rate limited."}
            )
        if channel_id in self.deleted_channels:
            raise discord.NotFound(
                FakeResponse(404, "Not Found"), {"code": 10003, "message": "Unknown Channel"}
            )
        recipient = self.dm_channels.get(channel_id)
        if recipient in self.refuse_dms:
            self.refused.append(recipient)
            raise discord.Forbidden(
                FakeResponse(403), {"code": CANNOT_DM, "message": "Cannot send messages to this user"}
            )
        payload = dict(params.payload or {})
        files: list[tuple[str, bytes]] = []
        if params.multipart:
            # With files, discord.py sends multipart/form-data: the message as `payload_json`, then each
            # file as `files[i]`. Discord takes at most 10 files a message, each under its size limit.
            for part in params.multipart:
                if part["name"] == "payload_json":
                    payload = json.loads(part["value"])
                elif part["name"].startswith("files["):
                    files.append((part["filename"], part["value"].read()))
            if len(files) > 10:
                raise discord.HTTPException(
                    FakeResponse(400, "Bad Request"), {"code": 50035, "message": "files"}
                )
        sent = Sent(channel_id, next(self._ids), payload, files=files)
        self.sent.append(sent)
        return self._message(sent)

    async def edit_message(self, channel_id: int, message_id: int, *, params: Any) -> dict[str, Any]:
        for sent in self.sent:
            if sent.message_id == int(message_id) and sent.channel_id == int(channel_id):
                sent.edits.append(dict(params.payload or {}))
                sent.payload = {**sent.payload, **(params.payload or {})}
                return self._message(sent)
        raise discord.NotFound(FakeResponse(404, "Not Found"), {"code": 10008, "message": "Unknown Message"})

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
