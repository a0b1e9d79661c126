"""Timed talk in small groups, through its public API (what a run sheet's step calls, from a timer with no
caller) and through commands: what the groups and the channel see, the `talk_finished` signal (once per
talk), a talk stopped twice, a late joiner, a room matched in the worker, and what the database keeps."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from sqlmodel import col, select

from bot.errors import UserError
from bot.rituals.pairing import ritual as pairing
from bot.rituals.talk import start_talk, stop_talk
from bot.rituals.talk.models import Talk, TalkGroup
from bot.router import Ctx, Router
from bot.steps.models import Step, StepRun
from bot.store.models import Event
from tests.support import Chat

pytestmark = pytest.mark.db
NINE = ("bob", "carol", "dave", "erin", "frank", "gina", "hiro", "ivy", "jun")


async def workshop(chat: Chat, people=NINE) -> None:
    await chat.say("alice", '/tsunagari event start "Talk" --lang en')
    for person in people:
        await chat.say(person, "/tsunagari join")


def listen(chat: Chat) -> list[tuple[int, int]]:
    """Every `talk_finished` the core emits, as (event id, talk id)."""
    heard: list[tuple[int, int]] = []
    router = Router("listener")

    @router.on("talk_finished")
    async def finished(ctx: Ctx, event: Event, talk_id: int) -> None:
        heard.append((event.id, talk_id))

    chat.app.core.routers.append(router)
    return heard


async def as_a_timer(chat: Chat, act: Callable[[Ctx, Event], Awaitable[object]]) -> tuple[object, list[str]]:
    """Run `act` as a timer's handler does: its own transaction, no caller, no channel; then deliver."""
    core, before = chat.app.core, len(chat.runner.world.shown)
    async with core.store.session() as session:
        ctx = Ctx(core, session, "console", None, None, None, "en", core.clock.now())
        event = (await session.exec(select(Event).where(Event.status == "open"))).one()
        result = await act(ctx, event)
        await session.commit()
    core._arm(ctx)
    await chat.runner.adapter.send("console", ctx.actions)
    await core.settle()
    return result, chat.lines_since(before)


async def talks(chat: Chat) -> list[Talk]:
    async with chat.app.store.session() as session:
        return list((await session.exec(select(Talk).order_by(col(Talk.id)))).all())


async def group_runs(chat: Chat, talk_id: int) -> list[tuple[StepRun, list[Step]]]:
    async with chat.app.store.session() as session:
        runs = (
            await session.exec(
                select(StepRun)
                .join(TalkGroup, col(TalkGroup.run_id) == StepRun.id)
                .where(TalkGroup.talk_id == talk_id)
                .order_by(col(StepRun.id))
            )
        ).all()
        out = []
        for run in runs:
            steps = (
                await session.exec(select(Step).where(Step.run_id == run.id).order_by(col(Step.position)))
            ).all()
            out.append((run, list(steps)))
        return out


def said(lines: list[str], text: str) -> int:
    return sum(text in line for line in lines)


async def test_the_api_starts_every_group_from_a_timer_and_signals_the_end_once(chat: Chat) -> None:
    await workshop(chat)
    heard = listen(chat)
    talk_id, lines = await as_a_timer(
        chat, lambda ctx, event: start_talk(ctx, event, seconds=60, source="agenda")
    )
    assert isinstance(talk_id, int)
    [talk] = await talks(chat)
    assert (talk.id, talk.status, talk.source, talk.seconds) == (talk_id, "running", "agenda", 60)
    groups = await group_runs(chat, talk_id)
    assert sorted(len(steps) for _, steps in groups) == [2, 2, 2, 3]  # nine people: one trio
    assert said(lines, "#main | Timed talk in 4 groups: each person has 1 min") == 1
    assert said(lines, "has the floor until 09:01 (1 min).") == 4
    assert not any(line.startswith("[09:00] #main") and "has the floor" in line for line in lines)

    lines = await chat.wait(minutes=3)  # the trio's three turns
    assert said(lines, "#main | Every group has finished its talk. Time to come back, everyone!") == 1
    assert heard == [(talk.event_id, talk_id)]
    assert said(lines, "Yours was the last group") == 1
    assert said(lines, "Other groups are still talking") == 3
    [talk] = await talks(chat)
    assert talk.status == "finished"
    for run, steps in await group_runs(chat, talk_id):
        assert run.status == "finished" and all(step.status == "timeup" for step in steps)
    # Its end came from the last group's timer; a step's end arriving after it changes nothing.
    _, lines = await as_a_timer(chat, lambda ctx, event: stop_talk(ctx, event, talk_id))
    assert lines == [] and heard == [(talk.event_id, talk_id)]


