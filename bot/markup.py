"""The core's text markup: mentions, times and bold, written by the core and translated by adapters."""

from __future__ import annotations

import re
from datetime import datetime

MENTION = re.compile(r"<@([^<>\s|]+)>")
TIME = re.compile(r"<t:(-?\d+):([tR])>")
BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)


def mention(user: str) -> str:
    return f"<@{user}>"


def clock_time(when: datetime) -> str:
    """A time of day, shown to each reader in their own zone (Discord does this natively)."""
    return f"<t:{int(when.timestamp())}:t>"


def relative_time(when: datetime) -> str:
    """ "in 3 minutes" / "3 minutes ago"; Discord counts it down live."""
    return f"<t:{int(when.timestamp())}:R>"


def bold(text: str) -> str:
    return f"**{text}**"


def plain(text: str) -> str:
    """Markup stripped: for logs and length checks, never for the reader."""
    text = MENTION.sub(lambda m: "@" + m.group(1), text)
    return BOLD.sub(lambda m: m.group(1), text)
