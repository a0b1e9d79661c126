"""The console's stand-in for a chat platform: channels, DMs, private replies and forms, kept in memory.

It outlives the bot: a script's `restart` rebuilds the bot on the same database while what people have
already seen stays on their screens, as it would in Slack or Discord.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.actions import Form, Message
from bot.markup import unmark


@dataclass
class Shown:
    """One message on someone's screen: in a channel (audience None = everyone) or private to some."""

    seq: int
    at: datetime
    place: str  # "#main", "DM bob", "DM bob+carol", "bob only", "bob form"
    channel: str  # the id an action in this place is sent from: "#main", "dm:bob+carol"
    audience: frozenset[str] | None
    message: Message | None
    form: Form | None = None
    ref: str | None = None
    lines: list[str] = field(default_factory=list)


class World:
    def __init__(self, write: Callable[[str], None] | None = None) -> None:
        self.shown: list[Shown] = []
        self.by_ref: dict[str, Shown] = {}
        self.write = write or (lambda line: None)
        self.people: set[str] = set()
        # Messages by the labels of their buttons (folded): a click looks only at those holding the
        # label, not at everything ever shown, which grew with every message of a long session.
        self.by_label: dict[str, list[Shown]] = {}

    def add(self, shown: Shown) -> Shown:
        self.shown.append(shown)
        if shown.ref:
            self.by_ref[shown.ref] = shown
        self.index_buttons(shown)
        for line in shown.lines:
            self.write(line)
        return shown

    def index_buttons(self, shown: Shown) -> None:
        if shown.message is not None:
            for label in {unmark(button.label).lower() for button in shown.message.buttons}:
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
                if shown.message is None or not self.can_see(user, shown):
                    continue
                for button in shown.message.buttons:
                    shown_label = unmark(button.label)  # as the person sees it
                    if shown_label == label if exact else shown_label.lower() == label.lower():
                        return shown, button.action_id
        return None

    def find_form(self, user: str, title: str) -> Shown | None:
        for shown in reversed(self.shown):
            if shown.form is not None and shown.audience == frozenset({user}):
                shown_title = unmark(shown.form.title)
                if shown_title == title or shown_title.lower() == title.lower():
                    return shown
        return None
