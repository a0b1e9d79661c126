"""The `pairs` ritual end to end: what people see, and what is stored (rounds, seeds, seats, Links)."""

from __future__ import annotations

from itertools import combinations

import pytest
from sqlmodel import select

from bot.rituals.pairing.models import PairingRound, PairingSeat
from bot.store.models import Connection, Member
from tests.support import Chat, statements_sent

pytestmark = pytest.mark.db

PEOPLE = {
    "bob": "--org Fujitsu --region Tokyo --generation 30s --languages ja,en",
    "carol": "--org LinkedIn --region Osaka --generation 20s --languages en",
    "dave": "--org Fujitsu --region Tokyo --generation 50s --languages ja",
    "erin": "--org NPO --region Fukuoka --generation 40s --languages ja,en",
    "frank": "--org LinkedIn --region Tokyo --generation 30s --languages en",
    "gina": "--org City --region Sapporo --generation 60s --languages ja",
    "hiro": "--org Startup --region Tokyo --generation 20s --languages ja,en",
    "ivy": "--org University --region Kyoto --generation 20s --languages ja,en",
    "jun": "--org Fujitsu --region Osaka --generation 40s --languages ja",
}


async def workshop(chat: Chat) -> None:
    await chat.say("alice", '/tsunagari event start "Pairs" --lang en')
    for name, profile in PEOPLE.items():
        await chat.say(name, f"/tsunagari join {profile}")


async def sent_rounds(chat: Chat) -> list[list[list[str]]]:
    """Each sent round as its groups of user names, in round order."""
    async with chat.app.store.session() as session:
        rounds = (
            await session.exec(
                select(PairingRound).where(PairingRound.status == "sent").order_by(PairingRound.number)
            )
        ).all()
        names = {m.id: m.user_id for m in (await session.exec(select(Member))).all()}
        result = []
        for row in rounds:
            seats = (await session.exec(select(PairingSeat).where(PairingSeat.round_id == row.id))).all()
            groups: dict[int, list[str]] = {}
            for seat in seats:
                groups.setdefault(seat.group_no, []).append(names[seat.member_id])
            result.append(sorted(sorted(g) for g in groups.values()))
        return result


async def test_nine_people_meet_in_three_rounds_without_a_repeat_and_each_pair_is_a_link(chat: Chat) -> None:
    await workshop(chat)
    await chat.say("alice", "/tsunagari pairs --rounds 3")
    await chat.say("alice", "/tsunagari pairs next")
    await chat.say("alice", "/tsunagari pairs next")
    rounds = await sent_rounds(chat)
    assert len(rounds) == 3
    pairs = []
    for groups in rounds:
        assert sorted(len(g) for g in groups) == [2, 2, 2, 3]
        assert sorted(name for g in groups for name in g) == sorted(PEOPLE)
        pairs += [pair for g in groups for pair in combinations(g, 2)]
    assert len(pairs) == len(set(pairs)), "a pair met twice"
    async with chat.app.store.session() as session:
        links = (await session.exec(select(Connection))).all()
        seeds = (await session.exec(select(PairingRound.seed))).all()
    assert len(links) == len(pairs)
    assert all(link.origin == "pairs" and link.times_met == 1 for link in links)
    assert len(seeds) == 3


async def test_every_group_gets_an_introduction_with_what_bridges_them(chat: Chat) -> None:
    await workshop(chat)
    lines = await chat.say("alice", "/tsunagari pairs")
    # Groups whose only shared language is Japanese (someone speaks nothing else) read it in Japanese.
    intros = [
        line
        for line in lines
        if "DM " in line and ("you're meeting this round" in line or "このラウンドでお話しください" in line)
    ]
    assert len(intros) == 4
    assert any("What bridges you: different" in line for line in lines)
    assert any("take 3 minutes each" in line for line in lines)


async def test_someone_away_is_not_paired_until_they_are_back(chat: Chat) -> None:
    await workshop(chat)
    await chat.say("jun", "/tsunagari away")
    await chat.say("alice", "/tsunagari pairs")
    await chat.say("jun", "/tsunagari back")
    await chat.say("alice", "/tsunagari pairs")
    first, second = await sent_rounds(chat)
    assert "jun" not in [name for g in first for name in g]
    assert "jun" in [name for g in second for name in g]


async def test_a_preview_sends_nothing_and_a_reroll_draws_other_pairs(chat: Chat) -> None:
    await workshop(chat)
    preview = await chat.say("alice", "/tsunagari pairs --preview")
    assert all(line.startswith("[") and " alice only |" in line for line in preview)
    rerolled = await chat.say("alice", "/tsunagari pairs reroll")
    groups = [line for line in preview if "•" in line]
    assert groups and not set(groups) & {line for line in rerolled if "•" in line}
    assert await sent_rounds(chat) == []
    await chat.say("alice", "/tsunagari pairs send")
    assert len(await sent_rounds(chat)) == 1


async def test_pairs_need_two_people_present(chat: Chat) -> None:
    await chat.say("alice", '/tsunagari event start "Alone" --lang en')
    await chat.say("bob", "/tsunagari join")
    lines = await chat.say("alice", "/tsunagari pairs")
    assert any("at least two people present" in line for line in lines)


async def test_forgetting_someone_removes_their_seats(chat: Chat) -> None:
    await workshop(chat)
    await chat.say("alice", "/tsunagari pairs")
    await chat.say("bob", "/tsunagari forget-me confirm")
    rounds = await sent_rounds(chat)
    assert "bob" not in [name for g in rounds[0] for name in g]


async def test_planned_rounds_stay_free_of_repeats_when_someone_steps_away_between_them(chat: Chat) -> None:
    await workshop(chat)
    await chat.say("alice", "/tsunagari pairs --rounds 3")
    await chat.say("jun", "/tsunagari away")
    await chat.say("alice", "/tsunagari pairs next")
    await chat.say("jun", "/tsunagari back")
    await chat.say("alice", "/tsunagari pairs next")
    rounds = await sent_rounds(chat)
    assert [sum(len(g) for g in groups) for groups in rounds] == [9, 8, 9]
    pairs = [pair for groups in rounds for g in groups for pair in combinations(g, 2)]
    assert len(pairs) == len(set(pairs)), "a pair met twice"


async def test_a_room_larger_than_a_page_is_read_page_by_page_and_everyone_present_is_paired(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big room's roster comes a page of people a statement, so the loop serves other rooms between
    pages. With pages of four, the nine people (one of them away) take three reads, and nobody present is
    lost at a page's edge: the eight present are seated, once each."""
    from bot.rituals.pairing import rounds as stored

    monkeypatch.setattr(stored, "ROSTER_PAGE", 4)
    await workshop(chat)
    await chat.say("erin", "/tsunagari away")  # a gap in the middle of a page
    with statements_sent(chat.app.store) as sent:
        lines = await chat.say("alice", "/tsunagari pairs")
    pages = [sql for sql, _ in sent if "FROM participant JOIN member" in sql and "LIMIT" in sql]
    (seated,) = await sent_rounds(chat)
    assert sorted(name for group in seated for name in group) == sorted(set(PEOPLE) - {"erin"})
    assert len(pages) == 3, pages  # 4 + 4 + 0: a full last page needs one more read to know it is last
    intros = [
        line
        for line in lines
        if "you're meeting this round" in line or "このラウンドでお話しください" in line
    ]
    assert len(intros) == 4, "each of the four pairs is introduced in its own DM"
