"""The core's `Message` and `Form` -> Block Kit, built with slack_sdk's models so Slack's limits are checked.

Markup: `**bold**` -> `*bold*`, `<@U1>` stays a mention, `<t:UNIX:t>` / `<t:UNIX:R>` become Slack date
tokens that each reader sees in their own zone. Text Slack would treat as markup (`<!channel>`, `&`) is
escaped, and text people typed (bot/markup.py's user-text spans) is escaped whole: `<@U1>`, `<!here>`,
`<#C1>`, `<http…|…>` typed by someone show as typed. Every mrkdwn object is `verbatim`, so Slack does not
turn a bare URL or `@here` into a link or a ping. What is too long for one block or one message is split
across several, never refused, and never inside an escape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    OptionGroup,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from adapters.slack.translate import form_metadata
from bot.actions import Form, Input, Message
from bot.markup import BOLD, MENTION, TIME, neutral, render, unmark

MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
FIELDS_PER_SECTION = 10
HEADER_TEXT = 150
BUTTONS_PER_BLOCK = 25
BUTTON_TEXT = 75
MODAL_LABEL = 24
INPUT_LABEL = 2000
PLACEHOLDER = 150
INPUT_MAX = 3000
OPTIONS = 100
OPTION_TEXT = 75
FALLBACK_TEXT = 3000

ELLIPSIS = "…"
TOKEN = re.compile(r"<@[^<>\s|]+>|<t:-?\d+:[tR]>")


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """One chat message: the notification text and its blocks (slack_sdk models, validated on payload())."""

    text: str
    blocks: tuple[Block, ...]

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": [b.to_dict() for b in self.blocks]}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _utc_clock(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%H:%M UTC")


def _time_token(match: re.Match[str]) -> str:
    unix, style = int(match.group(1)), match.group(2)
    fallback = _utc_clock(unix)
    if style == "R":
        return f"<!date^{unix}^{{ago}}|{fallback}>"
    return f"<!date^{unix}^{{time}}|{fallback}>"


def _core_mrkdwn(text: str) -> str:
    out: list[str] = []
    last = 0
    for match in TOKEN.finditer(text):
        out.append(_escape(text[last : match.start()]))
        token = match.group(0)
        time = TIME.fullmatch(token)
        out.append(_time_token(time) if time else token)
        last = match.end()
    out.append(_escape(text[last:]))
    return BOLD.sub(lambda m: f"*{m.group(1)}*", "".join(out))


def mrkdwn(text: str) -> str:
    """The core's markup -> Slack mrkdwn. Anything that is not the core's own markup is escaped."""
    return render(text, _core_mrkdwn, _escape)


def plain(text: str, names: Mapping[str, str] | None = None) -> str:
    """The core's markup -> plain text (headers, buttons, modal labels): names for mentions, UTC clocks."""
    names = names or {}

    def core(part: str) -> str:
        part = MENTION.sub(lambda m: "@" + neutral(names.get(m.group(1), m.group(1))), part)
        part = TIME.sub(lambda m: _utc_clock(int(m.group(1))), part)
        return BOLD.sub(lambda m: m.group(1), part)

    return render(text, core, lambda span: span)


def mrkdwn_object(text: str) -> MarkdownTextObject:
    """verbatim: Slack shows the text as written, with no links or mentions of its own making."""
    return MarkdownTextObject(text=text, verbatim=True)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


_ATOM = re.compile(r"<[^<>]*>|\s+|[^\s<]+|<")


# Where to cut, best first: paragraphs, lines, then sentences (Japanese ones have no space after them).
SEPARATORS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\n\n"), "\n\n"),
    (re.compile(r"\n"), "\n"),
    (re.compile(r"(?<=[。！？])|(?<=[.!?] )"), ""),
)


def split(text: str, limit: int, level: int = 0) -> list[str]:
    """Cut mrkdwn into pieces of at most `limit` characters: at paragraphs, lines, sentences, then words.

    A `<...>` token (mention, date) is never cut; a single word longer than the limit is.
    """
    if len(text) <= limit:
        return [text] if text.strip() else []
    for i, (separator, joiner) in enumerate(SEPARATORS[level:], start=level):
        parts = separator.split(text)
        if len(parts) > 1:
            return _pack(parts, joiner, limit, i + 1)
    pieces: list[str] = []
    current = ""
    for atom in _ATOM.findall(text):
        while len(atom) > limit:  # one enormous word: cut it, but never inside an escape (`&lt;`)
            room = _entity_safe(atom, limit - len(current))
            pieces.append(current + atom[:room])
            current, atom = "", atom[room:]
        if len(current) + len(atom) > limit:
            pieces.append(current)
            current = atom.lstrip()
        else:
            current += atom
    pieces.append(current)
    return [p.strip() for p in pieces if p.strip()]


def _entity_safe(text: str, cut: int) -> int:
    """`cut`, moved back to the start of an `&amp;`/`&lt;`/`&gt;` it would fall inside."""
    start = text.rfind("&", max(0, cut - 4), cut)
    if start != -1 and ";" not in text[start:cut]:
        return start or cut  # an entity at the very start is kept whole in the next piece
    return cut


