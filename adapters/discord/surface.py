"""The `/tsunagari` command surface as Discord shows it, derived from the core's command specs.

Each core command becomes a subcommand (`event start` -> group `event`, subcommand `start`), each
argument a positional option and each `--option` a flag option, so a ritual that lands later appears on
Discord without adapter code. Discord cannot invoke a group, so a command whose name is also a group
(`turns` beside `turns next`) becomes `turns start`; its `words` say what the core reads. The same table
turns an invocation back into command text (adapters/discord/translate.py), so the two never drift.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bot.commands import CommandSpec

log = logging.getLogger(__name__)

OptionKind = Literal["text", "user", "integer", "flag", "mentions", "voice"]

DISCORD_CHOICES_MAX = 25
DISCORD_CHILDREN_MAX = 25
STARTS_A_GROUP = "start"


@dataclass(frozen=True, slots=True)
class Option:
    """One option of a subcommand.

    name   -- the Discord option name, the same as the core's
    kind   -- text, user (a member picker: `<@id>`), integer, flag (a boolean switch: `--x` or nothing),
              mentions (free text of `@a @b …`, passed through word by word), voice (Discord's own
              switch: the people in the caller's voice channel become the command's mentions)
    flag   -- the core's `--flag`; None for a positional argument
    """

    name: str
    kind: OptionKind = "text"
    flag: str | None = None
    required: bool = False
    choices: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None
    max_length: int | None = None


@dataclass(frozen=True, slots=True)
class Subcommand:
    path: tuple[str, ...]  # as Discord nests it: ("event", "start")
    options: tuple[Option, ...] = ()
    words: tuple[str, ...] | None = None  # the core's words when they differ from the path
    help_key: str | None = None  # the core's help line, used when there is no Discord description

    @property
    def key(self) -> str:
        """The prompt key of this subcommand's description: `discord.command.event_start`."""
        return "_".join(self.path).replace("-", "_")

    @property
    def core_words(self) -> tuple[str, ...]:
        return self.path if self.words is None else self.words


# Commands whose list of people Discord can fill from the caller's voice channel (`turns --voice`).
VOICE_COMMANDS = {"turns"}
VOICE = Option("voice", "voice")

_ARG_KINDS: dict[str, OptionKind] = {"text": "text", "word": "text", "user": "user", "users": "mentions"}
_OPT_KINDS: dict[str, OptionKind] = {"int": "integer", "flag": "flag"}


def _path(name: str, group_names: set[str]) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    words = tuple(name.split())
    if len(words) == 1 and words[0] in group_names:
        return (words[0], STARTS_A_GROUP), words
    if len(words) > 2:  # Discord nests two levels under the root
        return (words[0], "-".join(words[1:])), words
    return words, None


def _choices(choices: tuple[str, ...]) -> tuple[str, ...]:
    return choices if len(choices) <= DISCORD_CHOICES_MAX else ()


def subcommand(spec: CommandSpec, group_names: set[str]) -> Subcommand:
    path, words = _path(spec.name, group_names)
    options = [
        Option(
            arg.name,
            _ARG_KINDS.get(arg.kind, "text"),
            required=arg.required,
            choices=_choices(arg.choices),
            max_length=arg.max_length if arg.kind in ("text", "word") else None,
        )
        for arg in spec.args
    ]
    options += [
        Option(
            opt.name,
            _OPT_KINDS.get(opt.kind, "text"),
            flag=f"--{opt.name}",
            choices=_choices(opt.choices),
            min=opt.min if opt.kind == "int" else None,
            max=opt.max if opt.kind == "int" else None,
            max_length=opt.max_length if opt.kind not in ("int", "flag") else None,
        )
        for opt in spec.options
    ]
    names = {o.name for o in options}
    if spec.name in VOICE_COMMANDS and VOICE.name not in names and any(o.kind == "mentions" for o in options):
        options.append(VOICE)
    return Subcommand(path, tuple(options), words, spec.help_key)


def surface(specs: Iterable[CommandSpec]) -> tuple[Subcommand, ...]:
    """The Discord subcommands for the core's command specs, within Discord's 25 children a level."""
    specs = list(specs)
    group_names = {spec.name.split()[0] for spec in specs if len(spec.name.split()) > 1}
    result: list[Subcommand] = []
    children: dict[tuple[str, ...], set[str]] = {}
    for spec in specs:
        sub = subcommand(spec, group_names)
        parent = sub.path[:-1]
        siblings = children.setdefault(parent, set())
        top = children.setdefault((), set())
        if sub.path[-1] in siblings:
            log.error("command %s collides with another on Discord; it is left off", spec.name)
            continue
        if len(siblings) >= DISCORD_CHILDREN_MAX or (
            parent and parent[0] not in top and len(top) >= DISCORD_CHILDREN_MAX
        ):
            log.error("command %s does not fit Discord's 25 subcommands; it is left off", spec.name)
            continue
        siblings.add(sub.path[-1])
        if parent:
            top.add(parent[0])
        result.append(sub)
    return tuple(result)


def by_path(subcommands: Iterable[Subcommand]) -> dict[tuple[str, ...], Subcommand]:
    return {sub.path: sub for sub in subcommands}


def usage(spec: CommandSpec, group_names: set[str] | frozenset[str]) -> str:
    """The command as Discord shows it, by the same path rule as the tree: `/tsunagari turns start
    minutes:3`, options named instead of `--flags`."""
    path, _ = _path(spec.name, set(group_names))
    parts = list(path)
    for arg in spec.args:
        value = arg.metavar or ("|".join(arg.choices) if arg.choices else arg.name.upper())
        if arg.kind in ("user", "users"):
            value = "@" + arg.name if arg.kind == "user" else "@a @b …"
        parts.append(f"{arg.name}:{value}" if arg.required else f"[{arg.name}:{value}]")
    for opt in spec.options:
        value = "True" if opt.kind == "flag" else opt.metavar or ("|".join(opt.choices) or opt.name.upper())
        parts.append(f"[{opt.name}:{value}]")
    return "/tsunagari " + " ".join(parts)
