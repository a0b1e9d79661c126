"""Big plans off the event loop: `pairs --rounds N` answers at once, posts the rounds when they are ready,
keeps the other rooms served meanwhile, stops at its time bound, and writes nothing until it is done."""

from __future__ import annotations

import os
from concurrent.futures import Executor, Future

import pytest
from sqlmodel import select

from adapters.console.adapter import TENANT
from bot.compute import Compute
from bot.rituals.pairing import matcher
from bot.rituals.pairing.models import PairingRound
from tests.support import Chat

pytestmark = pytest.mark.db

NAMES = [f"p{i:02d}" for i in range(12)]
ORGS = ("Fujitsu", "LinkedIn", "NPO", "City")


class HeldPool(Executor):
    """A worker pool that runs nothing until released: the plan is 'still computing' for as long as a
    test needs, with no clock involved."""

    def __init__(self) -> None:
        self.waiting: list[tuple[Future, object]] = []

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        self.waiting.append((future, lambda: fn(*args, **kwargs)))
        return future

    def release(self) -> None:
        for future, call in self.waiting:
            future.set_result(call())
        self.waiting.clear()


async def workshop(chat: Chat, names: list[str] = NAMES) -> None:
    await chat.say("alice", '/tsunagari event start "Rounds" --lang en')
    for index, name in enumerate(names):
        await chat.say(name, f"/tsunagari join --org {ORGS[index % len(ORGS)]} --languages en")


async def command(chat: Chat, user: str, text: str, channel: str = "#main") -> list[str]:
    """A command through the console adapter and the core, without waiting for work it hands on."""
    adapter = chat.runner.adapter
    before = len(chat.runner.world.shown)
    event = adapter.command(user, channel, text)
    await adapter.send(TENANT, await chat.app.core.handle(event), origin=event)
    return chat.lines_since(before)


async def settle(chat: Chat) -> list[str]:
    before = len(chat.runner.world.shown)
    await chat.app.core.settle()
    return chat.lines_since(before)


async def stored_rounds(chat: Chat) -> list[tuple[int, str]]:
    async with chat.app.store.session() as session:
        rows = (await session.exec(select(PairingRound).order_by(PairingRound.number))).all()
        return [(row.number, row.status) for row in rows]


def hold(chat: Chat, *, timeout: float = 60.0) -> HeldPool:
    pool = HeldPool()
    chat.app.core.compute = Compute(executor=pool, timeout=timeout)
    return pool


async def test_a_big_plan_answers_at_once_then_posts_the_first_round_from_a_worker_process(
    chat: Chat,
) -> None:
    await workshop(chat)
    # The real worker: a separate process (forkserver), so the plan crosses a process boundary and back.
    assert chat.app.core.compute.mode == "process"
    lines = await chat.say("alice", "/tsunagari pairs --rounds 11")
    # What alice sees first, before any round: that the plan is on its way.
    assert lines[0].endswith(
        "alice only | Planning the rounds (11 in all) for 12 people… I'll post them here as soon as "
        "they're ready; other commands work meanwhile."
    )
    posted = [line for line in lines if "#main | Round 1" in line]
    assert posted, lines
    assert lines.index(posted[0]) > 0
    assert any("Rounds still planned: 10" in line for line in lines)
    assert await stored_rounds(chat) == [(1, "sent")] + [(n, "planned") for n in range(2, 12)]


async def test_another_room_is_served_while_a_plan_is_computing(chat: Chat) -> None:
    await workshop(chat)
    pool = hold(chat)
    lines = await command(chat, "alice", "/tsunagari pairs --rounds 30")
    assert lines == [
        "[09:00] alice only | Planning the rounds (30 in all) for 12 people… I'll post them here as soon as they're "
        "ready; other commands work meanwhile."
    ]
    # The plan has not finished, yet a facilitator in another channel starts an event and is answered.
    other = await command(chat, "zoe", '/tsunagari event start "Elsewhere"', channel="#other")
    assert any("#other" in line and "Elsewhere" in line for line in other), other
    assert pool.waiting, "the plan finished before the other room was served"
    assert await stored_rounds(chat) == []
    pool.release()
    posted = await settle(chat)
    assert any("#main | Round 1" in line for line in posted), posted
    assert len(await stored_rounds(chat)) == 30


async def test_a_plan_over_its_time_bound_is_stopped_and_nothing_is_stored(chat: Chat) -> None:
    await workshop(chat)
    hold(chat, timeout=0.05)  # never released: the plan can only overrun
    await command(chat, "alice", "/tsunagari pairs --rounds 30")
    lines = await settle(chat)
    assert lines == [
        "[09:00] alice only | Planning took longer than 0.05 seconds, so I stopped. Nothing has changed: "
        "try fewer rounds (`--rounds`), or try again."
    ]
    assert await stored_rounds(chat) == []


