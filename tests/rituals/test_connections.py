"""The connection ledger as members see it: only their own, moved by command or button, in either language."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlmodel import select

from bot import ledger
from bot.events import ButtonPressed, Caller
from bot.i18n import Catalog, placeholders
from bot.store.history import ConnectionStageChange
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


async def _bob_and_carol(chat: Chat) -> Connection:
    async with chat.app.store.session() as session:
        ids = {
            m.user_id: m.id
            for m in (await session.exec(select(Member).where(Member.tenant_id == "console"))).all()
        }
        return await ledger.between(session, tenant="console", a=ids["bob"], b=ids["carol"])


@pytest.mark.db
async def test_each_stage_move_is_remembered_by_the_day_it_happened(chat: Chat) -> None:
    """The ledger keeps only today's stage; the history says where the pair stood on any earlier day."""
    await table(chat)
    await chat.say("bob", "/tsunagari stage @carol connection")  # 15 January
    await chat.wait(days=2)
    await chat.say("carol", "/tsunagari stage @bob engagement")  # 17 January
    await chat.say("carol", "/tsunagari stage @bob engagement")  # no move: nothing new to remember
    await chat.say("carol", "/tsunagari stage @bob relationship")  # the same day: the last one counts
    row = await _bob_and_carol(chat)
    async with chat.app.store.session() as session:
        on = [
            (await ledger.stages_on(session, [row], date(2026, 1, day)))[row.id]
            for day in (14, 15, 16, 17, 30)
        ]
        moves = (
            await session.exec(
                select(ConnectionStageChange).where(ConnectionStageChange.connection_id == row.id)
            )
        ).all()
    assert on == ["link", "connection", "connection", "relationship", "relationship"]
    assert [(m.stage, m.day) for m in moves] == [
        ("connection", date(2026, 1, 15)),
        ("engagement", date(2026, 1, 17)),
        ("relationship", date(2026, 1, 17)),
    ]
    assert {m.event_id for m in moves} == {row.event_id}


@pytest.mark.db
async def test_forget_me_takes_a_connections_history_with_it(chat: Chat) -> None:
    await table(chat)
    await chat.say("bob", "/tsunagari stage @carol engagement")
    await chat.say("bob", "/tsunagari forget-me confirm")
    async with chat.app.store.session() as session:
        assert (await session.exec(select(ConnectionStageChange))).all() == []


async def _links(chat: Chat) -> list[Connection]:
    async with chat.app.store.session() as session:
        return list((await session.exec(select(Connection))).all())


@pytest.mark.db
async def test_people_who_never_joined_cannot_be_linked_so_nobody_is_spammed_in_an_events_name(
    chat: Chat,
) -> None:
    """The spam path of issue 13: anyone starts an event with a name that reads like an order, links
    people who never joined, ends it. The facilitator is told who is not a participant, in their own
    language; nothing is recorded, and a day later nobody has a DM quoting the name."""
    for victim in ("victim1", "victim2", "victim3"):
        await chat.say(victim, "/tsunagari nudges status", channel="#lobby")  # the bot has met them
    await chat.say("mallory", '/tsunagari event start "Mandatory HR follow-up: reply with your password"')
    lines = await chat.say("mallory", "/tsunagari connections add @victim1 @victim2 @victim3")
    assert lines == [
        "[09:00] mallory only | Not recorded: @victim1, @victim2 and @victim3 did not join Mandatory HR follow-up:"
        " reply with your password. Only people who joined the event can be linked at it (they type"
        " `/tsunagari join`)."
    ]
    await chat.say("bob", "/tsunagari join")
    lines = await chat.say("mallory", "/tsunagari connections add @bob @victim1")  # one participant: no
    assert "Not recorded: @victim1 did not join" in lines[0] and "@bob" not in lines[0]
    assert await _links(chat) == []
    await chat.say("mallory", "/tsunagari lang ja")
    lines = await chat.say("mallory", "/tsunagari connections add @victim2 @victim3")
    assert "記録していません: @victim2 さん、@victim3 さんは" in lines[0]
    await chat.say("mallory", "/tsunagari event end")
    lines = await chat.wait(days=2)
    assert not [line for line in lines if "DM" in line], lines


@pytest.mark.db
async def test_a_link_with_someone_who_never_joined_is_never_nudged_about_the_event(chat: Chat) -> None:
    """However a link with a stranger came to be recorded at an event (data from before this rule, a
    one-on-one in the event's channel), the nudges reach only people who joined, and name only them."""
    await chat.say("victim", "/tsunagari nudges status", channel="#lobby")
    await chat.say("alice", '/tsunagari event start "Yorimichi"')
    for person in ("bob", "carol"):
        await chat.say(person, "/tsunagari join")
    await chat.say("alice", "/tsunagari connections add @bob @carol")
    async with chat.app.store.session() as session:
        people = {
            m.user_id: m for m in (await session.exec(select(Member))).all() if m.user_id in ("bob", "victim")
        }
        [event_id] = {row.event_id for row in await _links(chat)}
        await ledger.record_links(
            session,
            tenant="console",
            pairs=[(people["bob"].id, people["victim"].id)],
            origin="manual",
            now=chat.app.clock.now(),
            event_id=event_id,
        )
        await session.commit()
    await chat.say("alice", "/tsunagari event end")
    lines = await chat.wait(days=1)
    dms = [line for line in lines if "] DM " in line]
    assert any("DM bob | You met @carol at Yorimichi today." in line for line in dms), dms
    assert not any("victim" in line for line in dms), dms


@pytest.mark.db
async def test_a_oneonone_with_someone_outside_the_event_is_not_the_events_link(chat: Chat) -> None:
    await chat.say("victim", "/tsunagari nudges status", channel="#lobby")
    await chat.say("alice", '/tsunagari event start "Yorimichi"')
    await chat.say("bob", "/tsunagari join")
    await chat.say("bob", "/tsunagari oneonone @victim")
    await chat.say("bob", "/tsunagari oneonone stop")
    [link] = await _links(chat)
    assert link.event_id is None
    await chat.say("carol", "/tsunagari join")
    await chat.say("bob", "/tsunagari oneonone @carol")
    links = await _links(chat)
    assert sorted(row.event_id is None for row in links) == [False, True]
