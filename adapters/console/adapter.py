"""The console adapter: the Outbox that shows core actions in the console World, and the translator of
typed lines into core events."""

from __future__ import annotations

import itertools
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from adapters.console.render import form_lines, message_lines, render_text, stamp
from adapters.console.world import Shown, World
from bot.actions import (
    Action,
    Delivery,
    DirectMessage,
    Floor,
    Message,
    OpenForm,
    Post,
    Reply,
    Update,
    Upload,
)
from bot.clock import Clock
from bot.events import ButtonPressed, Caller, CommandInvoked, FormSubmitted, InboundEvent
from bot.i18n import Catalog

TENANT = "console"
# A request id must be unique for the database's life, not the process's: the core drops an id it has
# seen before, so ids that restart at 1 would silence the first commands after every restart.
_PROCESS = uuid.uuid4().hex[:12]
_request_ids = itertools.count(1)


def _request_id() -> str:
    return f"console-{_PROCESS}-{next(_request_ids)}"


def dm_place(users: Sequence[str]) -> tuple[str, str]:
    names = sorted(set(users))
    return "DM " + "+".join(names), "dm:" + "+".join(names)


class ConsoleAdapter:
    def __init__(self, world: World, clock: Clock, zone: ZoneInfo, catalog: Catalog) -> None:
        self.world, self.clock, self.zone, self.catalog = world, clock, zone, catalog
        self.refused_dms: set[str] = set()
        self.locales: dict[str, str] = {}
        self.files_dir: Path | None = None  # where uploads are written, made at the first one

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        # The files were for this session (a script, an interactive console): nothing is left in /tmp.
        if self.files_dir is not None:
            shutil.rmtree(self.files_dir, ignore_errors=True)
            self.files_dir = None

    # -- inbound ------------------------------------------------------------------------------------------
    def caller(self, user: str, channel: str) -> Caller:
        self.world.people.add(user)
        return Caller(TENANT, user, channel, self.locales.get(user), user)

    def command(self, user: str, channel: str, text: str) -> CommandInvoked:
        text = text.strip()
        if text.startswith("/tsunagari"):
            text = text[len("/tsunagari") :]
        return CommandInvoked(self.caller(user, channel), text.strip(), _request_id())

    def click(self, user: str, label: str) -> ButtonPressed | None:
        found = self.world.find_button(user, label)
        if found is None:
            return None
        shown, action_id = found
        return ButtonPressed(self.caller(user, shown.channel), action_id, _request_id())

    def submit(self, user: str, title: str, values: dict[str, str]) -> FormSubmitted | None:
        shown = self.world.find_form(user, title)
        if shown is None:
            return None
        fields = tuple(item.name for item in shown.form.inputs)
        return FormSubmitted(
            self.caller(user, shown.channel), shown.form.form_id, values, _request_id(), fields=fields
        )

    # -- outbound -----------------------------------------------------------------------------------------
    async def send(
        self, tenant: str, actions: Sequence[Action], *, origin: InboundEvent | None = None
    ) -> list[Delivery]:
        return [self._show(action, origin) for action in actions]

    def _show(self, action: Action, origin: InboundEvent | None) -> Delivery:
        now = self.clock.now()
        seq = len(self.world.shown)
        if isinstance(action, Post):
            self._message(seq, action.channel, action.channel, None, action.message, action.ref)
        elif isinstance(action, DirectMessage):
            refused = [user for user in action.users if user in self.refused_dms]
            if refused:
                if action.near:
                    notice = Message(
                        self.catalog.text(
                            None,
                            "console.dm_refused",
                            users=self.catalog.people(None, [f"<@{u}>" for u in refused]),
                        )
                    )
                    self._message(seq, action.near, action.near, None, notice, None)
                return Delivery(action, "dm_refused")
            place, channel = dm_place(action.users)
            self._message(seq, place, channel, frozenset(action.users), action.message, action.ref)
        elif isinstance(action, Reply):
            channel = action.channel or dm_place([action.user])[1]
            self._message(seq, f"{action.user} only", channel, frozenset({action.user}), action.message, None)
        elif isinstance(action, Update):
            earlier = self.world.by_ref.get(action.ref)
            if earlier is None:
                return Delivery(action, "failed", "unknown ref")
            self.world.replace_message(earlier, action.message)
            lines = stamp(
                now, self.zone, earlier.place + " (updated)", message_lines(action.message, self.zone)
            )
            self.world.add(
                Shown(seq, now, earlier.place, earlier.channel, earlier.audience, None, lines=lines)
            )
        elif isinstance(action, OpenForm):
            channel = (
                origin.caller.channel if origin and origin.caller.channel else dm_place([action.user])[1]
            )
            place = f"{action.user} form"
            lines = stamp(now, self.zone, place, form_lines(action.form, self.zone))
            self.world.add(
                Shown(seq, now, place, channel, frozenset({action.user}), None, action.form, lines=lines)
            )
        elif isinstance(action, Floor):
            # No voice room here: one short line, so a script can check who would have the floor.
            if action.speaker is None:
                words = self.catalog.text(None, "console.floor_over")
            else:
                words = self.catalog.text(None, "console.floor", speaker=f"<@{action.speaker}>")
            lines = stamp(now, self.zone, action.channel, [render_text(words, self.zone)])
            self.world.add(Shown(seq, now, action.channel, action.channel, None, None, lines=lines))
        elif isinstance(action, Upload):
            return self._upload(seq, action)
        return Delivery(action)

    def _upload(self, seq: int, action: Upload) -> Delivery:
        """A terminal cannot show a picture: the files go to a folder of their own, and their paths are
        printed where the person would have seen them."""
        if any(user in self.refused_dms for user in action.users):
            return Delivery(action, "dm_refused")
        if self.files_dir is None:
            self.files_dir = Path(tempfile.mkdtemp(prefix="tsunagari-files-"))
        folder = self.files_dir / f"{seq:05d}"
        folder.mkdir()
        place, channel = dm_place(action.users)
        words = [render_text(action.text, self.zone)] if action.text else []
        for attachment in action.files:
            path = folder / Path(attachment.filename).name  # never a path the sender chose
            path.write_bytes(attachment.data)
            words.append(self.catalog.text(None, "console.file", title=attachment.title, path=str(path)))
        now = self.clock.now()
        lines = stamp(now, self.zone, place, words)
        self.world.add(Shown(seq, now, place, channel, frozenset(action.users), None, lines=lines))
        return Delivery(action)

    def _message(
        self, seq: int, place: str, channel: str, audience, message: Message, ref: str | None
    ) -> None:
        now = self.clock.now()
        lines = stamp(now, self.zone, place, message_lines(message, self.zone))
        self.world.add(Shown(seq, now, place, channel, audience, message, ref=ref, lines=lines))
