"""`tsunagari discord sync` pushes the command group (with Japanese) to one guild or globally;
`invite-url` asks for exactly the scopes and permissions the bot uses."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import discord

from adapters.discord.cli import invite_url, permissions, sync_commands
from tests.fakes.discord_world import APPLICATION_ID, GUILD_ID, DiscordWorld


async def test_sync_to_a_guild_sends_the_group_with_japanese_descriptions(world: DiscordWorld):
    names = await sync_commands(world.adapter.bot, GUILD_ID)
    assert names == ["tsunagari"]
    [(guild_id, [command])] = world.rest.synced
    assert guild_id == GUILD_ID
    assert command["name"] == "tsunagari"
    assert command["description_localizations"]["ja"]
    subcommands = {option["name"] for option in command["options"]}
    assert {"event", "join", "help", "forget-me"} <= subcommands


async def test_sync_without_a_guild_is_global(world: DiscordWorld):
    await sync_commands(world.adapter.bot)
    [(guild_id, commands)] = world.rest.synced
    assert guild_id is None and [c["name"] for c in commands] == ["tsunagari"]


def test_invite_url_asks_for_the_bot_and_its_commands_and_no_more():
    url = urlparse(invite_url(APPLICATION_ID))
    query = parse_qs(url.query)
    assert url.netloc == "discord.com"
    assert query["client_id"] == [str(APPLICATION_ID)]
    assert set(query["scope"][0].split()) == {"bot", "applications.commands"}
    granted = discord.Permissions(int(query["permissions"][0]))
    assert granted == permissions()
    assert granted.send_messages and granted.create_private_threads and granted.send_messages_in_threads
    assert not granted.administrator and not granted.manage_guild and not granted.manage_messages
    assert granted.mute_members  # `turns --mute-others`; the bot only unmutes whom it muted
    assert not granted.deafen_members and not granted.move_members


def test_cli_prints_the_invite_url(capsys):
    from adapters.discord.cli import main
    from bot.config import Settings

    settings = Settings().model_copy(update={"discord_application_id": APPLICATION_ID})
    assert main("invite-url", settings) == 0
    assert capsys.readouterr().out.strip() == invite_url(APPLICATION_ID)


def test_cli_says_which_setting_is_missing(capsys):
    from adapters.discord.cli import main
    from bot.config import Settings

    settings = Settings().model_copy(update={"discord_application_id": APPLICATION_ID, "discord_token": None})
    assert main("sync", settings) == 2
    assert "DISCORD_TOKEN" in capsys.readouterr().out


async def test_sync_clear_removes_a_guild_copy(world: DiscordWorld):
    assert await sync_commands(world.adapter.bot, GUILD_ID, clear=True) == []
    assert world.rest.synced == [(GUILD_ID, [])]


def test_a_sharded_setting_makes_an_auto_sharded_bot():
    from discord.ext import commands

    from adapters.discord.client import intents, make_bot

    async def handler(interaction: discord.Interaction) -> None:
        return None

    sharded = make_bot(words=None, handler=handler, surface=(), application_id=APPLICATION_ID, sharded=True)
    single = make_bot(words=None, handler=handler, surface=(), application_id=APPLICATION_ID)
    assert isinstance(sharded, commands.AutoShardedBot)
    assert not isinstance(single, commands.AutoShardedBot) and isinstance(single, commands.Bot)
    # No privileged intent is asked for: members, presences and message content stay off.
    chosen = intents()
    assert not (chosen.members or chosen.presences or chosen.message_content)
    assert chosen.guilds and chosen.voice_states


def test_the_tsunagari_command_prints_the_invite_link() -> None:
    """What a new user types after creating the app: `tsunagari discord invite-url`."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "discord", "invite-url"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(root), "DISCORD_APPLICATION_ID": "123456789012345678"},
    )
    assert done.returncode == 0, done.stderr
    assert "client_id=123456789012345678" in done.stdout and "applications.commands" in done.stdout
