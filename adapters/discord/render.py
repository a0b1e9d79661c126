"""Core messages and forms as Discord shapes, within Discord's limits, as plain data.

The core's markup is Discord's own (`**bold**`, `<@id>`, `<t:UNIX:t>`, `<t:UNIX:R>`), so the core's text
passes through. Text people typed (bot/markup.py's user-text spans) is backslash-escaped: no markdown, no
masked or bare link (`https\\://`), no `<@…>`, `<#…>`, `<t:…>`, `@everyone` or `@here`; and each message
allows pings only for the mentions the bot itself wrote. What changes besides is size. Text over 2,000 characters is split into several messages (never inside a
mention or a timestamp, and bold is closed and reopened around a cut); fields go into embeds of at most
25; buttons into rows of 5, 25 to a message. adapters/discord/views.py turns these into discord.py objects.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from adapters.discord import custom_ids
from bot.actions import Form, Message
from bot.markup import MENTION, core_part, neutral, render, unmark

log = logging.getLogger(__name__)

CONTENT_MAX = 2000
EMBED_TITLE_MAX = 256
EMBED_TOTAL_MAX = 6000
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
BUTTON_LABEL_MAX = 80
BUTTONS_PER_ROW = 5
ROWS_MAX = 5
MODAL_TITLE_MAX = 45
MODAL_INPUTS_MAX = 5
INPUT_LABEL_MAX = 45
PLACEHOLDER_MAX = 100
INPUT_VALUE_MAX = 4000
SELECT_OPTIONS_MAX = 25
SELECT_OPTION_MAX = 100

_TOKEN = re.compile(r"<(?:@|t:)[^<>\s]*>")
# What Discord reads as markup in text: emphasis, code, spoilers, quotes, masked links, mentions and
# timestamps (`<…>`), `@everyone`/`@here`; `#` and `-` only open a heading, subtext or list at a line's
# start; a `:` is escaped only where it makes a URL (`https://`), which is what Discord links.
_SPECIAL = re.compile(r"[\\*_~`|<>\[\]@]|:(?=//)|(?:^|(?<=\n))[ \t]*[#\-+]")


def escape(text: str) -> str:
    """Text a person typed, as Discord markdown that shows it exactly as typed and does nothing else."""
    return _SPECIAL.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], text)


def text_of(text: str) -> str:
    """The core's text with its user-text spans escaped."""
    return render(text, lambda core: core, escape)


def flat(text: str) -> str:
    """For what Discord shows as plain text (button labels, modal titles and inputs): marks dropped."""
    return neutral(unmark(text))


def core_mentions(*texts: str | None) -> tuple[str, ...]:
    """The people the bot itself mentions (never someone named inside user text): the only pings."""
    found: list[str] = []
    for text in texts:
        for user in MENTION.findall(core_part(text or "")):
            if user not in found:
                found.append(user)
    return tuple(found)


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    label: str
    custom_id: str
    style: str  # "primary", "danger" or "secondary"


@dataclass(frozen=True, slots=True)
class EmbedSpec:
    title: str | None
    fields: tuple[tuple[str, str], ...] = ()

    def size(self) -> int:
        return len(self.title or "") + sum(len(n) + len(v) for n, v in self.fields)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Discord message: content, at most one embed, and rows of buttons."""

    content: str = ""
    embed: EmbedSpec | None = None
    rows: tuple[tuple[ButtonSpec, ...], ...] = ()
    mentions: tuple[str, ...] = ()  # user ids the bot mentions on purpose: allowed to ping

    def buttons(self) -> list[ButtonSpec]:
        return [button for row in self.rows for button in row]


@dataclass(frozen=True, slots=True)
class InputSpec:
    custom_id: str
    label: str
    kind: str  # "text", "paragraph" or "select"
    required: bool
    max_length: int | None = None
    initial: str | None = None
    placeholder: str | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)


@dataclass(frozen=True, slots=True)
class ModalSpec:
    custom_id: str
    title: str
    inputs: tuple[InputSpec, ...]


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, an ellipsis showing where."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _safe_cut(text: str, limit: int) -> int:
    """Where to cut `text` at or before `limit`: a paragraph, a line, a space; never inside a token."""
    window = text[:limit]
    cut = -1
    for separator in ("\n\n", "\n", " "):
        at = window.rfind(separator)
        if at > limit // 2:
            cut = at
            break
    if cut <= 0:
        cut = limit
    for token in _TOKEN.finditer(text):
        if token.start() < cut < token.end():
            cut = token.start() if token.start() > 0 else token.end()
    # Never between a backslash and the character it escapes: the next piece would start unescaped.
    run = len(text[:cut]) - len(text[:cut].rstrip("\\"))
    if run % 2 and cut > 1:
        cut -= 1
    return cut


def split_text(text: str, limit: int = CONTENT_MAX) -> list[str]:
    """Pieces of at most `limit` characters; bold cut in two is closed and reopened so both halves read."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = _safe_cut(rest, limit - 2)  # room to close a bold span
        piece, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if piece.count("**") % 2:
            piece += "**"
            rest = "**" + rest
        pieces.append(piece)
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def _embeds(message: Message) -> list[EmbedSpec]:
    if message.title is None and not message.fields:
        return []
    title = clip(text_of(message.title), EMBED_TITLE_MAX) if message.title else None
    fields = [
        (clip(text_of(f.label), FIELD_NAME_MAX), clip(text_of(f.value) or "-", FIELD_VALUE_MAX))
        for f in message.fields
    ]
    embeds: list[EmbedSpec] = []
    current: list[tuple[str, str]] = []
    size = len(title or "")
    for field in fields:
        grown = size + len(field[0]) + len(field[1])
        if current and (len(current) == FIELDS_MAX or grown > EMBED_TOTAL_MAX):
            embeds.append(EmbedSpec(title if not embeds else None, tuple(current)))
            current, size = [], 0
            grown = len(field[0]) + len(field[1])
        current.append(field)
        size = grown
    embeds.append(EmbedSpec(title if not embeds else None, tuple(current)))
    return embeds


