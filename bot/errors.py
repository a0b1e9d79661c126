"""The one exception a ritual raises for anything the user must fix; the core turns it into a reply."""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """A localised answer to the caller: `key` names a sentence in prompts/, `params` fill it in.

    Raising it rolls back everything the handler wrote, so a refused command changes nothing.
    """

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class Seconds(int):
    """A length of time in an error's parameters: the reply shows it in the reader's words ("1 min 30 s")."""


class Usage(str):
    """A command's usage line in an error's parameters, as typed text (`/tsunagari turns --minutes 3`);
    `command` names it, so a reply on a platform with its own command form can show that form instead."""

    command: str

    def __new__(cls, text: str, command: str) -> Usage:
        value = super().__new__(cls, text)
        value.command = command
        return value
