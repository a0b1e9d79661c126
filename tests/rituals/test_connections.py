"""The connection ledger as members see it: only their own, moved by command or button, in either language."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from bot import ledger
from bot.events import ButtonPressed, Caller
from bot.i18n import Catalog, placeholders
from bot.store.models import Connection, Member
from tests.support import Chat

CATALOG = Catalog.load()
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


async def table(chat: Chat) -> None:
    """alice hosts; bob met carol, carol met dan."""
    await chat.say("alice", '/tsunagari event start "Yorimichi" --tz Asia/Tokyo')
    for person in ("bob", "carol", "dan"):
        await chat.say(person, "/tsunagari join")
    await chat.say("alice", "/tsunagari connections add @bob @carol")
    await chat.say("alice", "/tsunagari connections add @carol @dan")


@pytest.mark.db
async def test_a_member_sees_only_their_own_connections(chat: Chat) -> None:
    await table(chat)
    lines = await chat.say("bob", "/tsunagari connections")
    assert all(line.startswith("[09:00] bob only | ") for line in lines)  # privately
    assert any("@carol: Link · met at Yorimichi · since 2026-01-15" in line for line in lines)
    assert not any("@dan" in line for line in lines)  # carol's other connection is not bob's business
    lines = await chat.say("erin", "/tsunagari connections")
    assert "No connections yet" in lines[0]


@pytest.mark.db
async def test_stage_names_are_accepted_in_english_and_japanese(chat: Chat) -> None:
    await table(chat)
    lines = await chat.say("bob", "/tsunagari stage @carol エンゲージメント")
    assert "you and @carol are at Engagement now (before: Link)" in lines[0]
    lines = await chat.say("bob", "/tsunagari stage @carol つながり")
    assert "at Connection now (before: Engagement)" in lines[0]
    lines = await chat.say("bob", "/tsunagari stage @carol Relationship")
    assert "at Relationship now" in lines[0]
    await chat.say("bob", "/tsunagari lang ja")
    lines = await chat.say("bob", "/tsunagari stage @carol link")
    assert "@carol さんとは今リンクです（以前: リレーションシップ）" in lines[0]
    lines = await chat.say("bob", "/tsunagari stage @carol soulmate")
    assert "`soulmate` という段階はありません" in lines[0]


@pytest.mark.db
async def test_nobody_moves_a_connection_that_is_not_theirs(chat: Chat) -> None:
    await table(chat)
    lines = await chat.say("bob", "/tsunagari stage @dan engagement")
    assert "You and @dan have no connection recorded yet." in lines[0]
    async with chat.app.store.session() as session:
        bob, carol = [
            (await session.exec(select(Member).where(Member.user_id == name))).one()
            for name in ("bob", "carol")
        ]
        row = await ledger.between(session, tenant="console", a=bob.id, b=carol.id)
    # dan presses a stage button for bob and carol's connection (an id he guessed, or a forwarded message)
    press = ButtonPressed(
        Caller("console", "dan", "dm:dan"), f"connections:set:{row.id}:relationship", "guess-1"
    )
    actions = await chat.app.core.handle(press)
    assert "That button belongs to something that has finished" in actions[0].message.text
    async with chat.app.store.session() as session:
        assert (await session.get(Connection, row.id)).stage == "link"


@pytest.mark.db
async def test_only_a_facilitator_notes_who_met(chat: Chat) -> None:
    await table(chat)
    lines = await chat.say("bob", "/tsunagari connections add @carol @dan")
    assert "Only a facilitator of this event can run `connections add`" in lines[0]
    lines = await chat.say("alice", "/tsunagari connections add @bob")
    assert "Name at least two people who met." in lines[0]


def test_every_nudge_and_connection_sentence_exists_in_both_languages() -> None:
    ours = {k for k in CATALOG.keys("en") if k.startswith(("nudges.", "connections."))}
    assert ours == {k for k in CATALOG.keys("ja") if k.startswith(("nudges.", "connections."))}
    for key in ours:
        english, japanese = CATALOG.raw("en", key), CATALOG.raw("ja", key)
        assert type(english) is type(japanese), key
        if isinstance(english, str):
            assert placeholders(english) == placeholders(japanese), key
            if re.search(r"[A-Za-z]{3,}", re.sub(r"`[^`]*`|\{[^}]*\}", "", english)):
                assert JAPANESE.search(japanese), key