_STYLES = {"primary": "primary", "danger": "danger", None: "secondary"}


def _rows(message: Message, guild_id: int | str | None) -> list[tuple[tuple[ButtonSpec, ...], ...]]:
    """Buttons in rows of 5, grouped 25 to a message."""
    specs = [
        ButtonSpec(
            clip(flat(b.label), BUTTON_LABEL_MAX), custom_ids.wrap(b.action_id, guild_id), _STYLES[b.style]
        )
        for b in message.buttons
    ]
    per_message = BUTTONS_PER_ROW * ROWS_MAX
    groups = []
    for start in range(0, len(specs), per_message):
        chunk = specs[start : start + per_message]
        groups.append(
            tuple(tuple(chunk[i : i + BUTTONS_PER_ROW]) for i in range(0, len(chunk), BUTTONS_PER_ROW))
        )
    return groups


def render_message(message: Message, *, guild_id: int | str | None = None) -> list[Outgoing]:
    """The Discord messages that carry `message`, in order; the buttons come with the last.

    `guild_id` is given for messages sent outside the guild (DMs), so their buttons carry it.
    """
    texts = split_text(text_of(message.text)) if message.text else []
    embeds = _embeds(message)
    rows = _rows(message, guild_id)
    count = max(len(texts), len(embeds), len(rows), 1)
    # Text first, then embeds beside the last pieces of text, then buttons at the end.
    texts = texts + [""] * (count - len(texts))
    embeds_at = [None] * (count - len(embeds)) + embeds
    rows_at = [()] * (count - len(rows)) + rows
    mentions = core_mentions(message.text, message.title, *(f.value for f in message.fields))
    return [
        Outgoing(content=texts[i], embed=embeds_at[i], rows=rows_at[i], mentions=mentions)
        for i in range(count)
        if texts[i] or embeds_at[i] or rows_at[i]
    ] or [Outgoing(content="\u200b")]


def render_form(form: Form, *, guild_id: int | str | None = None) -> ModalSpec:
    """A modal: at most 5 inputs (more is a core bug: logged, and the rest left off), title of 45."""
    if len(form.inputs) > MODAL_INPUTS_MAX:
        log.error(
            "form %s has %d inputs; Discord modals hold %d", form.form_id, len(form.inputs), MODAL_INPUTS_MAX
        )
    inputs = tuple(
        InputSpec(
            custom_id=i.name,
            label=clip(flat(i.label), INPUT_LABEL_MAX),
            kind=i.kind,
            required=i.required,
            max_length=min(i.max_length, INPUT_VALUE_MAX) if i.max_length else None,
            initial=unmark(i.initial)[:INPUT_VALUE_MAX] if i.initial else None,
            placeholder=clip(flat(i.placeholder), PLACEHOLDER_MAX) if i.placeholder else None,
            choices=tuple(
                (c.value[:SELECT_OPTION_MAX], clip(flat(c.label), SELECT_OPTION_MAX))
                for c in i.choices[:SELECT_OPTIONS_MAX]
            ),
        )
        for i in form.inputs[:MODAL_INPUTS_MAX]
    )
    return ModalSpec(custom_ids.wrap(form.form_id, guild_id), clip(flat(form.title), MODAL_TITLE_MAX), inputs)
