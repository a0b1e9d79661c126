"""The `/tsunagari` command surface as Discord shows it, declared once as plain data.

The same table builds the app-command group (adapters/discord/commands.py) and turns an invoked
subcommand back into the core's command text (adapters/discord/translate.py), so the two never drift.
Discord cannot invoke a group, so `turns` with no verb is `turns start` here; its `words` say what the
core reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OptionKind = Literal["text", "user", "integer", "flag", "mentions"]


@dataclass(frozen=True, slots=True)
class Option:
    """One option of a subcommand.

    name   -- the Discord option name (lowercase, `_` for spaces)
    kind   -- text, user (a member picker: `<@id>`), integer, flag (a boolean switch: `--x` or nothing),
              mentions (free text of `@a @b …`, passed through word by word)
    flag   -- the core's `--flag`; None for a positional argument
    """

    name: str
    kind: OptionKind = "text"
    flag: str | None = None
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Subcommand:
    path: tuple[str, ...]  # as Discord nests it: ("event", "start")
    options: tuple[Option, ...] = ()
    words: tuple[str, ...] | None = None  # the core's words when they differ from the path

    @property
    def key(self) -> str:
        """The prompt key of this subcommand's description: `discord.command.event_start`."""
        return "_".join(self.path).replace("-", "_")

    @property
    def core_words(self) -> tuple[str, ...]:
        return self.path if self.words is None else self.words


LANGS = ("en", "ja")
STAGES = ("link", "connection", "engagement", "relationship")

SURFACE: tuple[Subcommand, ...] = (
    Subcommand(
        ("event", "start"),
        (
            Option("name", required=True),
            Option("lang", flag="--lang", choices=LANGS),
            Option("tz", flag="--tz"),
        ),
    ),
    Subcommand(("event", "end")),
    Subcommand(
        ("join",),
        tuple(
            Option(name, flag=f"--{name}")
            for name in ("org", "region", "generation", "role", "languages", "interests")
        ),
    ),
    Subcommand(("leave",)),
    Subcommand(("profile",)),
    Subcommand(("help",)),
    Subcommand(("lang",), (Option("language", required=True, choices=LANGS),)),
    Subcommand(("tz",), (Option("zone", required=True),)),
    Subcommand(("facilitators", "add"), (Option("user", "user", required=True),)),
    Subcommand(("handover",), (Option("user", "user", required=True),)),
    Subcommand(
        ("turns", "start"),
        (
            Option("speakers", "mentions"),
            Option("minutes", flag="--minutes"),
            Option("order", flag="--order", choices=("random", "given")),
            Option("voice", "flag", flag="--voice"),
            Option("mute_others", "flag", flag="--mute-others"),
        ),
        words=("turns",),
    ),
    Subcommand(("turns", "next")),
    Subcommand(("turns", "pause")),
    Subcommand(("turns", "resume")),
    Subcommand(("turns", "extend"), (Option("minutes"),)),
    Subcommand(("turns", "stop")),
    Subcommand(
        ("oneonone",),
        (
            Option("partner", "user", required=True),
            Option("template", flag="--template"),
            Option("minutes", flag="--minutes"),
        ),
    ),
    Subcommand(("barriers", "open"), (Option("prompt"), Option("min", "integer", flag="--min"))),
    Subcommand(("barriers", "share"), (Option("text", required=True), Option("category", flag="--category"))),
    Subcommand(("barriers", "reveal")),
    Subcommand(("barriers", "close")),
    Subcommand(
        ("pairs",),
        (
            Option("size", "integer", flag="--size"),
            Option("bridge", flag="--bridge"),
            Option("rounds", "integer", flag="--rounds"),
        ),
    ),
    Subcommand(("connections",)),
    Subcommand(
        ("stage",), (Option("user", "user", required=True), Option("stage", required=True, choices=STAGES))
    ),
    Subcommand(("nudges",), (Option("setting", required=True, choices=("on", "off", "status")),)),
    Subcommand(("report",)),
    Subcommand(("forget-me",)),
)

BY_PATH: dict[tuple[str, ...], Subcommand] = {sub.path: sub for sub in SURFACE}
