"""The console's stand-in for a chat platform: channels, DMs, private replies and forms, kept in memory.

It outlives the bot: a script's `restart` rebuilds the bot on the same database while what people have
already seen stays on their screens, as it would in Slack or Discord.
"""

from __future__ import annotations

import ctypes
import pickle
import sys
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.actions import Form, Message
from bot.markup import unmark


def _untracker() -> Callable[[object], None]:
    """CPython's own `PyObject_GC_UnTrack`, or nothing where there is no such call (another Python)."""
    if sys.implementation.name != "cpython":
        return lambda obj: None
    untrack = ctypes.pythonapi.PyObject_GC_UnTrack
    untrack.argtypes, untrack.restype = [ctypes.py_object], None
    return untrack


untrack = _untracker()
"""Take an object out of the garbage collector's lists (it is still freed by reference counting).

Only for what holds no reference cycle and lives as long as its World: the collector would never free
it, and walking it is what a full collection spends its time on. A reference from it to a tracked object
counts as one from outside, so nothing it holds is ever freed early."""


class Shown:
    """One message on someone's screen: in a channel (audience None = everyone) or private to some.

    A long session shows tens of thousands of these, and all of them live as long as the World. Kept as
    rendered, a message is half a dozen objects (the message, its buttons, fields, lists) that every full
    garbage collection walks, on the loop, with the GIL held: in `bench/load.py` that walk, not the bot's
    own objects, was most of the loop's worst stalls. So a Shown keeps its message and form pickled, and
    what look-ups need (the buttons' labels and ids, the form's title) as tuples of strings, which the
    collector stops tracking; `message` and `form` read back a copy. What is left, the Shown itself and
    its audience (a frozenset, which the collector never stops tracking by itself), the World takes out of
    the collector's lists when it adds them (`untrack`): they hold only strings, bytes and each other, so
    no cycle runs through them. In `bench/load.py`, 100 events leave 42,000 messages; each full
    collection walked them, where the platform they stand for keeps its messages in another process.
    """

    __slots__ = (
        "seq",
        "at",
        "place",
        "channel",
        "audience",
        "ref",
        "lines",
        "buttons",
        "form_title",
        "_message",
        "_form",
    )

    def __init__(
        self,
        seq: int,
        at: datetime,
        place: str,  # "#main", "DM bob", "DM bob+carol", "bob only", "bob form"
        channel: str,  # the id an action in this place is sent from: "#main", "dm:bob+carol"
        audience: frozenset[str] | None,
        message: Message | None,
        form: Form | None = None,
        ref: str | None = None,
        lines: Sequence[str] = (),
    ) -> None:
        self.seq, self.at, self.place, self.channel = seq, at, place, channel
        self.audience, self.ref, self.lines = audience, ref, tuple(lines)
        self.message = message
        self._form = None if form is None else pickle.dumps(form, pickle.HIGHEST_PROTOCOL)
        self.form_title = None if form is None else unmark(form.title)

    @property
    def message(self) -> Message | None:
        return None if self._message is None else pickle.loads(self._message)

    @message.setter
    def message(self, message: Message | None) -> None:
        self._message = None if message is None else pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
        # (label as the person sees it, action id), in the message's order
        self.buttons: tuple[tuple[str, str], ...] = (
            () if message is None else tuple((unmark(b.label), b.action_id) for b in message.buttons)
        )

    @property
    def form(self) -> Form | None:
        return None if self._form is None else pickle.loads(self._form)

    def __repr__(self) -> str:
        return f"Shown({self.seq}, {self.place!r}, {self.lines[:1]!r})"


class World:
    def __init__(self, write: Callable[[str], None] | None = None) -> None:
        self.shown: list[Shown] = []
        self.by_ref: dict[str, Shown] = {}
        self.write = write or (lambda line: None)
        self.people: set[str] = set()
        # Messages by the labels of their buttons (folded): a click looks only at those holding the
        # label, not at everything ever shown, which grew with every message of a long session.
        self.by_label: dict[str, list[Shown]] = {}
        self.forms: dict[str, list[Shown]] = {}  # forms by the one person they were opened for
        # One frozenset for each audience: a group's DMs all share theirs.
        self.audiences: dict[frozenset[str], frozenset[str]] = {}

    def add(self, shown: Shown) -> Shown:
        if shown.audience is not None:
            audience = self.audiences.get(shown.audience)
            if audience is None:
                audience = self.audiences[shown.audience] = shown.audience
                untrack(audience)
            shown.audience = audience
        untrack(shown)
        self.shown.append(shown)
        if shown.form_title is not None and shown.audience is not None and len(shown.audience) == 1:
            self.forms.setdefault(next(iter(shown.audience)), []).append(shown)
        if shown.ref:
            self.by_ref[shown.ref] = shown
        self.index_buttons(shown)
        for line in shown.lines:
            self.write(line)
        return shown

    def index_buttons(self, shown: Shown) -> None:
        for label in {label.lower() for label, _ in shown.buttons}:
            self.by_label.setdefault(label, []).append(shown)

    def replace_message(self, shown: Shown, message: Message) -> None:
        """An update: the message keeps its place on screen, with new words and buttons."""
        shown.message = message
        self.index_buttons(shown)

    def can_see(self, user: str, shown: Shown) -> bool:
        return shown.audience is None or user in shown.audience

    def visible_to(self, user: str) -> list[Shown]:
        return [s for s in self.shown if self.can_see(user, s)]

    def find_button(self, user: str, label: str) -> tuple[Shown, str] | None:
        """The newest message `user` can see with a button labelled `label` (exact, then ignoring case)."""
        candidates = sorted(
            {id(s): s for s in self.by_label.get(label.lower(), [])}.values(),
            key=lambda s: s.seq,
            reverse=True,
        )
        for exact in (True, False):
            for shown in candidates:
                if not self.can_see(user, shown):
                    continue
                for shown_label, action_id in shown.buttons:  # the label as the person sees it
                    if shown_label == label if exact else shown_label.lower() == label.lower():
                        return shown, action_id
        return None

    def find_form(self, user: str, title: str) -> Shown | None:
        for shown in reversed(self.forms.get(user, [])):
            if shown.form_title == title or shown.form_title.lower() == title.lower():
                return shown
        return None
