"""Every group's hand-off due at one moment (issue 15 speed, issue 18): what it costs the database (a count
of statements and commits, never a time), and that running them together loses and doubles nothing when a
handler fails or the process stops in the middle."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot import core as core_module
from bot.rituals.talk import host as talk_host
from bot.steps import engine
from bot.steps.models import Step, StepRun
from bot.store.models import Timer
from tests.rituals.test_talk import press, said, workshop
from tests.support import Chat

pytestmark = pytest.mark.db
EIGHT = ("bob", "carol", "dave", "erin", "frank", "gina", "hiro", "ivy")  # four pairs

SIXTEEN = (*EIGHT, "jun", "kai", "lena", "mio", "nao", "omar", "pia", "quinn")  # eight pairs

# What a moment costs the database, however many groups it holds: every group's timers of one kind run
# together (Router.timers_together), set-based. A warning: the due rows found and read, the runs, their
# steps and their people read, the rows claimed. A hand-off: those, plus the runs' `seq` moved, their
# timers cancelled, the ended and begun steps written (one executemany each), the runs written, the next
# timers inserted (one executemany; on SQLite their ids are read back by key, one statement more: a
# multi-row INSERT … RETURNING was one statement, but building it cost 14 ms of CPU for 50 rows, against
# 4–6 ms for the two). (One group at a time it was 3 and 9 statements a group, and before that 14 and a
# commit of its own.)
WARNING_MOMENT, HANDOFF_MOMENT = 9, 15
# The same hand-off for whole-channel rounds of turns in as many channels (bot/rituals/turns).
TURNS_MOMENT = 15


def read_back(chat: Chat) -> int:
    """The statement SQLite adds to a moment that inserts timers: their ids, read back by key."""
    return 1 if chat.app.store.is_sqlite else 0


class Counter:
    def __init__(self) -> None:
        self.statements = 0
        self.commits = 0

    def statement(self, *_args: object) -> None:
        self.statements += 1

    def commit(self, *_args: object) -> None:
        self.commits += 1


@contextmanager
def counted(chat: Chat) -> Iterator[Counter]:
    engine = chat.app.store.engine.sync_engine
    counter = Counter()
    event.listen(engine, "before_cursor_execute", counter.statement)
    event.listen(engine, "commit", counter.commit)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter.statement)
        event.remove(engine, "commit", counter.commit)


async def timers(chat: Chat, kind: str) -> list[Timer]:
    async with chat.app.store.session() as session:
        return list((await session.exec(select(Timer).where(Timer.kind == kind))).all())


async def moment_costs(chat: Chat, people: tuple[str, ...]) -> tuple[Counter, Counter]:
    await workshop(chat, people)
    await chat.say("alice", "/tsunagari pairs --talk 1m")
    groups = len(people) // 2
    with counted(chat) as warnings:
        lines = await chat.wait(seconds=30)
    assert sum("30 seconds left." in line and line[8:].startswith("DM ") for line in lines) == groups
    with counted(chat) as handoffs:
        lines = await chat.wait(seconds=30)
    assert said(lines, "Time's up, @") == groups
    assert said(lines, "has the floor until") == groups
    return warnings, handoffs


@pytest.mark.parametrize("people", [EIGHT, SIXTEEN], ids=["4 groups", "8 groups"])
async def test_a_moment_costs_the_same_statements_for_eight_groups_as_for_four(
    chat: Chat, people: tuple[str, ...]
) -> None:
    warnings, handoffs = await moment_costs(chat, people)
    assert (warnings.commits, handoffs.commits) == (1, 1)
    assert (warnings.statements, handoffs.statements) == (WARNING_MOMENT, HANDOFF_MOMENT + read_back(chat))


async def test_a_done_pressed_while_the_moment_runs_moves_its_group_once_and_the_others_by_the_clock(
    chat: Chat, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    await workshop(chat, EIGHT)
    await chat.say("alice", "/tsunagari pairs --talk 1m")
    await chat.wait(seconds=30)
    [raced, *_] = sorted(t.payload["run"] for t in await timers(chat, "talk.end") if t.status == "pending")
    claim = engine._claim_runs
    pressed: list[list[str]] = []

    async def done_first(session, runs):  # noqa: ANN001
        # The moment has read every run; a speaker's "Done" commits in its own transaction before the
        # moment moves any `seq`: that group's run has moved on, and the compare-and-set must see it.
        if not pressed:
            pressed.append(await press(chat, "alice", f"talk:done:{raced}:0"))
        return await claim(session, runs)

    monkeypatch.setattr(engine, "_claim_runs", done_first)
    lines = await chat.wait(seconds=30)
    [by_hand] = pressed
    # The moment's compare-and-set left the raced run alone (not a failed batch run again one by one).
    assert "moved on before its timer ran" in caplog.text and "one at a time" not in caplog.text
    assert said(by_hand, "The floor moves on.") == 1 and said(by_hand, "has the floor until") == 1
    # The clock moves the other three; the raced group is not moved a second time: each of the four
    # groups' spaces is told of exactly one new floor (`lines` holds the press's lines too).
    assert said(lines, "Time's up, @") == 3
    floors = [line.split(" | ")[0][8:] for line in lines if "has the floor until" in line]
    assert len(floors) == len(set(floors)) == 4
    async with chat.app.store.session() as session:
        run = await session.get(StepRun, raced)
        steps = (await session.exec(select(Step).where(Step.run_id == raced).order_by(Step.position))).all()
    # A facilitator's press moves a group on as "next" (a speaker's own would be "done").
    assert [step.status for step in steps] == ["next", "active"] and run.current == 1


async def test_a_group_whose_hand_off_fails_is_marked_failed_and_the_others_hand_over_once(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    await workshop(chat, EIGHT)
    await chat.say("alice", "/tsunagari pairs --talk 1m")
    await chat.wait(seconds=30)
    [bad, *_] = sorted(t.payload["run"] for t in await timers(chat, "talk.end") if t.status == "pending")
    begin = talk_host.Host._begin  # what a group is told, in the moment's batch and one group alone

    def broken(self, ctx, run, *rest):  # noqa: ANN001
        if run.id == bad:
            raise RuntimeError("a bug in one group's announcement")
        begin(self, ctx, run, *rest)

    monkeypatch.setattr(talk_host.Host, "_begin", broken)
    lines = await chat.wait(seconds=30)
    # The batch was rolled back and run again one group at a time: three hand over, each exactly once.
    assert said(lines, "Time's up, @") == 3
    assert said(lines, "has the floor until") == 3
    ends = {t.payload["run"]: t.status for t in await timers(chat, "talk.end") if t.payload["position"] == 0}
    assert sorted(ends.values()) == ["done", "done", "done", "failed"]
    assert ends[bad] == "failed"


async def test_a_process_stopped_in_the_middle_of_a_moment_hands_every_floor_over_once_after_restart(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    await workshop(chat, EIGHT)
    await chat.say("alice", "/tsunagari pairs --talk 1m")
    await chat.wait(seconds=30)
    runs = sorted(t.payload["run"] for t in await timers(chat, "talk.end") if t.status == "pending")
    begin = talk_host.Host._begin

    def stopped(self, ctx, run, *rest):  # noqa: ANN001
        if run.id == runs[2]:  # two groups' hand-offs are worked out, none committed
            raise asyncio.CancelledError
        begin(self, ctx, run, *rest)

    monkeypatch.setattr(talk_host.Host, "_begin", stopped)
    before = len(chat.runner.world.shown)
    with pytest.raises(asyncio.CancelledError):
        await chat.app.timers.advance_to(chat.app.clock.now() + timedelta(seconds=30))
    assert said(chat.lines_since(before), "has the floor until") == 0  # nothing said of an uncommitted move
    pending = [t for t in await timers(chat, "talk.end") if t.payload["position"] == 0]
    assert {t.status for t in pending} == {"pending"}  # nothing lost: every row is still to fire
    monkeypatch.setattr(talk_host.Host, "_begin", begin)
    await chat.restart()
    lines = chat.lines_since(before)
    assert said(lines, "Time's up, @") == 4
    assert said(lines, "has the floor until") == 4
    ends = [t for t in await timers(chat, "talk.end") if t.payload["position"] == 0]
    assert {t.status for t in ends} == {"done"}


async def costs_in(chat: Chat, channel: str, people: tuple[str, ...]) -> dict[str, int]:
    """What starting a talk, stopping it and ending the event cost the database in a room of `people`."""
    costs = {}
    await chat.say("alice", '/tsunagari event start "Talk" --lang en', channel=channel)
    for person in people:
        await chat.say(person, "/tsunagari join", channel=channel)
    for what, text in (
        ("start", "/tsunagari pairs --talk 1m"),
        ("stop", "/tsunagari talk stop"),
        ("end", "/tsunagari event end confirm"),
    ):
        with counted(chat) as counter:
            lines = await chat.say("alice", text, channel=channel)
        assert not any("went wrong" in line for line in lines), lines
        costs[what] = counter.statements
    return costs


async def test_starting_and_stopping_a_talk_and_ending_its_event_cost_the_same_for_twice_the_groups(
    chat: Chat,
) -> None:
    four = await costs_in(chat, "#four", EIGHT)
    eight = await costs_in(chat, "#eight", tuple(f"{name}2" for name in SIXTEEN))
    # Every group starts in a few statements for all of them, except that SQLite inserts a new run a row
    # at a time (it cannot return the ids of a multi-row INSERT in order): one more for each extra group.
    extra = 4 if chat.app.store.is_sqlite else 0
    assert eight["start"] == four["start"] + extra, (four, eight)
    # Every group stops in one go; and the end plans each person's nudges and their alarms in two
    # statements (and a read-back on SQLite), however many people met.
    assert eight["stop"] == four["stop"], (four, eight)
    assert eight["end"] == four["end"], (four, eight)


async def rounds_in_channels(chat: Chat, channels: int) -> Counter:
    """`channels` events, each a whole-channel round of turns started in the same instant; what the
    moment their first turns end costs."""
    for number in range(channels):
        channel = f"#room{channels}-{number}"
        people = [f"r{channels}x{number}a", f"r{channels}x{number}b"]
        await chat.say("alice", '/tsunagari event start "Room" --lang en', channel=channel)
        for person in people:
            await chat.say(person, "/tsunagari join", channel=channel)
        await chat.say("alice", f"/tsunagari turns @{people[0]} @{people[1]} --minutes 1", channel=channel)
    await chat.wait(seconds=30)  # the warnings' moment
    with counted(chat) as moment:
        lines = await chat.wait(seconds=30)
    assert said(lines, "has the floor until") == channels, lines
    return moment


@pytest.mark.parametrize("channels", [4, 8])
async def test_whole_channel_rounds_ending_at_one_moment_cost_the_same_for_twice_the_channels(
    chat: Chat, channels: int
) -> None:
    # Each channel's post is built from its steps and people as read for all the channels at once.
    moment = await rounds_in_channels(chat, channels)
    assert (moment.commits, moment.statements) == (1, TURNS_MOMENT + read_back(chat))


async def test_more_groups_than_one_set_takes_hand_over_in_several_sets_in_the_one_transaction(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core_module, "TOGETHER_AT_MOST", 3)  # four groups: a set of three, then one
    warnings, handoffs = await moment_costs(chat, EIGHT)
    assert (warnings.commits, handoffs.commits) == (1, 1)
    assert handoffs.statements > HANDOFF_MOMENT  # two sets' statements, in the same commit
