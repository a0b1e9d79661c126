"""The `/tsunagari` app-command group, built from the surface table with words from prompts/.

Every subcommand shares one callback: the options are read back from the raw interaction by
adapters/discord/translate.py, so the declared parameters only tell Discord what to show. Descriptions
are English by default and Japanese through a `Translator` when the commands are synced.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from adapters.discord.surface import SURFACE, Option, Subcommand

Text = Callable[[str, str], str]  # (locale, key) -> words, e.g. core.catalog.text
CommandHandler = Callable[[discord.Interaction], Awaitable[None]]

DESCRIPTION_MAX = 100
ROOT = "tsunagari"
_TYPES: dict[str, Any] = {"text": str, "mentions": str, "integer": int, "flag": bool, "user": discord.User}

# Discord's locales for our two languages.
LOCALES = {discord.Locale.japanese: "ja"}


def _key(kind: str, name: str) -> str:
    return f"discord.{kind}.{name.replace('-', '_')}"


class CatalogTranslator(app_commands.Translator):
    """Gives Discord the Japanese descriptions, looked up by the key each `locale_str` carries."""

    def __init__(self, text: Text) -> None:
        self._text = text

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: Any
    ) -> str | None:
        lang = LOCALES.get(locale)
        key = string.extras.get("key")
        if lang is None or key is None:
            return None
        return self._text(lang, key)[:DESCRIPTION_MAX]


def _describe(text: Text, key: str) -> app_commands.locale_str:
    return app_commands.locale_str(text("en", key)[:DESCRIPTION_MAX], key=key)


def _callback(sub: Subcommand, text: Text, handler: CommandHandler) -> Callable[..., Awaitable[None]]:
    async def run(interaction: discord.Interaction, **_options: Any) -> None:
        await handler(interaction)

    def parameter(option: Option) -> inspect.Parameter:
        kind = _TYPES[option.kind]
        return inspect.Parameter(
            option.name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=kind if option.required else kind | None,
            default=inspect.Parameter.empty if option.required else None,
        )

    interaction_parameter = inspect.Parameter(
        "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
    )
    run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [interaction_parameter, *(parameter(o) for o in sub.options)]
    )
    run.__qualname__ = run.__name__ = "tsunagari_" + sub.key
    if sub.options:
        descriptions = {o.name: _describe(text, _key("option", o.name)) for o in sub.options}
        run = app_commands.describe(**descriptions)(run)
    choices = {
        o.name: [app_commands.Choice(name=c, value=c) for c in o.choices] for o in sub.options if o.choices
    }
    if choices:
        run = app_commands.choices(**choices)(run)
    return run


def build_group(text: Text, handler: CommandHandler) -> app_commands.Group:
    """`/tsunagari` with its subgroups and subcommands; every invocation goes to `handler`."""
    root = app_commands.Group(
        name=ROOT,
        description=_describe(text, _key("command", ROOT)),
        allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False),
    )
    groups: dict[str, app_commands.Group] = {}
    for sub in SURFACE:
        parent = root
        if len(sub.path) == 2:
            name = sub.path[0]
            if name not in groups:
                groups[name] = app_commands.Group(
                    name=name, description=_describe(text, _key("group", name)), parent=root
                )
            parent = groups[name]
        command = app_commands.Command(
            name=sub.path[-1],
            description=_describe(text, _key("command", sub.key)),
            callback=_callback(sub, text, handler),
            parent=parent,
        )
        parent.add_command(command)
    return root