def _pack(parts: list[str], separator: str, limit: int, next_level: int) -> list[str]:
    pieces: list[str] = []
    current: str | None = None
    for part in parts:
        candidate = part if current is None else current + separator + part
        if len(candidate) <= limit:
            current = candidate
        elif len(part) > limit:  # too long on its own: cut finer, keeping what came before with its start
            pieces.extend(split(candidate, limit, next_level))
            current = None
        else:
            if current:
                pieces.append(current)
            current = part
    if current:
        pieces.append(current)
    return [p for p in pieces if p.strip()]


def _field_text(label: str, value: str) -> str:
    return f"*{_escape(plain(label))}*\n{mrkdwn(value)}"


def blocks_of(message: Message, names: Mapping[str, str] | None = None) -> list[Block]:
    """Every block a message needs, in order, before it is cut into messages of at most 50 blocks."""
    blocks: list[Block] = []
    if message.title:
        blocks.append(HeaderBlock(text=PlainTextObject(text=clip(plain(message.title, names), HEADER_TEXT))))
    blocks.extend(
        SectionBlock(text=mrkdwn_object(piece)) for piece in split(mrkdwn(message.text), SECTION_TEXT)
    )
    short: list[MarkdownTextObject] = []
    for f in message.fields:
        text = _field_text(f.label, f.value)
        if len(text) <= FIELD_TEXT:
            short.append(mrkdwn_object(text))
        else:  # a long field becomes sections of its own rather than being cut short
            blocks.extend(SectionBlock(text=mrkdwn_object(piece)) for piece in split(text, SECTION_TEXT))
    for i in range(0, len(short), FIELDS_PER_SECTION):
        blocks.append(SectionBlock(fields=short[i : i + FIELDS_PER_SECTION]))
    for i in range(0, len(message.buttons), BUTTONS_PER_BLOCK):
        row = message.buttons[i : i + BUTTONS_PER_BLOCK]
        blocks.append(
            ActionsBlock(
                block_id=f"buttons:{i // BUTTONS_PER_BLOCK}",
                elements=[
                    ButtonElement(
                        text=PlainTextObject(text=clip(plain(b.label, names), BUTTON_TEXT)),
                        action_id=b.action_id,
                        value=b.action_id,
                        style=b.style,
                    )
                    for b in row
                ],
            )
        )
    if not blocks:
        blocks.append(SectionBlock(text=mrkdwn_object(" ")))
    return blocks


def _fallback(blocks: tuple[Block, ...]) -> str:
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, HeaderBlock | SectionBlock) and block.text is not None:
            parts.append(block.text.text)
        if isinstance(block, SectionBlock) and block.fields:
            parts.extend(f.text for f in block.fields)
    text = "\n".join(parts)
    if len(text) > FALLBACK_TEXT:  # cut like a clip, but never inside an escape (`&lt;`)
        text = text[: _entity_safe(text, FALLBACK_TEXT - 1)] + ELLIPSIS
    return text or " "


def render_message(message: Message, names: Mapping[str, str] | None = None) -> list[SlackMessage]:
    """A core message -> one Slack message, or several when it needs more than 50 blocks."""
    blocks = blocks_of(message, names)
    out: list[SlackMessage] = []
    for i in range(0, len(blocks), MESSAGE_BLOCKS):
        chunk = tuple(blocks[i : i + MESSAGE_BLOCKS])
        out.append(SlackMessage(text=_fallback(chunk), blocks=chunk))
    return out


def _element(field: Input, names: Mapping[str, str] | None) -> PlainTextInputElement | StaticSelectElement:
    placeholder = (
        PlainTextObject(text=clip(plain(field.placeholder, names), PLACEHOLDER))
        if field.placeholder
        else None
    )
    if field.kind == "select":
        options = [
            Option(value=c.value, text=clip(plain(c.label, names), OPTION_TEXT)) for c in field.choices
        ]
        initial = next((o for o in options if o.value == field.initial), None)
        if len(options) <= OPTIONS:
            return StaticSelectElement(
                action_id=field.name, options=options, initial_option=initial, placeholder=placeholder
            )
        groups = [
            OptionGroup(label=f"{i + 1}–{min(i + OPTIONS, len(options))}", options=options[i : i + OPTIONS])
            for i in range(0, len(options), OPTIONS)
        ]
        return StaticSelectElement(
            action_id=field.name, option_groups=groups, initial_option=initial, placeholder=placeholder
        )
    return PlainTextInputElement(
        action_id=field.name,
        multiline=field.kind == "paragraph",
        max_length=min(field.max_length or INPUT_MAX, INPUT_MAX),
        initial_value=unmark(field.initial) if field.initial else None,
        placeholder=placeholder,
    )


def render_form(
    form: Form, *, close_label: str, channel: str | None = None, names: Mapping[str, str] | None = None
) -> View:
    """A core form -> a modal whose callback_id is the form id and whose blocks are named by the inputs."""
    blocks = [
        InputBlock(
            block_id=field.name,
            label=PlainTextObject(text=clip(plain(field.label, names), INPUT_LABEL)),
            element=_element(field, names),
            optional=not field.required,
        )
        for field in form.inputs[:MODAL_BLOCKS]
    ]
    return View(
        type="modal",
        callback_id=form.form_id,
        title=PlainTextObject(text=clip(plain(form.title, names), MODAL_LABEL)),
        submit=PlainTextObject(text=clip(plain(form.submit_label, names), MODAL_LABEL)),
        close=PlainTextObject(text=clip(close_label, MODAL_LABEL)),
        private_metadata=form_metadata(channel),
        blocks=blocks,
    )
