"""How a board ends: closed by hand or with its event, and what forgetting a person removes from it;
plus its words, which exist in English and Japanese with the same keys."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlmodel import select

from bot.i18n import Catalog, placeholders
from bot.rituals.barriers.cards import CATEGORIES
from bot.rituals.barriers.models import BarrierBoard, BarrierCard, BarrierVote
from tests.rituals.barriers_support import act
from tests.support import Chat

CATALOG = Catalog.load()
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
KEYS = sorted(key for key in CATALOG.keys("en") if key.startswith("barriers."))


async def _rows(chat: Chat, model: type) -> list:
    async with chat.app.store.session() as session:
        return list((await session.exec(select(model))).all())


def test_every_barrier_sentence_exists_in_both_languages_with_the_same_placeholders() -> None:
    assert KEYS
    assert sorted(key for key in CATALOG.keys("ja") if key.startswith("barriers.")) == KEYS
    for key in KEYS:
        english, japanese = CATALOG.raw("en", key), CATALOG.raw("ja", key)
        assert placeholders(english) == placeholders(japanese), key
        if re.search(r"[A-Za-z]{3,}", re.sub(r"`[^`]*`|\{[^}]*\}", "", english)):
            assert JAPANESE.search(japanese), f"{key} looks untranslated"
    for category in CATEGORIES:
        assert f"barriers.category.{category}" in KEYS and f"barriers.category_hint.{category}" in KEYS
    for lang in ("en", "ja"):
        labels = [CATALOG.raw(lang, f"barriers.category.{c}") for c in CATEGORIES]
        assert len(set(labels)) == len(labels)
        assert len(CATALOG.raw(lang, "barriers.form.title")) <= 24, "Slack's limit for a form title"


@pytest.mark.db
async def test_ending_the_event_closes_its_board_and_destroys_the_key(chat: Chat) -> None:
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    await chat.say("bob", "join")
    await chat.say("alice", "barriers open")
    await chat.say("bob", 'barriers share "never read"')
    asked = await chat.say("alice", "event end")
    assert any("the barrier board closes without a reveal" in line for line in asked)
    [board] = await _rows(chat, BarrierBoard)
    assert board.status == "open", "nothing closes before the facilitator confirms"
    seen = await chat.click("alice", "End the event")
    assert any("closed before the reveal, so nobody read its cards (1)" in line for line in seen)
    [board] = await _rows(chat, BarrierBoard)
    assert board.status == "closed" and board.secret is None
    assert await _rows(chat, BarrierCard) == []


@pytest.mark.db
async def test_forgetting_a_person_removes_their_unrevealed_cards_and_their_votes(chat: Chat) -> None:
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    for name in ("bob", "carol"):
        await chat.say(name, "join")
    await chat.say("alice", "barriers open --min 2")
    await chat.say("bob", 'barriers share "bob wrote this"')
    await chat.say("carol", 'barriers share "carol wrote this"')
    await chat.say("carol", "forget-me confirm")
    assert [card.text for card in await _rows(chat, BarrierCard)] == ["bob wrote this"]
    await chat.say("carol", "join")
    await chat.say("carol", 'barriers share "carol again"')
    await chat.wait(minutes=1)  # the board shows the count the reveal decides on
    await chat.say("alice", "barriers reveal")
    await chat.say("carol", "barriers metoo 1")
    await chat.say("bob", "barriers metoo 1")
    assert len(await _rows(chat, BarrierVote)) == 2
    await chat.say("carol", "forget-me confirm")
    assert len(await _rows(chat, BarrierVote)) == 1, "only carol's vote goes; the card and bob's vote stay"
    seen = await chat.wait(minutes=1)
    assert any("Me too: 1" in line for line in seen)


@pytest.mark.db
async def test_export_is_for_facilitators_after_the_reveal_and_holds_words_categories_and_counts(
    chat: Chat,
) -> None:
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    await chat.say("bob", "join")
    await chat.say("alice", "barriers open --min 2")
    await chat.say("bob", 'barriers share "first worry" --category trust')
    await chat.say("bob", 'barriers share "second worry" --category trust')
    assert any("once they are revealed" in line for line in await chat.say("alice", "barriers export"))
    await chat.wait(minutes=1)  # the board shows the count the reveal decides on
    await chat.say("alice", "barriers reveal")
    await chat.say("bob", "barriers metoo 1")
    assert any("Only a facilitator" in line for line in await chat.say("bob", "barriers export"))
    await chat.say("alice", "barriers close")
    # A later board closed unread does not hide the earlier revealed one from the export.
    await chat.say("alice", "barriers open")
    await chat.say("alice", "barriers close")
    seen = await chat.say("alice", "barriers export")
    assert any("(me too: 1)" in line and "[Trust deficit]" in line for line in seen), seen
    assert sum("worry" in line for line in seen) == 2
    assert not any("bob" in line.split("| ", 1)[1] for line in seen)


@pytest.mark.db
async def test_eight_people_sharing_at_the_same_moment_each_get_their_card_in_once(chat: Chat) -> None:
    names = [f"person{i}" for i in range(8)]
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    for name in names:
        await chat.say(name, "join")
    await chat.say("alice", "barriers open")
    answers = await asyncio.gather(
        *(act(chat, name, name, f'barriers share "worry of {name}"') for name in names)
    )
    assert all(any("Your card is in" in line for line in seen) for seen in answers)
    assert len(await _rows(chat, BarrierCard)) == 8
    seen = await chat.wait(minutes=1)
    assert any("Cards in: 8" in line for line in seen)


@pytest.mark.db
async def test_the_board_and_its_buttons_still_work_after_a_restart(chat: Chat) -> None:
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    await chat.say("bob", "join")
    await chat.say("alice", "barriers open --min 2")
    await chat.say("bob", 'barriers share "before the restart"')
    await chat.restart()
    await chat.click("bob", "Share anonymously")
    seen = await chat.submit("bob", "Share anonymously", text="after the restart", category="taboo")
    assert any("Your card is in (Taboo and stigma)" in line for line in seen)
    seen = await chat.click("bob", "My cards")
    assert sum("the restart" in line for line in seen) == 2, "the secret in the board row still knows bob"
    await chat.wait(minutes=1)  # the board shows the count the reveal decides on
    await chat.say("alice", "barriers reveal")
    await chat.restart()
    assert any("Counted" in line for line in await chat.click("bob", "Me too #1"))
    assert any("already" in line for line in await chat.click("bob", "Me too #1"))


@pytest.mark.db
async def test_the_tables_are_rewritten_once_at_the_close_not_at_the_reveal(chat: Chat) -> None:
    """PostgreSQL's VACUUM FULL locks the barrier tables of every event while it runs, so it is done once,
    when the board closes and its secret goes; the reveal (the busiest moment of other boards' "me too")
    does not run it. SQLite truncates its write-ahead log at both, which locks nobody out."""
    from sqlalchemy import event as sa_event

    sent: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if "VACUUM" in statement.upper() or "WAL_CHECKPOINT" in statement.upper():
            sent.append(statement.split()[0].upper())

    sa_event.listen(chat.app.store.engine.sync_engine, "before_cursor_execute", seen)
    try:
        await chat.say("alice", 'event start "Yorimichi" --lang en')
        for name in ("bob", "carol", "dave"):
            await chat.say(name, "join")
        await chat.say("alice", "barriers open --min 3")
        for name in ("bob", "carol", "dave"):
            await chat.say(name, f'barriers share "what holds {name} back"')
        await chat.wait(minutes=1)
        revealed = await chat.say("alice", "barriers reveal")
        assert any("Revealed" in line for line in revealed), revealed
        await chat.wait(minutes=2)
        at_reveal = list(sent)
        await chat.say("alice", "barriers close")
        await chat.wait(minutes=2)
        at_close = sent[len(at_reveal) :]
    finally:
        sa_event.remove(chat.app.store.engine.sync_engine, "before_cursor_execute", seen)
    if chat.app.store.is_sqlite:
        assert at_reveal == ["PRAGMA"] and at_close == ["PRAGMA"]
    else:
        assert at_reveal == [], "no table of any event is locked for a rewrite at the reveal"
        assert at_close.count("VACUUM") >= 3, "the board's three tables are rewritten after the close"
