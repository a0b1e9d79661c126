"""`tsunagari discord sync [--guild ID]` and `tsunagari discord invite-url`, as functions bot/cli.py calls.

Commands are synced on deploy, not on every start: a guild sync shows at once in that guild, a global
sync can take an hour and Discord limits how often it may be done.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import discord
from discord.ext import commands

from adapters.discord.client import make_bot
from adapters.discord.surface import surface
from bot import operator

log = logging.getLogger(__name__)

SCOPES = ("bot", "applications.commands")


def permissions() -> discord.Permissions:
    """Exactly what the bot uses: post and embed, private threads for pairs and one-on-ones, and Mute
    Members for `turns --mute-others`.

    Mute Members is asked for up front: a bot's role is granted once, when it is added, and asking only
    when a facilitator first tries `--mute-others` would mean a server admin re-inviting it mid-workshop.
    The bot mutes only during such rounds and unmutes only the people it muted itself; a server that
    leaves it out still runs every round, and the channel is told once that nobody is being muted.
    """
    return discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        create_private_threads=True,
        embed_links=True,
        read_message_history=True,
        mute_members=True,
    )


def invite_url(application_id: int) -> str:
    """The link that adds the bot to a server with its slash commands and only the permissions it needs."""
    return discord.utils.oauth_url(application_id, permissions=permissions(), scopes=SCOPES)


async def sync_commands(bot: commands.Bot, guild_id: int | None = None, *, clear: bool = False) -> list[str]:
    """Push the `/tsunagari` group (set up by the bot's setup_hook) to Discord; returns what was synced.

    With `clear`, the guild's own copy is removed instead (after moving to a global sync, so the command
    is not listed twice in that guild).
    """
    guild = discord.Object(id=guild_id) if guild_id else None
    if clear:
        bot.tree.clear_commands(guild=guild)
    elif guild is not None:
        bot.tree.copy_global_to(guild=guild)
    synced = await bot.tree.sync(guild=guild)
    return [command.name for command in synced]


async def sync(settings: Any, core: Any, guild_id: int | None = None, *, clear: bool = False) -> list[str]:
    """Log in over HTTP only (no gateway), sync, log out; the surface and words come from the core."""

    async def no_interactions(interaction: discord.Interaction) -> None:  # the sync bot never connects
        return None

    bot = make_bot(
        words=core.catalog,
        handler=no_interactions,
        surface=surface(core.specs.values()),
        application_id=settings.discord_application_id,
    )
    try:
        await bot.login(settings.discord_token.get_secret_value())  # runs setup_hook: the group is added
        return await sync_commands(bot, guild_id, clear=clear)
    finally:
        await bot.close()


def unreachable(error: BaseException) -> str:
    """Why Discord could not be reached, in a few words (aiohttp's own text names host and cause)."""
    words = str(error).strip() or type(error).__name__
    return words.splitlines()[0][:160]


def main(action: str, settings: Any, *, guild_id: int | None = None, clear: bool = False) -> int:
    """`tsunagari discord sync|invite-url`: prints what it did, or what is missing; returns the exit code."""
    if settings.discord_application_id is None:
        print("Set DISCORD_APPLICATION_ID (the Application ID on the app's General Information page).")
        return 2
    if action == "invite-url":
        print(invite_url(settings.discord_application_id))
        return 0
    if settings.discord_token is None:
        print("Set DISCORD_TOKEN (the bot token from the app's Bot page).")
        return 2
    from bot.bootstrap import build

    app = build(settings)

    async def run() -> list[str]:
        try:
            return await sync(settings, app.core, guild_id, clear=clear)
        finally:
            await app.store.close()

    if clear and guild_id is None:
        print("--clear needs --guild: it removes one guild's own copy of the commands.")
        return 2
    try:
        names = asyncio.run(run())
    except discord.LoginFailure:
        return operator.say(
            "token_refused", platform="Discord", name="DISCORD_TOKEN", detail="401 Unauthorized"
        )
    except (aiohttp.ClientError, OSError, TimeoutError) as error:  # no network, DNS, a proxy in the way
        return operator.say("discord_unreachable", reason=unreachable(error))
    if clear:
        print(f"removed the commands registered for guild {guild_id} only")
        return 0
    where = (
        f"guild {guild_id} (visible now)" if guild_id else "every guild (may take up to an hour to appear)"
    )
    print(f"synced /{', /'.join(names)} to {where}")
    return 0
