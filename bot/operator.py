"""What the command line tells whoever runs the bot when a setting, a file, the network or a token is wrong.

One or two lines on stderr in prompts/<lang>/cli.yaml, naming the setting or file and what to do, and
exit code 2 (a configuration error: a supervisor should not restart into it; see deploy/tsunagari.service).
The language is TSUNAGARI_DEFAULT_LANG's, else the terminal's (LANG), else English: the settings
themselves may be what is wrong, so they are not needed to speak.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from pydantic import SecretStr, ValidationError

from bot.config import Settings
from bot.i18n import Catalog, normalise_locale

CONFIG_ERROR = 2  # the exit code of every refusal here


class TokenRefused(Exception):
    """A platform refused a token at start-up (revoked, reset, mistyped): `setting` names it."""

    def __init__(self, platform: str, setting: str, detail: str) -> None:
        super().__init__(f"{platform} refused {setting}: {detail}")
        self.platform, self.setting, self.detail = platform, setting, detail


def language() -> str:
    for candidate in (
        os.environ.get("TSUNAGARI_DEFAULT_LANG"),
        os.environ.get("LC_ALL"),
        os.environ.get("LANG"),
    ):
        lang = normalise_locale(candidate)
        if lang is not None:
            return lang
    return "en"


def words(key: str, **params: Any) -> str:
    """`cli.<key>` in the operator's language."""
    return Catalog.load().text(language(), f"cli.{key}", **params)


def say(key: str, **params: Any) -> int:
    """Print `cli.<key>` to stderr; returns the exit code for a configuration error."""
    print(words(key, **params), file=sys.stderr)
    return CONFIG_ERROR


_PROBLEMS = {
    "int_parsing": "int",
    "int_from_float": "int",
    "float_parsing": "float",
    "bool_parsing": "bool",
    "greater_than": "gt",
    "greater_than_equal": "ge",
    "less_than": "lt",
    "less_than_equal": "le",
}


def _secret(name: str) -> bool:
    for field in Settings.model_fields.values():
        if field.alias == name:
            return SecretStr in getattr(field.annotation, "__args__", (field.annotation,))
    return False


def settings_or_none() -> Settings | None:
    """The settings; or None, once the lines naming each bad one and what to do are printed."""
    try:
        return Settings()
    except ValidationError as error:
        catalog, lang = Catalog.load(), language()
        for problem in error.errors():
            name = ".".join(str(part) for part in problem["loc"]) or "settings"
            detail = str(problem.get("msg", "")).removeprefix("Value error, ")
            kind = (
                "lang"
                if name == "TSUNAGARI_DEFAULT_LANG"
                else _PROBLEMS.get(problem.get("type", ""), "other")
            )
            limit = next(iter((problem.get("ctx") or {}).values()), "")
            words = catalog.text(lang, f"cli.problem.{kind}", detail=detail, limit=limit)
            if _secret(name):  # a token is never echoed, not even a wrong one
                line = catalog.text(lang, "cli.bad_secret_setting", name=name, problem=words)
            else:
                value = str(problem.get("input", ""))[:60]
                line = catalog.text(lang, "cli.bad_setting", name=name, value=value, problem=words)
            print(line, file=sys.stderr)
        return None
