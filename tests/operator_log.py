"""What an operator's log would hold: the bot's own logging (bot/logs.configure, as `tsunagari run` sets
it up), written to a list instead of stderr, and a check for a line that ties a card to its author."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from bot import logs
from bot.config import Settings


class OperatorLog:
    """The stream the bot's log handler writes to: one entry per record, formatted as on stderr."""

    def __init__(self) -> None:
        self.entries: list[str] = []

    def write(self, text: str) -> None:
        self.entries.append(text)

    def flush(self) -> None:
        pass

    def from_logger(self, prefix: str) -> list[str]:
        """Entries whose logger name starts with `prefix` (the format is `time LEVEL name: message`)."""
        return [e for e in self.entries if e.split(" ", 3)[3].startswith(prefix)]

    def linking(self, secrets: Iterable[str], identities: Iterable[str]) -> list[str]:
        """Entries holding both something a card says and something that names a person."""
        secrets, identities = list(secrets), list(identities)
        return [
            entry
            for entry in self.entries
            if any(s in entry for s in secrets) and any(i in entry for i in identities)
        ]

    def holding(self, words: Iterable[str]) -> list[str]:
        words = list(words)
        return [entry for entry in self.entries if any(w in entry for w in words)]


@contextmanager
def operator_log(settings: Settings, **changes: Any) -> Iterator[OperatorLog]:
    """Logging configured exactly as `tsunagari run` does for `settings` (with `changes`), then put back."""
    stream = OperatorLog()
    setup = logs.configure(settings.model_copy(update=changes), stream=stream)
    try:
        yield stream
    finally:
        setup.undo()
