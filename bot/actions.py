"""Outbound actions and the platform-neutral message model the core answers with.

Text uses a small markup that every adapter translates (see bot/markup.py): `**bold**`, `<@user>` for a
mention and `<t:UNIX:t>` / `<t:UNIX:R>` for a time shown in the reader's own zone. Nothing here knows a
platform's limits: adapters split or truncate what their platform cannot carry.

A bilingual room's words (a `Multi`, bot/i18n.py) are laid out here, once for every ritual: a message's
text reads line by line in each language, while a label or a title is put on one line ("次へ / Next")
within the shortest limit of the platforms we serve (a Slack button label: 75 characters).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.i18n import inline

ButtonStyle = Literal["primary", "danger"] | None

# The shortest limit on each kind of label among the platforms (Slack's, except where Discord's is less).
LABEL_MAX = 75  # a button (Slack 75, Discord 80), an option of a select (Slack 75, Discord 100)
TITLE_MAX = 150  # a message's title (a Slack header block 150, a Discord embed title 256)
FIELD_LABEL_MAX = 256  # a field's name (a Discord embed field 256)
FORM_TITLE_MAX = 24  # a form's title (a Slack modal 24, a Discord modal 45)
INPUT_LABEL_MAX = 45  # an input's label (a Discord modal 45, Slack 2000)


def _lay_out(item: object, limits: dict[str, int | None]) -> None:
    """Put a bilingual label or title on one line within its limit (frozen dataclasses: set once)."""
    for name, limit in limits.items():
        object.__setattr__(item, name, inline(getattr(item, name), limit))


InputKind = Literal["text", "paragraph", "select"]


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action_id: str  # namespaced, at most 100 characters: "<ritual>:<verb>:<record id>[:<more>]"
    style: ButtonStyle = None

    def __post_init__(self) -> None:
        _lay_out(self, {"label": LABEL_MAX})


@dataclass(frozen=True, slots=True)
class Field:
    label: str
    value: str

    def __post_init__(self) -> None:
        _lay_out(self, {"label": FIELD_LABEL_MAX})


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str

    def __post_init__(self) -> None:
        _lay_out(self, {"label": LABEL_MAX})


@dataclass(frozen=True, slots=True)
class Input:
    name: str
    label: str
    kind: InputKind = "text"
    choices: tuple[Choice, ...] = ()
    required: bool = True
    max_length: int | None = None
    initial: str | None = None
    placeholder: str | None = None

    def __post_init__(self) -> None:
        _lay_out(self, {"label": INPUT_LABEL_MAX, "placeholder": 100})


MAX_FORM_INPUTS = 5  # the portable limit: a Discord modal holds five inputs (Slack allows more)


@dataclass(frozen=True, slots=True)
class Form:
    form_id: str  # namespaced like an action id: "barriers:share:7"
    title: str  # short: Slack allows 24 characters, Discord 45
    inputs: tuple[Input, ...]
    submit_label: str

    def __post_init__(self) -> None:
        _lay_out(self, {"title": FORM_TITLE_MAX, "submit_label": LABEL_MAX})
        if not 1 <= len(self.inputs) <= MAX_FORM_INPUTS:
            raise ValueError(f"a form holds 1 to {MAX_FORM_INPUTS} inputs, not {len(self.inputs)}")


@dataclass(frozen=True, slots=True)
class Message:
    text: str
    title: str | None = None
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()

    def __post_init__(self) -> None:
        _lay_out(self, {"title": TITLE_MAX})


@dataclass(frozen=True, slots=True)
class Post:
    """A message everyone in the channel sees. `ref` names it so that it can be updated later."""

    channel: str
    message: Message
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class DirectMessage:
    """A private message: one user is a DM, several are a group DM (or a private thread beside `near`).

    `near` is the event's channel: where a platform makes private threads, and where a refused DM falls
    back to a mention.
    """

    users: tuple[str, ...]
    message: Message
    ref: str | None = None
    near: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """A message only `user` sees (ephemeral), in `channel` when there is one."""

    user: str
    channel: str | None
    message: Message


@dataclass(frozen=True, slots=True)
class Update:
    """Replace the content of a message posted earlier with the same `ref`."""

    ref: str
    message: Message


@dataclass(frozen=True, slots=True)
class OpenForm:
    """Open a form for `user`; only possible in answer to that user's own button press or command."""

    user: str
    form: Form


@dataclass(frozen=True, slots=True)
class Floor:
    """The floor of the voice room tied to `channel` now belongs to `speaker`; None: the round is over.

    Sent only for rounds started with `--mute-others`. An adapter that can mute people in a voice room
    mutes everyone else there (and later unmutes exactly those it muted); one that cannot ignores it.
    `round_ref` names the round ("turns:42") so the adapter can keep its own record of whom it muted.
    """

    channel: str
    round_ref: str
    speaker: str | None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file to hand over as the platform does (Slack files upload, a Discord attachment, a file on disk
    in the console). `title` says what it shows, for whoever cannot see the picture."""

    filename: str
    data: bytes = field(repr=False)
    title: str


@dataclass(frozen=True, slots=True)
class Upload:
    """Files for `users` privately (a DM; a group DM for several), with a line of text above them."""

    users: tuple[str, ...]
    files: tuple[Attachment, ...]
    text: str = ""


@dataclass(frozen=True, slots=True)
class Forget:
    """`user` asked to be forgotten (forget-me), and the core has deleted what it kept about them.

    An adapter drops what it keeps that names them, and undoes what it did to them that would outlast
    them (Discord lifts the server mutes it made for a round still running). Others ignore it.
    """

    user: str


Action = Post | DirectMessage | Reply | Update | OpenForm | Floor | Upload | Forget

DeliveryStatus = Literal["ok", "dm_refused", "unknown_user", "failed"]


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of one action, as an adapter reports it back (nudges record refusals from this)."""

    action: Action
    status: DeliveryStatus = "ok"
    detail: str | None = None
