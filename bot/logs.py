"""How the bot logs: one handler on the root logger, libraries capped at INFO, their payloads redacted.

The libraries we run on log whole payloads at DEBUG (a Socket Mode envelope with `user_id` and the
command text, a Web API body with the confirmation and its `user`, a Discord INTERACTION_CREATE with
its options and member), and a few do above DEBUG too (bolt logs the body of a request whose
signature it refuses, at INFO). Put together those would say who wrote which barrier card. So:

- our own loggers (`bot.*`, `adapters.*`, `tsunagari`) log at the level asked for, and never log card
  words, or an author next to a barrier action (that is a rule of the code, checked by tests);
- every other logger is capped at INFO even when the bot runs at DEBUG, and what it logs at any level
  reaches the output only as its shape: the library's own words, with every value that came from a
  request or a response replaced by `…` (numbers and flags stay: a status code, a retry delay);
- aiohttp's access log (a line per request Slack posts, each at its millisecond) stays off: the
  moment of each request, shares among them, is what must not be kept;
- `TSUNAGARI_LIBRARY_DEBUG=true` lifts the cap and turns the access log on, to follow a library step
  by step; their lines are redacted all the same, so even then no payload is written.

`configure` is what `tsunagari` calls; the tests call it too, so they check the logging that runs.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from dataclasses import dataclass, field
from typing import IO, Any

from bot.config import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
OURS = ("bot", "adapters", "tsunagari")
# Libraries that never see a request or a response: their lines are useful as they are.
PLAIN = ("alembic", "apscheduler")
# Capped at INFO by level as well as by the filter, so their DEBUG records are not even built.
LIBRARIES = (
    "slack_bolt",
    "slack_sdk",
    "discord",
    "aiohttp",
    "asyncio",
    "asyncpg",
    "aiosqlite",
    "sqlalchemy",
    "websockets",
    "urllib3",
    "httpx",
)
ACCESS_LOG = "aiohttp.access"
REDACTED = "…"
# A number this small is a count, a status, a shard or a delay; a Discord id (a snowflake) is far larger.
SMALL = 10**6
# Where a library's own words end and a value begins, in a line it formatted itself (f-strings).
_VALUE_STARTS = re.compile(r"[{\[(\"'=:<%]|https?://|\d")


def _ours(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in OURS)


def _plain(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in PLAIN)


def _safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int) and abs(value) < SMALL:
        return value
    return REDACTED


def _shape(text: str) -> str:
    """The words before the first value: 'Sending a request - url: https://…' -> 'Sending a request - url …'."""
    first_line = text.split("\n", 1)[0]
    match = _VALUE_STARTS.search(first_line)
    words = (first_line[: match.start()] if match else first_line).rstrip(" ,;-")
    if match is None and len(first_line) == len(text):
        return words
    return f"{words} {REDACTED}" if words else REDACTED


def _redacted_message(record: logging.LogRecord) -> str:
    template = str(record.msg)
    args = record.args
    if not args:
        return _shape(template)
    if isinstance(args, dict):
        return _shape(template)
    try:
        return template % tuple(_safe(a) for a in args)
    except (TypeError, ValueError):  # a %d given `…`: the words alone, then
        return _shape(template)


def _redacted_traceback(exc_info: Any) -> str:
    kind, _, tb = exc_info
    # The frames say where; the exception's message can quote a payload, so only its type is kept.
    return "".join(traceback.format_tb(tb)) + f"{kind.__module__}.{kind.__qualname__}: {REDACTED}"


@dataclass
class Redactor(logging.Filter):
    """On the root handler: lets our records through, drops libraries' DEBUG unless asked, redacts the rest."""

    library_debug: bool = False

    def __post_init__(self) -> None:
        super().__init__()

    def filter(self, record: logging.LogRecord) -> bool:
        if _ours(record.name) or getattr(record, "_tsunagari_redacted", False):
            return True
        if record.levelno <= logging.DEBUG and not self.library_debug:
            return False
        if _plain(record.name):
            return True
        record.msg = _redacted_message(record)
        record.args = ()
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = _redacted_traceback(record.exc_info)
        record.exc_info = None
        record.stack_info = None
        record._tsunagari_redacted = True  # a second handler must not redact the redacted text again
        return True


@dataclass
class LogSetup:
    """What `configure` changed, so a test can put the logging back as it found it."""

    handler: logging.Handler
    levels: dict[str, int] = field(default_factory=dict)

    def undo(self) -> None:
        root = logging.getLogger()
        root.removeHandler(self.handler)
        for name, level in self.levels.items():
            (logging.getLogger(name) if name else root).setLevel(level)


def configure(settings: Settings, *, quiet: bool = False, stream: IO[str] | None = None) -> LogSetup:
    """The bot's logging: the level from TSUNAGARI_LOG_LEVEL (WARNING when `quiet`), on stderr or `stream`."""
    level = logging.WARNING if quiet else getattr(logging, settings.log_level.upper(), logging.INFO)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_tsunagari", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(Redactor(library_debug=settings.library_debug))
    handler._tsunagari = True  # type: ignore[attr-defined]
    setup = LogSetup(handler, {"": root.level})
    root.addHandler(handler)
    root.setLevel(level)
    # A library logger at INFO would pass INFO records to the root handler even with the root at WARNING.
    cap = level if settings.library_debug else max(level, logging.INFO)
    # Alembic writes a dozen INFO lines on every start (its context, each migration it checks): noise above
    # DEBUG. `tsunagari db upgrade` says in one line of its own that the database is up to date.
    quieter = ("apscheduler", "alembic") if quiet else ("alembic",) if level > logging.DEBUG else ()
    for name in LIBRARIES + PLAIN:
        logger = logging.getLogger(name)
        setup.levels[name] = logger.level
        if name in quieter:
            logger.setLevel(logging.WARNING)
        elif settings.library_debug:
            logger.setLevel(cap)
        else:  # a cap only ever raises: SQLAlchemy sets its own loggers to WARNING, and they stay there
            logger.setLevel(max(logger.level, cap))
    # The access log writes a line for every request Slack posts, at the millisecond it came: a share
    # among them. Its lines name nothing, but together with the lines other requests cause they would
    # date each share, so it speaks only when the libraries are asked to.
    access = logging.getLogger(ACCESS_LOG)
    setup.levels[ACCESS_LOG] = access.level
    access.setLevel(level if settings.library_debug else max(level, logging.WARNING))
    return setup
