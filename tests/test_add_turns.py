"""The timed-step engine's `add_turns` appends a round's turns as `add_step` would, one at a time."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.router import Ctx
from bot.steps import engine
from bot.steps.models import Step
from bot.store.models import Member
from tests.support import Chat

pytestmark = pytest.mark.db

TENANT = "console"


async def test_add_turns_appends_after_the_steps_already_there(chat: Chat) -> None:
    await chat.say("alice", '/tsunagari event start "Yorimichi"')
    for person in ("bob", "carol", "dan"):
        await chat.say(person, "/tsunagari join")
    await chat.say("alice", "/tsunagari turns @bob @carol --order given --minutes 1")
    async with chat.app.store.session() as session:
        ctx = Ctx(chat.app.core, session, TENANT, None, None, None, "en", chat.app.clock.now())
        run_id = (await session.exec(select(Step.run_id))).first()
        run = await session.get(engine.StepRun, run_id)
        steps = await engine.steps_of(ctx, run)
        assert [(s.position, s.status, s.seconds) for s in steps] == [(0, "active", 60), (1, "pending", 60)]
        dan = (await session.exec(select(Member).where(Member.user_id == "dan"))).one()
        await engine.add_turns(ctx, run, [dan.id, steps[0].member_id], seconds=90)
        await engine.add_turns(ctx, run, [], seconds=90)
        steps = await engine.steps_of(ctx, run)
    assert [(s.position, s.kind, s.member_id, s.seconds, s.status, s.spoken) for s in steps[2:]] == [
        (2, "turn", dan.id, 90, "pending", 0),
        (3, "turn", steps[0].member_id, 90, "pending", 0),
    ]
    assert all(s.tenant_id == TENANT and s.run_id == run.id for s in steps)
