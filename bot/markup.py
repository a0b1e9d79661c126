"""The core's text markup: mentions, times and bold, written by the core and translated by adapters.

Text people typed and the bot repeats to others (an event's name, a card, a profile field, a note) is
marked with `user_text()` where it enters a message. Each adapter's renderer escapes a marked span for
its platform, so it is shown as typed but never becomes a link, a mention, a channel ping, a timestamp
or formatting; the core's own markup around it keeps working (`render()` below keeps the two apart).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

MENTION = re.compile(r"<@([^<>\s|]+)>")
TIME = re.compile(r"<t:(-?\d+):([tR])>")
BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)

# A span of user text: two private-use characters (which a person's text never keeps, see `neutral`).
USER_OPEN, USER_CLOSE = "\ue000", "\ue001"
USER_SPAN = re.compile(f"{USER_OPEN}([^{USER_OPEN}{USER_CLOSE}]*){USER_CLOSE}")
_HELD = re.compile(f"{USER_OPEN}(\\d+){USER_CLOSE}")
_MARKERS = re.compile(f"[{USER_OPEN}{USER_CLOSE}]")
# What never survives in repeated text: controls (but the line break), the bidirectional overrides,
# embeddings, isolates and marks that reorder what follows (U+202E makes "gpj.exe" read "exe.jpg"), and
# the invisible characters that hide inside words (zero-width space, word joiner, BOM). The zero-width
# joiner and non-joiner stay: emoji sequences and several scripts need them, and they reorder nothing.
_INVISIBLE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
    f"{USER_OPEN}{USER_CLOSE}]"
)


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


def neutral(text: str) -> str:
    """Text with nothing invisible or reordering left in it (tabs become spaces)."""
    return _INVISIBLE.sub(lambda m: " " if m.group(0) == "\t" else "", text)


def user_text(value: object) -> str:
    """Mark `value` (something a person typed) as text to show as typed, never as markup."""
    text = neutral(str(value))
    return f"{USER_OPEN}{text}{USER_CLOSE}" if text else ""


def unmark(text: str) -> str:
    """The text with its user-text marks dropped: for values that are not rendered (a form's initial)."""
    return _MARKERS.sub("", text)


def render(text: str, core: Callable[[str], str], user: Callable[[str], str]) -> str:
    """`core` translates the core's markup, `user` escapes each user-text span, neither sees the other.

    The spans are held out as numbered placeholders while `core` runs (so a `<@...>` typed by someone is
    never taken for a mention, and a `**` they typed never pairs with the bot's), then put back escaped.
    """
    held: list[str] = []

    def hold(match: re.Match[str]) -> str:
        held.append(match.group(1))
        return f"{USER_OPEN}{len(held) - 1}{USER_CLOSE}"

    done = core(USER_SPAN.sub(hold, text))
    done = _HELD.sub(lambda m: user(held[int(m.group(1))]), done)
    return unmark(done)  # a mark left alone (a span cut by clipping) is dropped


def core_part(text: str) -> str:
    """Only what the core wrote: user-text spans removed (to find the mentions the bot itself made)."""
    return USER_SPAN.sub("", text)


def plain(text: str) -> str:
    """Markup stripped: for logs and length checks, never for the reader."""

    def core(part: str) -> str:
        part = MENTION.sub(lambda m: "@" + m.group(1), part)
        return BOLD.sub(lambda m: m.group(1), part)

    return render(text, core, lambda span: span)