async def test_after_a_real_worker_overran_its_bound_the_next_plan_still_comes(chat: Chat) -> None:
    await workshop(chat)
    real = chat.app.core.compute
    real.timeout = 0.001  # far below what 30 rounds take: the worker process is ended mid-plan
    lines = await chat.say("alice", "/tsunagari pairs --rounds 30")
    assert any("Planning took longer than 0.001 seconds" in line for line in lines), lines
    real.timeout = 60.0
    lines = await chat.say("alice", "/tsunagari pairs --rounds 5")
    assert any("#main | Round 1" in line for line in lines), lines


async def test_a_plan_overtaken_by_a_newer_round_is_dropped_and_says_so(chat: Chat) -> None:
    await workshop(chat)
    pool = hold(chat)
    await command(chat, "alice", "/tsunagari pairs --rounds 30")
    await command(chat, "alice", "/tsunagari pairs")  # one round of 12 is made at once, on the loop
    assert await stored_rounds(chat) == [(1, "sent")]
    pool.release()
    lines = await settle(chat)
    assert lines == [
        "[09:00] alice only | Another round of pairs was made while I was planning this one: that one "
        "stands, and this plan was dropped."
    ]
    assert await stored_rounds(chat) == [(1, "sent")]


async def test_a_plan_that_finishes_after_the_event_ended_stores_nothing(chat: Chat) -> None:
    await workshop(chat)
    pool = hold(chat)
    await command(chat, "alice", "/tsunagari pairs --rounds 30")
    await command(chat, "alice", "/tsunagari event end")
    pool.release()
    lines = await settle(chat)
    assert lines == [
        "[09:00] alice only | The event ended while I was planning, so I kept nothing of that plan."
    ]
    assert await stored_rounds(chat) == []


async def test_a_restart_while_planning_leaves_the_earlier_plan_as_it_was(chat: Chat) -> None:
    await workshop(chat)
    await chat.say("alice", "/tsunagari pairs --rounds 3")  # light: planned at once, rounds 2-3 wait
    assert await stored_rounds(chat) == [(1, "sent"), (2, "planned"), (3, "planned")]
    hold(chat)
    await command(chat, "alice", "/tsunagari pairs --rounds 30")
    await chat.restart()  # the process goes away with the plan unfinished
    assert await stored_rounds(chat) == [(1, "sent"), (2, "planned"), (3, "planned")]
    lines = await chat.say("alice", "/tsunagari pairs next")
    assert any("#main | Round 2" in line for line in lines), lines


async def test_a_started_bot_matches_a_round_in_its_quick_worker_while_a_long_plan_holds_the_other(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a real process one round for a room is matched off the event loop (it takes 25-70 ms for 50
    people, a stall for every other room), and not behind a plan of 30 rounds still computing."""
    await workshop(chat)
    held = HeldPool()  # the long plans' worker is busy for as long as the test needs
    compute = Compute(mode="process", executor=held)
    compute.start()  # what a real process does at start-up: the quick worker starts
    chat.app.core.compute = compute
    try:
        await command(chat, "alice", "/tsunagari pairs --rounds 30")
        in_this_process: list[int] = []
        real = matcher._arrange

        def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            in_this_process.append(1)
            return real(*args, **kwargs)

        monkeypatch.setattr(matcher, "_arrange", counted)  # only this process's matcher is counted
        lines = await command(chat, "alice", "/tsunagari pairs")
        assert any("#main | Round 1" in line for line in lines), lines
        assert in_this_process == [], "the round was matched on the event loop"
        assert held.waiting, "the 30 rounds are still with the long plans' worker"
        assert await compute.run_quick(os.getpid) != os.getpid()
    finally:
        compute.close()


async def test_a_quick_match_over_the_time_bound_is_refused_and_nothing_is_stored(chat: Chat) -> None:
    await workshop(chat)
    # The bound is far below a worker's first import of the matcher; the quick worker is not yet warmed.
    compute = Compute(mode="process", timeout=0.001, quick=Compute(mode="process", timeout=0.001))
    chat.app.core.compute = compute
    try:
        lines = await chat.say("alice", "/tsunagari pairs")
        assert lines == [
            "[09:00] alice only | Planning took longer than 0.001 seconds, so I stopped. Nothing has changed: "
            "try fewer rounds (`--rounds`), or try again."
        ]
        assert await stored_rounds(chat) == []
        compute.timeout = 60.0
        lines = await chat.say("alice", "/tsunagari pairs")
        assert any("#main | Round 1" in line for line in lines), lines
    finally:
        compute.close()
