"""The run sheet as the room lives it: the bot starts each step itself, the facilitator can pause, skip
and stop it, a restart mid-step carries on where it was, and a sheet with an error never starts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from bot.router import Ctx
from bot.steps.models import Step, StepRun
from bot.store.models import Event, Member
from tests.support import Chat

SHEETS = Path(__file__).resolve().parents[1] / "scenarios" / "prompts"
T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
PEOPLE = ("bob", "carol", "dan")


class Room(Chat):
    """A Chat whose lines are what people read, without the time and the place in front."""

    def lines_since(self, index: int) -> list[str]:
        return [line.split(" | ", 1)[-1] for line in super().lines_since(index)]


@pytest.fixture
async def room(database_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Chat]:
    """Alice's event with three people joined; the operator's folder holds the scenarios' sheets."""
    monkeypatch.setenv("TSUNAGARI_PROMPTS_DIR", str(SHEETS))
    chat = Room(database_url, T0)
    await chat.start()
    try:
        await chat.say("alice", '/tsunagari event start "Spring" --lang en --tz UTC')
        for name, org in zip(PEOPLE, ("Fujitsu", "LinkedIn", "Musubi"), strict=True):
            await chat.say(name, f"/tsunagari join --org {org} --languages en")
        yield chat
    finally:
        await chat.close()


async def runs(chat: Chat) -> list[StepRun]:
    async with chat.app.store.session() as session:
        return list((await session.exec(select(StepRun).where(StepRun.ritual == "agenda"))).all())


async def steps(chat: Chat) -> list[Step]:
    (run,) = await runs(chat)
    async with chat.app.store.session() as session:
        return list((await session.exec(select(Step).where(Step.run_id == run.id))).all())


@pytest.mark.db
async def test_each_step_begins_by_itself_with_its_progress(room: Chat) -> None:
    seen = await room.say("alice", "/tsunagari agenda start short")
    assert "Step 1 of 7: Welcome, 2 min left" in seen
    seen = await room.wait(minutes=2)
    assert "Step 2 of 7: One minute each, 3 min left" in seen
    assert any(line.startswith("A round of turns: 3 speakers, 1 min each") for line in seen)
    # The round is the turns ritual's own: its buttons and controls work as usual.
    assert "[Done] [+1 min] [Pause] [Next]" in seen
    seen = await room.wait(minutes=3)
    assert any("The round is over" in line for line in seen)
    assert "Step 3 of 7: What makes it hard?, 3 min left" in seen


@pytest.mark.db
async def test_a_paused_sheet_never_moves_on_and_resumes_with_the_time_it_had(room: Chat) -> None:
    await room.say("alice", "/tsunagari agenda start short")
    await room.wait(seconds=30)
    seen = await room.say("alice", "/tsunagari agenda pause")
    assert "The sheet is paused. Step 1 of 7: Welcome, paused with 1 min 30 s left." in seen
    assert not any("Step 2 of 7" in line for line in await room.wait(hours=2))
    seen = await room.say("alice", "/tsunagari agenda resume")
    assert "The sheet goes on. Step 1 of 7: Welcome, 1 min 30 s left." in seen
    assert not any("Step 2 of 7" in line for line in await room.wait(seconds=89))
    assert "Step 2 of 7: One minute each, 3 min left" in await room.wait(seconds=1)


@pytest.mark.db
async def test_a_restart_mid_step_carries_on_with_the_time_that_was_left(room: Chat) -> None:
    await room.say("alice", "/tsunagari agenda start short")
    await room.wait(minutes=1)
    await room.restart()
    status = await room.say("alice", "/tsunagari agenda status")
    assert "Step 1 of 7: Welcome, 1 min left" in status
    assert "Step 2 of 7: One minute each, 3 min left" in await room.wait(minutes=1)
    await room.restart()
    seen = await room.wait(minutes=3)
    assert "Step 3 of 7: What makes it hard?, 3 min left" in seen


