"""What the board and the revealed cards look like: pure functions of the rows, in one language.

Nothing here shows who wrote a card or when: a card is its number, its words, its category and a count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.actions import Button, Choice, Form, Input, Message
from bot.markup import bold, user_text
from bot.rituals.barriers.cards import CATEGORIES, DEFAULT_CATEGORY, MAX_TEXT
from bot.rituals.barriers.models import BarrierBoard, BarrierCard

Words = Callable[..., str]  # t(key, **params) in one language

EXCERPT = 80


def board_ref(board: BarrierBoard) -> str:
    return f"barriers:board:{board.id}"


def category_ref(board: BarrierBoard, category: str) -> str:
    return f"barriers:cards:{board.id}:{category}"


def shown_prompt(board: BarrierBoard) -> str:
    """The board's question in bold, line by line: a bilingual room's default question is one line in
    each language, and bold does not reach across a line break on Slack."""
    return "\n".join(bold(user_text(line)) for line in board.prompt.split("\n") if line.strip())


def prompt_words(t: Words, board: BarrierBoard) -> str:
    """The question as a sentence's parameter: our own default in each language's words (a bilingual
    room's header then reads it once per language), else what the facilitator typed."""
    default = t("barriers.default_prompt")
    return default if board.prompt == str(default) else user_text(board.prompt)


def board_message(t: Words, board: BarrierBoard) -> Message:
    title = t("barriers.board.title")
    if board.status == "open":
        return Message(
            "\n\n".join(
                (
                    shown_prompt(board),
                    t("barriers.board.promise", min=board.min_cards),
                    t("barriers.board.count", count=board.shown_count),
                )
            ),
            title=title,
            buttons=(
                Button(t("barriers.share_button"), f"barriers:form:{board.id}", "primary"),
                Button(t("barriers.mine_button"), f"barriers:mine:{board.id}"),
            ),
        )
    if board.status == "revealed":
        return Message(
            shown_prompt(board) + "\n\n" + t("barriers.board.revealed", count=board.shown_count),
            title=title,
        )
    return Message(shown_prompt(board) + "\n\n" + t("barriers.board.closed"), title=title)


def share_form(t: Words, board: BarrierBoard, default_prompts: Sequence[str] = ()) -> Form:
    """The Share form asks the board's own question; a board opened without one (its prompt is the
    default in some language) asks the default's short form, in the reader's language."""
    choices = tuple(Choice(key, t(f"barriers.category.{key}")) for key in CATEGORIES)
    asked = t("barriers.form.text") if board.prompt in default_prompts else user_text(board.prompt)
    return Form(
        f"barriers:share:{board.id}",
        t("barriers.form.title"),
        (
            Input(
                "text",
                asked,
                "paragraph",
                max_length=MAX_TEXT,
                placeholder=t("barriers.form.placeholder"),
            ),
            Input(
                "category",
                t("barriers.form.category"),
                "select",
                choices=choices,
                required=False,
                initial=DEFAULT_CATEGORY,
            ),
        ),
        t("barriers.form.submit"),
    )


def grouped(cards: Sequence[BarrierCard]) -> list[tuple[str, list[BarrierCard]]]:
    """Categories in the seeds' order, each with its cards in the order given (the shuffled order)."""
    groups: list[tuple[str, list[BarrierCard]]] = []
    for key in CATEGORIES:
        members = [card for card in cards if card.category == key]
        if members:
            groups.append((key, members))
    return groups


def category_message(t: Words, category: str, cards: Sequence[BarrierCard], *, voting: bool) -> Message:
    """One category's revealed cards, by number; a "me too" button per card still shown while voting."""
    lines = [t(f"barriers.category_hint.{category}")]
    buttons = []
    for card in sorted(cards, key=lambda c: c.number or 0):
        if card.hidden:
            lines.append(t("barriers.reveal.hidden", number=card.number))
            continue
        lines.append(t("barriers.reveal.card", number=card.number, text=user_text(card.text)))
        lines.append("    " + t("barriers.reveal.metoo_count", count=card.metoo))
        if voting:
            buttons.append(
                Button(t("barriers.metoo_button", number=card.number), f"barriers:metoo:{card.id}")
            )
    title = t("barriers.reveal.category_title", label=t(f"barriers.category.{category}"), count=len(cards))
    return Message("\n".join(lines), title=title, buttons=tuple(buttons))


def excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…"


def mine_message(t: Words, cards: Sequence[BarrierCard]) -> Message:
    if not cards:
        return Message(t("barriers.mine.none"))
    lines = [t("barriers.mine.header")]
    buttons = []
    for index, card in enumerate(cards, start=1):
        category = t(f"barriers.category.{card.category}")
        lines.append(
            t("barriers.mine.line", index=index, excerpt=user_text(excerpt(card.text)), category=category)
        )
        buttons.append(
            Button(t("barriers.withdraw_button", index=index), f"barriers:withdraw:{card.id}", "danger")
        )
    return Message("\n".join(lines), buttons=tuple(buttons))


def export_message(t: Words, cards: Sequence[BarrierCard]) -> Message:
    shown = [card for card in sorted(cards, key=lambda c: c.number or 0) if not card.hidden]
    lines = [t("barriers.export.header", count=len(shown))]
    for card in shown:
        lines.append(
            t(
                "barriers.export.line",
                number=card.number,
                category=t(f"barriers.category.{card.category}"),
                metoo=card.metoo,
                text=user_text(card.text),
            )
        )
    return Message("\n".join(lines))


def words(catalog: Any, lang: str) -> Words:
    return lambda key, **params: catalog.text(lang, key, **params)