async def test_stopping_a_talk_calls_everyone_back_once_and_is_safe_to_repeat(chat: Chat) -> None:
    await workshop(chat, NINE[:5])
    heard = listen(chat)
    talk_id, _ = await as_a_timer(chat, lambda ctx, event: start_talk(ctx, event, seconds=120))
    await chat.wait(seconds=40)
    _, lines = await as_a_timer(chat, lambda ctx, event: stop_talk(ctx, event, talk_id))
    assert said(lines, "Time to come back to the event channel. No rush") == 2  # both groups, in their DMs
    assert said(lines, "#main | Time to come back, everyone!") == 1
    assert len(heard) == 1
    _, again = await as_a_timer(chat, lambda ctx, event: stop_talk(ctx, event, talk_id))
    assert again == [] and len(heard) == 1
    assert await chat.wait(minutes=10) == []  # no timer of a stopped group speaks
    for run, _ in await group_runs(chat, talk_id):
        assert run.status == "stopped"


async def test_a_talk_cannot_start_twice_or_with_too_few_people_or_time(chat: Chat) -> None:
    await workshop(chat, ("bob",))
    with pytest.raises(UserError) as error:
        await as_a_timer(chat, lambda ctx, event: start_talk(ctx, event, seconds=120))
    assert error.value.key == "pairs.too_few"
    with pytest.raises(UserError) as error:
        await as_a_timer(chat, lambda ctx, event: start_talk(ctx, event, seconds=10))
    assert error.value.key == "talk.error.seconds_range"
    assert await talks(chat) == []  # nothing was kept of either
    await chat.say("carol", "/tsunagari join")
    await chat.say("alice", "/tsunagari pairs --talk 2m")
    lines = await chat.say("alice", "/tsunagari pairs --talk 2m")
    assert said(lines, "alice only | A timed talk is already running in this event.") == 1
    with pytest.raises(UserError) as error:
        await as_a_timer(chat, lambda ctx, event: start_talk(ctx, event, seconds=120))
    assert error.value.key == "talk.error.running"
    assert len(await talks(chat)) == 1


async def test_a_late_joiner_goes_into_the_smallest_group_and_speaks_last(chat: Chat) -> None:
    await workshop(chat, NINE[:5])  # a pair and a trio
    await chat.say("alice", "/tsunagari pairs --talk 2m")
    [talk] = await talks(chat)
    lines = await chat.say("kai", "/tsunagari join")
    groups = await group_runs(chat, talk.id)
    [(pair_run, pair_steps)] = [(r, s) for r, s in groups if len(s) == 3 and s[-1].status == "pending"][:1]
    assert pair_steps[-1].member_id is not None and pair_steps[-1].position == 2
    assert said(lines, "joins your group. The talk carries on in a new conversation with all of you.") == 1
    assert said(lines, "@kai has just joined the event and joins this group, to speak last.") == 1
    # Leaving and joining again does not give a second turn.
    await chat.say("kai", "/tsunagari leave")
    await chat.say("kai", "/tsunagari join")
    after = await group_runs(chat, talk.id)
    assert sum(len(s) for _, s in after) == 6
    lines = await chat.wait(minutes=7)
    assert said(lines, "Time's up, @kai. Thank you!") == 0  # kai left: the turn is marked left
    assert said(lines, "#main | Every group has finished its talk.") == 1


async def test_a_big_room_is_matched_in_the_worker_and_its_groups_begin_after(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pairing, "INLINE_PEOPLE", 4)  # five people count as a big room here
    await workshop(chat, NINE[:5])
    heard = listen(chat)
    lines = await chat.say("alice", "/tsunagari pairs --talk 1m")
    assert said(lines, "alice only | Matching 5 people") == 1
    assert said(lines, "#main | Timed talk in 2 groups") == 1  # settled before the next line
    [talk] = await talks(chat)
    assert talk.status == "running"
    await chat.wait(minutes=4)
    assert len(heard) == 1


async def test_a_forgotten_member_is_no_longer_in_the_groups_space(chat: Chat) -> None:
    await workshop(chat, NINE[:3])  # one trio
    await chat.say("alice", "/tsunagari pairs --talk 2m")
    lines = await chat.say("carol", "/tsunagari forget-me confirm")
    lines += await chat.wait(minutes=7)
    places = {line.split(" | ", 1)[0][8:] for line in lines if line[8:].startswith("DM ")}
    assert places == {"DM bob+dave"}  # the others carry on; nothing more reaches carol
    assert said(lines, "DM bob+dave | Time's up, @dave. Thank you!") == 1
    assert said(lines, "#main | Every group has finished its talk.") == 1
