"""The discord.py bot Tsunagari runs on: `commands.Bot` (or `AutoShardedBot`) with one setup hook.

`setup_hook` adds the `/tsunagari` group and registers `CoreButton`, so presses of buttons posted before a
restart are dispatched again. Every command, button press and modal submission goes to one
`InteractionHandler` (the adapter); nothing here knows a ritual.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord.ext import commands

from adapters.discord.commands import CatalogTranslator, Words, build_group
from adapters.discord.surface import Subcommand
from adapters.discord.views import CoreButton

log = logging.getLogger(__name__)

InteractionHandler = Callable[[discord.Interaction], Awaitable[None]]


def intents(*, voice: bool = True) -> discord.Intents:
    """No privileged intent: slash commands and buttons need none; `turns --voice` reads voice states."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    chosen.voice_states = voice
    return chosen


class _Tsunagari:
    """What both bot classes add: the command group, the persistent button, and interaction routing."""

    _words: Words
    _handler: InteractionHandler
    _surface: tuple[Subcommand, ...]

    def _setup_tsunagari(
        self, words: Words, handler: InteractionHandler, surface: tuple[Subcommand, ...]
    ) -> None:
        self._words = words
        self._handler = handler
        self._surface = surface

    async def setup_hook(self) -> None:
        bot: Any = self
        bot.tree.add_command(build_group(self._words, self.on_core_command, self._surface))
        await bot.tree.set_translator(CatalogTranslator(self._words))
        bot.add_dynamic_items(CoreButton)

    async def on_core_command(self, interaction: discord.Interaction) -> None:
        await self._handler(interaction)

    async def on_core_button(self, interaction: discord.Interaction) -> None:
        await self._handler(interaction)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        # Modal submissions are read from the raw data so a form opened before a restart still submits.
        if interaction.type is discord.InteractionType.modal_submit:
            await self._handler(interaction)


def _bot_options(options: dict[str, Any]) -> dict[str, Any]:
    return {
        "command_prefix": commands.when_mentioned,
        "help_command": None,
        "intents": options.pop("intents", None) or intents(),
        **options,
    }


class TsunagariBot(_Tsunagari, commands.Bot):
    def __init__(
        self,
        *,
        words: Words,
        handler: InteractionHandler,
        surface: tuple[Subcommand, ...],
        application_id: int | None,
        **options: Any,
    ) -> None:
        super().__init__(application_id=application_id, **_bot_options(options))
        self._setup_tsunagari(words, handler, surface)


class ShardedTsunagariBot(_Tsunagari, commands.AutoShardedBot):
    """For a bot in thousands of guilds: Discord requires a shard per 2,500."""

    def __init__(
        self,
        *,
        words: Words,
        handler: InteractionHandler,
        surface: tuple[Subcommand, ...],
        application_id: int | None,
        **options: Any,
    ) -> None:
        super().__init__(application_id=application_id, **_bot_options(options))
        self._setup_tsunagari(words, handler, surface)


def make_bot(
    *,
    words: Words,
    handler: InteractionHandler,
    surface: tuple[Subcommand, ...],
    application_id: int | None,
    sharded: bool = False,
    **options: Any,
) -> commands.Bot:
    # discord.py warns at every start that PyNaCl and davey (voice audio and its end-to-end encryption)
    # are missing. The bot never connects to a voice channel: a voice round reads voice states from the
    # gateway and server-mutes through the REST API, neither of which uses them. So the warning, printed
    # next to the advertised voice rounds, would only mislead.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    cls = ShardedTsunagariBot if sharded else TsunagariBot
    return cls(words=words, handler=handler, surface=surface, application_id=application_id, **options)