@pytest.mark.db
async def test_a_button_from_an_earlier_step_changes_nothing(room: Chat) -> None:
    await room.say("alice", "/tsunagari agenda start short")
    (run,) = await runs(room)
    await room.say("alice", "/tsunagari agenda next")  # now on step 2
    event = room.runner.adapter.click("alice", "Pause sheet")
    stale = room.runner.adapter.caller("alice", "#main")
    from bot.events import ButtonPressed

    answer = await room.app.core.handle(ButtonPressed(stale, f"agenda:next:{run.id}:0", "stale-1"))
    assert [a.message.text for a in answer] == ["That step is already over."]
    assert event is not None  # the newest Pause sheet belongs to step 2, and works
    assert "The sheet is paused. Step 2 of 7" in " ".join(await room.click("alice", "Pause sheet"))
    positions = {s.position: s.status for s in await steps(room)}
    assert positions[0] == "next" and positions[1] == "active" and positions[2] == "pending"


@pytest.mark.db
async def test_only_a_facilitator_drives_the_sheet(room: Chat) -> None:
    assert "Only a facilitator of this event can run `agenda start`." in await room.say(
        "bob", "/tsunagari agenda start short"
    )
    await room.say("alice", "/tsunagari agenda start short")
    assert "Only a facilitator of this event can run `agenda`." in await room.click("bob", "Next step")
    assert "Step 1 of 7: Welcome, 2 min left" in await room.say("bob", "/tsunagari agenda status")
    assert "A run sheet is already running in this channel." in " ".join(
        await room.say("alice", "/tsunagari agenda start short")
    )


@pytest.mark.db
async def test_a_sheet_with_a_typo_is_refused_and_nothing_is_written(room: Chat) -> None:
    seen = " ".join(await room.say("alice", "/tsunagari agenda start typo"))
    assert "typo.yaml cannot be used: line 11: `promt` is not a kind of step; did you mean `prompt`?" in seen
    assert await runs(room) == []
    assert not any("Step 1 of" in line for line in room.transcript)


@pytest.mark.db
async def test_ending_the_event_stops_the_sheet_and_what_it_runs(room: Chat) -> None:
    await room.say("alice", "/tsunagari agenda start short")
    await room.wait(minutes=2, seconds=30)  # in the round of turns
    asked = " ".join(await room.say("alice", "/tsunagari event end"))
    assert "• the run sheet stops (Step 2 of 7:" in asked  # asked first, with the sheet named
    assert await runs(room) and (await runs(room))[0].status != "stopped"
    seen = await room.say("alice", "/tsunagari event end confirm")
    assert any(line.startswith("The round was stopped.") for line in seen)
    assert any(
        line.startswith("The run sheet A short evening was stopped after 2 of 7 steps") for line in seen
    )
    (run,) = await runs(room)
    assert run.status == "stopped"
    assert not any("Step 3 of 7" in line for line in await room.wait(minutes=30))


@pytest.mark.db
async def test_a_board_short_of_its_minimum_waits_and_reveals_once_the_count_is_shown(room: Chat) -> None:
    await room.say("alice", "/tsunagari agenda start short")
    await room.wait(minutes=5)  # the welcome and the round
    await room.say("bob", "/tsunagari barriers share I fear looking foolish --category fear")
    seen = await room.wait(minutes=3)
    assert any(line.startswith("The board needs 3 cards before the reveal and shows 1.") for line in seen)
    assert not any("Step 4 of 7" in line for line in seen)
    await room.say("carol", "/tsunagari barriers share Nobody talks about loneliness --category taboo")
    await room.say("dan", "/tsunagari barriers share We depend on one organiser --category dependence")
    seen = await room.wait(minutes=2)
    assert any("3 cards, shuffled and grouped by category." in line for line in seen)
    assert "Step 4 of 7: Break, 2 min left" in seen


@pytest.mark.db
async def test_the_event_status_shows_the_live_step(room: Chat) -> None:
    """`event status` (branch room) asks each ritual for a line through the `status_requested` signal."""
    await room.say("alice", "/tsunagari agenda start short")
    await room.wait(minutes=1)
    async with room.app.store.session() as session:
        event = (await session.exec(select(Event))).one()
        viewer = (await session.exec(select(Member).where(Member.user_id == "bob"))).one()
        ctx = Ctx(room.app.core, session, "console", viewer, "#main", event, "en", room.app.clock.now())
        lines: list[str] = []
        await ctx.emit("status_requested", event=event, viewer=viewer, lines=lines)
    assert lines == ["Step 1 of 7: Welcome, 1 min left"]


