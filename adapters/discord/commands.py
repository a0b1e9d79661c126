"""The `/tsunagari` app-command group, built from the surface table with words from prompts/.

Every subcommand shares one callback: the options are read back from the raw interaction by
adapters/discord/translate.py, so the declared parameters only tell Discord what to show. Descriptions
are English by default and Japanese through a `Translator` when the commands are synced; a command with
no Discord description of its own uses the core's help line.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

import discord
from discord import app_commands

from adapters.discord.surface import Option, Subcommand

CommandHandler = Callable[[discord.Interaction], Awaitable[None]]

DESCRIPTION_MAX = 100
STRING_MAX = 6000
ROOT = "tsunagari"
GENERIC = "discord.generic_description"
LOCALES = {discord.Locale.japanese: "ja"}  # Discord's locales for the languages we speak besides English


class Words(Protocol):
    """The part of the core's catalog the command group reads."""

    def text(self, lang: str | None, key: str, **params: Any) -> str: ...

    def has(self, key: str) -> bool: ...


class CatalogTranslator(app_commands.Translator):
    """Gives Discord the Japanese descriptions, looked up by the key each `locale_str` carries."""

    def __init__(self, words: Words) -> None:
        self._words = words

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: Any
    ) -> str | None:
        lang = LOCALES.get(locale)
        key = string.extras.get("key")
        if lang is None or key is None:
            return None
        return _short(self._words.text(lang, key, **string.extras.get("params", {})))


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DESCRIPTION_MAX else text[: DESCRIPTION_MAX - 1] + "…"


def _describe(words: Words, *keys: str | None, default: str) -> app_commands.locale_str:
    """The first of `keys` the catalog has, as an English description that knows its key; else a
    generic line naming `default` (an option a newer ritual added before it got Discord words)."""
    for key in keys:
        if key and words.has(key):
            return app_commands.locale_str(_short(words.text("en", key)), key=key)
    params = {"name": default}
    return app_commands.locale_str(_short(words.text("en", GENERIC, **params)), key=GENERIC, params=params)


def _annotation(option: Option) -> Any:
    if option.kind == "integer":
        kind: Any = app_commands.Range[int, option.min, option.max] if option.min or option.max else int
    elif option.kind in ("flag", "voice"):
        kind = bool
    elif option.kind == "user":
        kind = discord.User
    elif option.max_length:
        kind = app_commands.Range[str, None, min(option.max_length, STRING_MAX)]
    else:
        kind = str
    return kind if option.required else kind | None


def _python_name(option: Option) -> str:
    return option.name.replace("-", "_")


def _callback(sub: Subcommand, words: Words, handler: CommandHandler) -> Callable[..., Awaitable[None]]:
    async def run(interaction: discord.Interaction, **_options: Any) -> None:
        await handler(interaction)

    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    parameters += [
        inspect.Parameter(
            _python_name(o),
            inspect.Parameter.KEYWORD_ONLY,
            annotation=_annotation(o),
            default=inspect.Parameter.empty if o.required else None,
        )
        for o in sub.options
    ]
    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run.__qualname__ = run.__name__ = "tsunagari_" + sub.key
    if not sub.options:
        return run
    run = app_commands.describe(
        **{
            _python_name(o): _describe(
                words,
                f"discord.command_option.{sub.key}.{_python_name(o)}",
                f"discord.option.{_python_name(o)}",
                default=o.name,
            )
            for o in sub.options
        }
    )(run)
    renames = {_python_name(o): o.name for o in sub.options if _python_name(o) != o.name}
    if renames:
        run = app_commands.rename(**renames)(run)
    choices = {
        _python_name(o): [app_commands.Choice(name=c, value=c) for c in o.choices]
        for o in sub.options
        if o.choices
    }
    if choices:
        run = app_commands.choices(**choices)(run)
    return run


def build_group(
    words: Words, handler: CommandHandler, subcommands: Iterable[Subcommand]
) -> app_commands.Group:
    """`/tsunagari` with its subgroups and subcommands; every invocation goes to `handler`."""
    root = app_commands.Group(
        name=ROOT,
        description=_describe(words, f"discord.command.{ROOT}", default=ROOT),
        allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False),
    )
    groups: dict[str, app_commands.Group] = {}
    for sub in subcommands:
        parent = root
        if len(sub.path) == 2:
            name = sub.path[0]
            if name not in groups:
                groups[name] = app_commands.Group(
                    name=name, description=_describe(words, f"discord.group.{name}", default=name)
                )
                root.add_command(groups[name])
            parent = groups[name]
        command = app_commands.Command(
            name=sub.path[-1],
            description=_describe(
                words, f"discord.command.{sub.key}", sub.help_key, default=" ".join(sub.path)
            ),
            callback=_callback(sub, words, handler),
        )
        parent.add_command(command)
    return root
