"""SQLite before 3.35 has no RETURNING. The places that insert many rows at once (a round of pairs, an
event's nudges) fall back to a row at a time; the whole evening still works and leaves the same rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.rituals.nudges.models import Nudge
from bot.store.models import Connection, Timer
from tests.support import Chat


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_pairs_and_the_nudges_of_an_event_end_work_without_returning(database_url: str) -> None:
    chat = Chat(database_url, datetime(2026, 1, 15, 9, 0, tzinfo=UTC), zone="Asia/Tokyo")
    await chat.start()
    try:
        dialect = chat.app.store.engine.dialect
        for flag in (
            "insert_returning",
            "update_returning",
            "insert_executemany_returning",
            "insert_executemany_returning_sort_by_parameter_order",
        ):
            setattr(dialect, flag, False)
        await chat.say("alice", '/tsunagari event start "Yorimichi" --lang en --tz Asia/Tokyo')
        for person in ("bob", "carol", "dan", "erin"):
            await chat.say(person, "/tsunagari join")
        await chat.say("alice", "/tsunagari pairs")
        await chat.say("alice", "/tsunagari pairs send")
        await chat.say("alice", "/tsunagari event end")
        async with chat.app.store.session() as session:
            links = (await session.exec(select(Connection))).all()
            nudges = (await session.exec(select(Nudge))).all()
            timers = {t.id: t for t in (await session.exec(select(Timer))).all()}
        assert len(links) == 2 and all(link.times_met == 1 for link in links)
        assert len(nudges) == 3 * 4  # three steps for each of the four who met someone
        for nudge in nudges:
            timer = timers[nudge.timer_id]
            assert (timer.kind, timer.payload, timer.due_at) == (
                "nudges.due",
                {"nudge": nudge.id},
                nudge.due_at,
            )
        lines = await chat.wait(days=1)
        assert sum("DM " in line and "You met" in line for line in lines) == 4
    finally:
        await chat.close()
