"""Rounds of turns: what a facilitator and participants see when they get things wrong, and that the round's
state stays whole; restarts across two real app lifetimes; random order; forget-me; stale timers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.events import ButtonPressed, Caller, CommandInvoked
from bot.rituals.turns.round import shuffled
from bot.steps.models import Step, StepRun
from bot.store.models import Member, Participant, Timer
from tests.support import Chat

pytestmark = pytest.mark.db
T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


async def workshop(chat: Chat, *people: str) -> None:
    await chat.say("alice", '/tsunagari event start "Round" --lang en')
    for person in people:
        await chat.say(person, "/tsunagari join")


async def rounds(chat: Chat) -> list[StepRun]:
    async with chat.app.store.session() as session:
        return list((await session.exec(select(StepRun).where(StepRun.ritual == "turns"))).all())


async def steps(chat: Chat, run: StepRun) -> list[Step]:
    async with chat.app.store.session() as session:
        query = select(Step).where(Step.run_id == run.id).order_by(col(Step.position))
        return list((await session.exec(query)).all())


def said(lines: list[str], text: str) -> bool:
    return any(text in line for line in lines)


def count(lines: list[str], text: str) -> int:
    return sum(text in line for line in lines)


def button_id(chat: Chat, label: str) -> str:
    """The action id of the newest button with this label (what a person's client would send)."""
    for shown in reversed(chat.runner.world.shown):
        for button in shown.message.buttons if shown.message else ():
            if button.label == label:
                return button.action_id
    raise AssertionError(f"no button {label!r}")


async def press(chat: Chat, user: str, action_id: str) -> list[str]:
    """A press of a button by its id, as a platform delivers it (each press its own request id)."""
    before = len(chat.runner.world.shown)
    event = ButtonPressed(Caller("console", user, "#main", None, user), action_id, f"press-{user}-{before}")
    await chat.runner.adapter.send("console", await chat.app.core.handle(event), origin=event)
    return chat.lines_since(before)


# -- bad input ----------------------------------------------------------------------------------------------
async def test_a_round_with_nobody_in_the_event_says_how_to_get_speakers(chat: Chat) -> None:
    await workshop(chat)
    lines = await chat.say("alice", "/tsunagari turns")
    assert said(lines, "alice only | There's nobody to give the floor to: no one has joined this event yet.")
    assert await rounds(chat) == []


async def test_a_round_of_one_is_refused_because_nobody_would_listen(chat: Chat) -> None:
    await workshop(chat, "bob")
    lines = await chat.say("alice", "/tsunagari turns")
    assert said(
        lines, "A round needs at least two people, one to speak and one to listen; only @bob would be"
    )
    lines = await chat.say("alice", "/tsunagari turns @bob @bob")
    assert said(lines, "only @bob would be in this one")
    assert await rounds(chat) == []


async def test_two_hundred_people_are_refused_with_the_limit_and_why(chat: Chat) -> None:
    await workshop(chat)
    named = " ".join(f"<@U{n}>" for n in range(200))
    lines = await chat.say("alice", f"/tsunagari turns {named}")
    assert said(lines, "That's 200 people. A round takes at most 30 speakers, because everyone else sits")
    assert said(lines, "Split the room into groups with a channel each")
    # Two hundred who joined: the same answer, and no member rows made for the named ones either.
    async with chat.app.store.session() as session:
        event_id = 1
        for n in range(200):
            member = Member(tenant_id="console", user_id=f"p{n}", created_at=T0)
            session.add(member)
            await session.flush()
            session.add(
                Participant(tenant_id="console", event_id=event_id, member_id=member.id, joined_at=T0)
            )
        await session.commit()
        assert (await session.exec(select(Member).where(Member.user_id == "U7"))).first() is None
    lines = await chat.say("alice", "/tsunagari turns")
    assert said(lines, "That's 200 people. A round takes at most 30 speakers")
    assert await rounds(chat) == []


@pytest.mark.parametrize("minutes", ["0", "999", "10s", "31"])
async def test_a_turn_length_out_of_range_says_the_range(chat: Chat, minutes: str) -> None:
    await workshop(chat, "bob", "carol")
    lines = await chat.say("alice", f"/tsunagari turns --minutes {minutes}")
    assert said(lines, "alice only | --minutes must be between 30 s and 30 min.")
    assert await rounds(chat) == []


@pytest.mark.parametrize(
    ("minutes", "shown"), [("3", "3 min"), ("90s", "1 min 30 s"), ("1m30s", "1 min 30 s")]
)
async def test_a_turn_length_is_read_as_people_write_it(chat: Chat, minutes: str, shown: str) -> None:
    await workshop(chat, "bob", "carol")
    lines = await chat.say("alice", f"/tsunagari turns --minutes {minutes} --order given")
    assert said(lines, f"@bob has the floor until 09:0{3 if minutes == '3' else 1} ({shown}).")


async def test_an_unknown_name_is_named_in_the_answer_and_nothing_starts(chat: Chat) -> None:
    await workshop(chat, "bob", "carol")
    lines = await chat.say("alice", "/tsunagari turns @bob @zed")
    assert said(lines, "I don't know anyone called @zed here.")
    lines = await chat.say("alice", "/tsunagari turns @bob nope")
    assert said(lines, "I didn't expect `nope` there. Usage: `/tsunagari turns [@a @b …]")
    assert await rounds(chat) == []


async def test_a_participant_pressing_next_for_someone_else_changes_nothing(chat: Chat) -> None:
    await workshop(chat, "bob", "carol", "dan")
    await chat.say("alice", "/tsunagari turns --order given")
    [before] = await rounds(chat)
    lines = await chat.click("carol", "Next")
    assert said(lines, "carol only | It's @bob's turn. Only they or a facilitator can end it.")
    lines = await chat.say("carol", "/tsunagari turns done")
    assert said(lines, "It's @bob's turn. Only they or a facilitator can end it.")
    lines = await chat.click("carol", "Pause")
    assert said(lines, "Only a facilitator of this event can run `turns pause`.")
    [after] = await rounds(chat)
    assert (after.current, after.seq, after.status, after.ends_at) == (
        before.current,
        before.seq,
        before.status,
        before.ends_at,
    )
    # The speaker's own Next is their Done.
    lines = await chat.click("bob", "Next")
    assert said(lines, "#main | @bob has finished. Thank you!")


async def test_a_double_click_on_done_hands_the_floor_on_once(chat: Chat) -> None:
    await workshop(chat, "bob", "carol", "dan")
    await chat.say("alice", "/tsunagari turns --order given")
    done = button_id(chat, "Done")
    first = await press(chat, "bob", done)
    second = await press(chat, "bob", done)
    assert said(first, "@carol has the floor")
    assert second == [
        "[09:00] bob only | That turn is already over, so nothing happened. @carol has the floor now."
    ]
    [run] = await rounds(chat)
    assert [s.status for s in await steps(chat, run)] == ["done", "active", "pending"]


async def test_a_double_click_on_extend_adds_one_minute_not_two(chat: Chat) -> None:
    await workshop(chat, "bob", "carol")
    await chat.say("alice", "/tsunagari turns --order given")
    extend = button_id(chat, "+1 min")
    assert said(await press(chat, "alice", extend), "1 min more for @bob: now until 09:04.")
    assert said(
        await press(chat, "alice", extend), "The round moved on while you pressed that, so nothing happened."
    )
    [run] = await rounds(chat)
    assert run.ends_at == T0 + timedelta(minutes=4)
    pending = [t for t in await chat.app.timers.pending() if t.kind == "turns.end"]
    assert [t.due_at for t in pending] == [T0 + timedelta(minutes=4)]


async def test_a_button_from_a_finished_round_does_nothing_and_says_so(chat: Chat) -> None:
    await workshop(chat, "bob", "carol")
    await chat.say("alice", "/tsunagari turns --order given")
    pause = button_id(chat, "Pause")
    await chat.say("alice", "/tsunagari turns stop")
    # A new round in the same channel: the old round's button must not touch it.
    await chat.say("alice", "/tsunagari turns --order given")
    lines = await press(chat, "alice", pause)
    assert lines == ["[09:00] alice only | That round has finished, so nothing happened."]
    finished, running = await rounds(chat)
    assert (finished.status, running.status) == ("stopped", "running")


@pytest.mark.parametrize(
    "action_id", ["turns:done", "turns:done:x:1", "turns:next:999:0", "turns:extend:1:0"]
)
async def test_a_malformed_or_unknown_button_is_answered_not_crashed(chat: Chat, action_id: str) -> None:
    await workshop(chat, "bob", "carol")
    lines = await press(chat, "bob", action_id)
    assert said(lines, "That button belongs to something that has finished or no longer exists")


async def test_turn_commands_without_a_round_say_there_is_none(chat: Chat) -> None:
    await workshop(chat, "bob")
    for command in ("done", "status", "next", "pause", "resume", "extend", "stop", "skip"):
        lines = await chat.say("alice", f"/tsunagari turns {command}")
        assert said(lines, "There's no round of turns running in this channel."), command


async def test_skipping_someone_who_is_not_waiting_says_so(chat: Chat) -> None:
    await workshop(chat, "bob", "carol", "dan")
    await chat.say("alice", "/tsunagari turns @bob @carol --order given")
    lines = await chat.say("alice", "/tsunagari turns skip @dan")
    assert said(lines, "@dan isn't waiting for a turn in this round.")
    lines = await chat.say("alice", "/tsunagari turns skip @carol")
    assert said(lines, "#main | @carol will be skipped in this round.")
    wait = await chat.wait(minutes=3)
    assert said(wait, "The round is over.") and said(wait, "@carol: skipped")


# -- who is in the round ------------------------------------------------------------------------------------
async def test_the_random_order_comes_from_a_stored_seed(chat: Chat) -> None:
    await workshop(chat, "bob", "carol", "dan", "erin", "fay")
    lines = await chat.say("alice", "/tsunagari turns")
    [run] = await rounds(chat)
    assert run.options["order"] == "random" and isinstance(run.options["seed"], int)
    async with chat.app.store.session() as session:
        members = list((await session.exec(select(Member).where(Member.user_id != "alice"))).all())
    expected = [m.id for m in shuffled(members, run.options["seed"])]
    assert [s.member_id for s in await steps(chat, run)] == expected
    names = {m.id: m.user_id for m in members}
    drawn = [f"@{names[i]}" for i in expected]
    assert said(lines, f"The order was drawn at random: {', '.join(drawn[:-1])} and {drawn[-1]}.")


async def test_a_late_joiner_is_added_only_to_a_round_of_everyone(chat: Chat) -> None:
    await workshop(chat, "bob", "carol")
    await chat.say("alice", "/tsunagari turns @bob @carol")
    lines = await chat.say("dan", "/tsunagari join")
    assert not said(lines, "will speak last")
    [run] = await rounds(chat)
    assert len(await steps(chat, run)) == 2


async def test_someone_who_left_and_comes_back_after_speaking_is_not_added_again(chat: Chat) -> None:
    await workshop(chat, "bob", "carol", "dan")
    await chat.say("alice", "/tsunagari turns --order given")
    await chat.wait(minutes=3)  # bob has spoken
    await chat.say("bob", "/tsunagari leave")
    lines = await chat.say("bob", "/tsunagari join")
    assert not said(lines, "will speak last")
    await chat.say("dan", "/tsunagari leave")  # dan leaves before his turn, and comes back
    lines = await chat.say("dan", "/tsunagari join")
    assert said(lines, "@dan has just joined and will speak last in this round.")
    [run] = await rounds(chat)
    assert [s.status for s in await steps(chat, run)] == ["timeup", "active", "left", "pending"]


# -- time -------------------------------------------------------------------------------------------------
async def test_a_timer_from_before_a_pause_is_ignored_if_it_ever_fires(chat: Chat) -> None:
    await workshop(chat, "bob", "carol")
    await chat.say("alice", "/tsunagari turns --order given")
    await chat.wait(minutes=1)
    await chat.say("alice", "/tsunagari turns pause")
    async with chat.app.store.session() as session:
        stale = (await session.exec(select(Timer).where(Timer.kind == "turns.end"))).one()
        assert stale.status == "cancelled"
        stale.status = "pending"  # as if the cancel had lost a race with the alarm
        await session.commit()
    lines = await chat.wait(minutes=5)
    assert lines == [], "a timer armed before the pause acted on the paused round"
    [run] = await rounds(chat)
    assert (run.status, run.remaining) == ("paused", 120)


async def test_a_bot_down_for_part_of_a_turn_carries_on_with_the_time_left(database_url: str) -> None:
    """Two app lifetimes on one database file: nothing announced twice, nothing lost."""
    first = Chat(database_url, T0)
    await first.start()
    try:
        await workshop(first, "bob", "carol")
        await first.say("alice", "/tsunagari turns --order given")
        await first.wait(minutes=1)
    finally:
        await first.close()
    # Down from 09:01 to 09:01:30; a new process, a new screen.
    second = Chat(database_url, T0 + timedelta(seconds=90))
    await second.start()
    try:
        assert second.transcript == [], "start-up repeated an announcement"
        lines = await second.say("alice", "/tsunagari turns status")
        assert said(lines, "@bob has the floor until 09:03 (1 min 30 s left).")
        assert said(lines, "Still to speak: @carol.")
        lines = await second.wait(minutes=1, seconds=30)
        assert count(lines, "@bob, 30 seconds left.") == 1
        assert count(lines, "[09:03] #main | Time's up, @bob. Thank you!") == 1
        assert count(lines, "[09:03] #main | @carol has the floor until 09:06 (3 min).") == 1
    finally:
        await second.close()


async def test_a_bot_down_past_the_end_of_a_turn_hands_on_at_start_up_without_a_late_warning(
    database_url: str,
) -> None:
    first = Chat(database_url, T0)
    await first.start()
    try:
        await workshop(first, "bob", "carol")
        await first.say("alice", "/tsunagari turns --order given")
    finally:
        await first.close()
    second = Chat(database_url, T0 + timedelta(minutes=4))  # down across bob's warning and his end
    await second.start()
    try:
        lines = second.transcript
        assert not said(lines, "30 seconds left")
        assert count(lines, "[09:04] #main | Time's up, @bob. Thank you!") == 1
        assert count(lines, "[09:04] #main | @carol has the floor until 09:07 (3 min).") == 1
        lines = await second.wait(minutes=3)
        assert said(lines, "[09:06] #main | @carol, 30 seconds left.")
        assert said(lines, "[09:07] #main | The round is over.")
    finally:
        await second.close()


async def test_two_facilitators_starting_a_round_at_once_get_one_round(chat: Chat) -> None:
    await workshop(chat, "bob", "carol")
    await chat.say("alice", "/tsunagari facilitators add @bob")
    core = chat.app.core
    answers = await asyncio.gather(
        core.handle(CommandInvoked(Caller("console", "alice", "#main"), "turns --order given", "race-1")),
        core.handle(CommandInvoked(Caller("console", "bob", "#main"), "turns --order given", "race-2")),
        return_exceptions=True,
    )
    assert not any(isinstance(a, BaseException) for a in answers)
    assert len([r for r in await rounds(chat) if r.status == "running"]) == 1
    texts = [a.message.text for actions in answers for a in actions if hasattr(a, "message")]
    assert sum("has the floor" in t for t in texts) == 1
    assert sum("A round is already running in this channel" in t for t in texts) == 1


# -- forget-me ----------------------------------------------------------------------------------------------
async def test_forgetting_the_speaker_passes_the_floor_on_and_leaves_no_row_naming_them(chat: Chat) -> None:
    await workshop(chat, "zoe", "carol", "dan")
    await chat.say("alice", "/tsunagari turns @zoe @carol @dan --order given")
    await chat.wait(minutes=1)
    lines = await chat.say("zoe", "/tsunagari forget-me confirm")
    assert said(lines, "#main | The speaker has left, so the floor moves on.")
    assert said(lines, "#main | @carol has the floor")
    assert not any("zoe" in line for line in lines if "#main" in line)
    [run] = await rounds(chat)
    rows = await steps(chat, run)
    assert [(s.member_id is None, s.status, s.spoken) for s in rows][0] == (True, "left", 60)
    async with chat.app.store.session() as session:
        assert (await session.exec(select(Member).where(Member.user_id == "zoe"))).first() is None
    lines = await chat.wait(minutes=10)
    assert said(lines, "someone who has left: 1 min, then left")


async def test_extending_a_paused_turn_adds_to_the_time_it_keeps(chat: Chat) -> None:
    await workshop(chat, "bob", "carol")
    await chat.say("alice", "/tsunagari turns --order given --minutes 2")
    await chat.wait(seconds=90)
    await chat.say("alice", "/tsunagari turns pause")
    lines = await chat.say("alice", "/tsunagari turns extend 1")
    assert said(lines, "#main | 1 min more for @bob, who will have 1 min 30 s when the round resumes.")
    await chat.wait(minutes=20)
    lines = await chat.say("alice", "/tsunagari turns resume")
    assert said(lines, "[09:21] #main | Resumed: @bob has the floor until 09:23 (1 min 30 s left).")
    lines = await chat.wait(seconds=90)
    assert said(lines, "[09:22] #main | @bob, 30 seconds left.")
    assert said(lines, "[09:23] #main | Time's up, @bob. Thank you!")
    [run] = await rounds(chat)
    first = (await steps(chat, run))[0]
    assert (first.seconds, first.spoken, first.status) == (180, 180, "timeup")


async def test_of_two_transitions_racing_on_one_round_only_the_first_goes_through(chat: Chat) -> None:
    """The compare-and-set on `seq`: a transaction that read the round before another moved it changes
    nothing and says so, whatever the two were (here: a hand-off against a pause)."""
    from bot.rituals.turns.announce import ANNOUNCER
    from bot.router import Ctx
    from bot.steps import engine
    from bot.steps.engine import Moved

    await workshop(chat, "bob", "carol")
    await chat.say("alice", "/tsunagari turns --order given")
    core = chat.app.core
    async with core.store.session() as late, core.store.session() as early:
        now = chat.app.clock.now()
        stale = (await late.exec(select(StepRun))).one()  # read before the other moves
        fresh = (await early.exec(select(StepRun))).one()
        await engine.pause(Ctx(core, early, "console", None, None, None, "en", now), fresh)
        await early.commit()
        with pytest.raises(Moved):
            await engine.advance(
                Ctx(core, late, "console", None, None, None, "en", now),
                stale,
                ANNOUNCER,
                outcome="next",
            )
        await late.rollback()
    [run] = await rounds(chat)
    assert (run.status, run.current, run.remaining) == ("paused", 0, 180)


def lifetime(url: str, when: datetime, mode: str) -> list[str]:
    """One bot process from start to exit; what it showed."""
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run(
        [sys.executable, "-m", "tests.rituals.turns_lifetime", url, when.isoformat(), mode],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


async def test_a_round_carries_on_in_a_second_process_with_the_same_speaker_and_time(
    database_url: str,
) -> None:
    first = lifetime(database_url, T0, "start")
    assert count(first, "[09:00] #main | @bob has the floor until 09:03 (3 min).") == 1
    # The first process is gone; the second starts 30 seconds later, mid-turn.
    second = lifetime(database_url, T0 + timedelta(seconds=90), "resume")
    assert not said(second, "[09:01] #main"), "start-up repeated an announcement"
    assert said(second, "alice only | @bob has the floor until 09:03 (1 min 30 s left).")
    assert count(second, "[09:02] #main | @bob, 30 seconds left.") == 1
    assert count(second, "[09:03] #main | Time's up, @bob. Thank you!") == 1
    assert count(second, "[09:03] #main | @carol has the floor until 09:06 (3 min).") == 1