@pytest.mark.db
async def test_the_january_evening_survives_a_restart_in_the_middle_of_a_talk(room: Chat) -> None:
    await room.say("alice", "/tsunagari agenda start january")
    await room.wait(minutes=13)  # a minute into the pairs' talk
    await room.restart()
    status = await room.say("alice", "/tsunagari agenda status")
    assert "Step 2 of 9: What is tsunagari for you?, 14 min left" in status
    seen = " ".join(await room.say("alice", "/tsunagari agenda pause"))
    assert "The sheet is paused. Step 2 of 9" in seen
    assert (
        "Paused by @alice. @bob still has 4 min" in seen
    )  # the trio's own space: the groups wait with the sheet
    seen = await room.wait(minutes=20)  # paused: nobody's turn ends, nobody is called back
    assert not any("Time to come back" in line or "Step 3 of 9" in line for line in seen)
    seen = " ".join(await room.say("alice", "/tsunagari agenda resume"))
    assert "The sheet goes on. Step 2 of 9: What is tsunagari for you?, 14 min left" in seen
    assert "Resumed by @alice: @bob has the floor" in seen
    seen = await room.wait(minutes=14)  # three people: one trio, 5 min each, a minute of it spoken
    assert "Every group has finished its talk. Time to come back, everyone!" in seen
    assert any(line.startswith("Step 3 of 9: How is it built?") for line in seen) or any(
        "Step 3 of 9: How is it built?" in line for line in seen
    )


@pytest.mark.db
async def test_a_bilingual_room_reads_every_step_in_both_languages(database_url: str, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("TSUNAGARI_PROMPTS_DIR", str(SHEETS))
    chat = Room(database_url, T0)
    await chat.start()
    try:
        await chat.say("alice", '/tsunagari event start "Spring" --lang ja,en --tz UTC')
        seen = await chat.say("alice", "/tsunagari agenda start short")
        assert (
            "今夜の進行表は「短い夜」です。全7ステップ、合計およそ25分です。すべての種類のステップを、手短に。"
            in seen
        )
        assert (
            "Tonight's run sheet: A short evening. 7 steps, about 25 min in all. Every kind of step, briefly."
            in seen
        )
        assert "ステップ1/7：ようこそ（残り2分）" in seen and "Step 1 of 7: Welcome, 2 min left" in seen
        assert "[次のステップへ / Next step] [進行を一時停止 / Pause sheet]" in seen
    finally:
        await chat.close()


@pytest.mark.db
async def test_a_one_on_one_step_whose_pairing_overruns_says_so_and_opens_nothing(room: Chat) -> None:
    """The room's pairing for its one-on-ones runs in the quick worker; held past the bound, the
    facilitator reads what happened in the sheet's words (not `pairs`' advice about `--rounds`)."""
    from bot.compute import Compute
    from bot.rituals.oneonone.models import OneOnOne
    from tests.rituals.pairing.test_planning import HeldPool

    await room.say("alice", "/tsunagari agenda start short")
    for _ in range(4):  # to step 5 of 7, the pairs, matched as usual
        await room.say("alice", "/tsunagari agenda next")
    held = HeldPool()  # from here on, the quick worker never answers
    room.app.core.compute = Compute(mode="process", quick=Compute(executor=held), timeout=0.05)
    seen = await room.say("alice", "/tsunagari agenda next")
    assert "Step 6 of 7: Where do you start?, 15 min left" in seen
    assert (
        "This step could not start its part: Pairing the room for one-on-ones took longer than 0.05 "
        "seconds, so I stopped, and no one-on-one was opened. Press Next step to go on, or fix it and "
        "carry on by hand."
    ) in seen
    assert held.waiting, "the pairing went to the quick worker"
    async with room.app.store.session() as session:
        assert (await session.exec(select(OneOnOne))).all() == []
    assert "Step 7 of 7: Thank you" in " ".join(await room.say("alice", "/tsunagari agenda next"))
