"""Every group's hand-off due at one moment (issue 15 speed, issue 18): what it costs the database (a count
of statements and commits, never a time), and that running them together loses and doubles nothing when a
handler fails or the process stops in the middle."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.rituals.talk import host as talk_host
from bot.store.models import Timer
from tests.rituals.test_talk import said, workshop
from tests.support import Chat

pytestmark = pytest.mark.db
EIGHT = ("bob", "carol", "dave", "erin", "frank", "gina", "hiro", "ivy")  # four pairs

# What one group's part of a shared moment may cost. A hand-off: the run read and its `seq` moved, its
# timers cancelled, its steps read, the next step's two timers inserted, the two steps and the run written,
# the group's people and next speaker read: 9 (it was 14 and a commit of its own, plus a claim and its
# commit). A warning: the run, its step, its people. The moment adds a few statements of its own, however
# many groups: finding what is due (before and after), reading those rows, and claiming them all at once.
HANDOFF_STATEMENTS, WARNING_STATEMENTS, BATCH_STATEMENTS = 9, 3, 6


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


async def test_four_groups_warned_and_handed_over_at_once_cost_one_commit_and_a_few_statements_each(
    chat: Chat,
) -> None:
    await workshop(chat, EIGHT)
    await chat.say("alice", "/tsunagari pairs --talk 1m")
    with counted(chat) as warnings:
        lines = await chat.wait(seconds=30)
    assert sum("30 seconds left." in line and line[8:].startswith("DM ") for line in lines) == 4
    with counted(chat) as handoffs:
        lines = await chat.wait(seconds=30)
    assert said(lines, "Time's up, @") == 4
    assert said(lines, "has the floor until") == 4
    # One transaction for the whole moment, not two a group (a claim, then the handler).
    assert (warnings.commits, handoffs.commits) == (1, 1)
    assert warnings.statements <= 4 * WARNING_STATEMENTS + BATCH_STATEMENTS, warnings.statements
    assert handoffs.statements <= 4 * HANDOFF_STATEMENTS + BATCH_STATEMENTS, handoffs.statements


async def test_a_group_whose_hand_off_fails_is_marked_failed_and_the_others_hand_over_once(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    await workshop(chat, EIGHT)
    await chat.say("alice", "/tsunagari pairs --talk 1m")
    await chat.wait(seconds=30)
    [bad, *_] = sorted(t.payload["run"] for t in await timers(chat, "talk.end") if t.status == "pending")
    began = talk_host.Host.began

    async def broken(self, ctx, run, step, previous):  # noqa: ANN001
        if run.id == bad:
            raise RuntimeError("a bug in one group's announcement")
        await began(self, ctx, run, step, previous)

    monkeypatch.setattr(talk_host.Host, "began", broken)
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
    began = talk_host.Host.began

    async def stopped(self, ctx, run, step, previous):  # noqa: ANN001
        if run.id == runs[2]:  # two groups' hand-offs are written, not committed
            raise asyncio.CancelledError
        await began(self, ctx, run, step, previous)

    monkeypatch.setattr(talk_host.Host, "began", stopped)
    before = len(chat.runner.world.shown)
    with pytest.raises(asyncio.CancelledError):
        await chat.app.timers.advance_to(chat.app.clock.now() + timedelta(seconds=30))
    assert said(chat.lines_since(before), "has the floor until") == 0  # nothing said of an uncommitted move
    pending = [t for t in await timers(chat, "talk.end") if t.payload["position"] == 0]
    assert {t.status for t in pending} == {"pending"}  # nothing lost: every row is still to fire
    monkeypatch.setattr(talk_host.Host, "began", began)
    await chat.restart()
    lines = chat.lines_since(before)
    assert said(lines, "Time's up, @") == 4
    assert said(lines, "has the floor until") == 4
    ends = [t for t in await timers(chat, "talk.end") if t.payload["position"] == 0]
    assert {t.status for t in ends} == {"done"}
