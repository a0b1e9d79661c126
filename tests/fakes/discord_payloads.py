"""Gateway INTERACTION_CREATE payloads, built the way Discord sends them, for feeding a real discord.py bot.

Type 2 is a slash command, 3 a component (button) press, 5 a modal submit. discord.py 2.7 reads
`attachment_size_limit`, `version`, `token`, `application_id` and `member.flags`, so every payload has them.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import discord

_ids = itertools.count(1_300_000_000_000_000_000)

OPTION_TYPES = {str: 3, int: 4, bool: 5}
SUB_COMMAND, SUB_COMMAND_GROUP, USER = 1, 2, 6


def snowflake() -> int:
    return next(_ids)


def user_dict(user: discord.abc.User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "username": user.name,
        "discriminator": "0",
        "global_name": getattr(user, "global_name", None),
        "avatar": None,
    }


def _base(
    kind: int,
    *,
    application_id: int,
    user: discord.abc.User,
    channel: discord.abc.Messageable,
    guild: discord.Guild | None,
    locale: str,
    data: Mapping[str, Any],
    message: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    interaction_id = snowflake()
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(application_id),
        "type": kind,
        "token": f"token-{interaction_id}",
        "version": 1,
        "locale": locale,
        "attachment_size_limit": 8 * 1024 * 1024,
        "app_permissions": str(discord.Permissions.all().value),
        "entitlements": [],
        "authorizing_integration_owners": {},
        "data": dict(data),
        "channel_id": str(channel.id),
    }
    if guild is not None:
        payload["guild_id"] = str(guild.id)
        payload["guild_locale"] = "en-US"
        payload["context"] = 0
        payload["channel"] = {"id": str(channel.id), "type": channel.type.value, "guild_id": str(guild.id)}
        # From a thread, Discord sends the thread's own fields too (parent_id, thread_metadata, …): a
        # stand-in channel may carry them as `raw`, as the fake REST made the thread.
        payload["channel"].update(getattr(channel, "raw", None) or {})
        payload["member"] = {
            "user": user_dict(user),
            "roles": [],
            "joined_at": "2026-01-15T09:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": getattr(user, "nick", None),
            "permissions": str(discord.Permissions.all().value),
        }
    else:
        payload["context"] = 1
        payload["channel"] = {"id": str(channel.id), "type": 1, "recipients": [user_dict(user)]}
        payload["user"] = user_dict(user)
    if message is not None:
        payload["message"] = dict(message)
    return payload


def option(name: str, value: Any) -> dict[str, Any]:
    """A leaf option; a discord.User / Member value becomes a USER option (its id)."""
    if isinstance(value, discord.abc.User):
        return {"name": name, "type": USER, "value": str(value.id)}
    return {"name": name, "type": OPTION_TYPES[type(value)], "value": value}


def slash_command(
    path: Sequence[str],
    options: Mapping[str, Any] | None = None,
    *,
    application_id: int,
    user: discord.abc.User,
    channel: discord.abc.Messageable,
    guild: discord.Guild | None,
    locale: str = "en-US",
    command: str = "tsunagari",
) -> dict[str, Any]:
    """`/tsunagari event start name:...` is `slash_command(["event", "start"], {"name": ...})`."""
    leaf: list[dict[str, Any]] = [option(k, v) for k, v in (options or {}).items() if v is not None]
    resolved_users = {
        str(v.id): user_dict(v) for v in (options or {}).values() if isinstance(v, discord.abc.User)
    }
    for depth, name in reversed(list(enumerate(path))):
        kind = SUB_COMMAND if depth == len(path) - 1 else SUB_COMMAND_GROUP
        leaf = [{"name": name, "type": kind, "options": leaf}]
    data: dict[str, Any] = {"id": str(snowflake()), "name": command, "type": 1, "options": leaf}
    if guild is not None:
        data["guild_id"] = str(guild.id)
    if resolved_users:
        data["resolved"] = {"users": resolved_users}
    return _base(
        2, application_id=application_id, user=user, channel=channel, guild=guild, locale=locale, data=data
    )


def message_dict(message_id: int, channel_id: int, author_id: int, components: list | None = None) -> dict:
    return {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": {"id": str(author_id), "username": "Tsunagari", "discriminator": "0", "avatar": None},
        "content": "",
        "timestamp": "2026-01-15T09:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
        "flags": 0,
        "components": components or [],
    }


def button_press(
    custom_id: str,
    *,
    application_id: int,
    user: discord.abc.User,
    channel: discord.abc.Messageable,
    guild: discord.Guild | None,
    message_id: int | None = None,
    locale: str = "en-US",
) -> dict[str, Any]:
    """A press of the button `custom_id` on a message the bot posted earlier (possibly before a restart)."""
    button = {"type": 2, "style": 1, "label": "button", "custom_id": custom_id}
    message = message_dict(
        message_id or snowflake(), channel.id, application_id, [{"type": 1, "components": [button]}]
    )
    return _base(
        3,
        application_id=application_id,
        user=user,
        channel=channel,
        guild=guild,
        locale=locale,
        data={"custom_id": custom_id, "component_type": 2},
        message=message,
    )


def modal_submit(
    custom_id: str,
    values: Mapping[str, str | list[str]],
    *,
    application_id: int,
    user: discord.abc.User,
    channel: discord.abc.Messageable,
    guild: discord.Guild | None,
    locale: str = "en-US",
) -> dict[str, Any]:
    """A submitted modal, as Discord sends it: each input inside a label; a list is a select's choices."""

    def inner(n: int, name: str, value: str | list[str]) -> dict[str, Any]:
        if isinstance(value, list):
            return {"type": 3, "id": n + 100, "custom_id": name, "values": value}
        return {"type": 4, "id": n + 100, "custom_id": name, "value": value}

    components = [
        {"type": 18, "id": n + 1, "component": inner(n, name, value)}
        for n, (name, value) in enumerate(values.items())
    ]
    return _base(
        5,
        application_id=application_id,
        user=user,
        channel=channel,
        guild=guild,
        locale=locale,
        data={"custom_id": custom_id, "components": components},
    )
