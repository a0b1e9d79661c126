"""The board's count and the "me too" counts change in batches on a one-minute grid, never at the moment
someone acts, so watching the board cannot tell anyone who just shared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.rituals.barriers.refresh import next_refresh
from bot.store.models import Timer
from tests.support import Chat


def _board_updates(chat: Chat) -> list[tuple[datetime, str]]:
    """(time, count line) for every update of the board everyone sees in #main."""
    return [
        (shown.at, next(line for line in shown.lines if "Cards in" in line).split("| ", 1)[1])
        for shown in chat.runner.world.shown
        if shown.place == "#main" and shown.lines and "(updated)" in shown.lines[0]
        and any("Cards in" in line for line in shown.lines)
    ]  # fmt: skip


def test_the_next_refresh_is_the_first_grid_point_after_now() -> None:
    opened = datetime(2026, 1, 15, 9, 0, 0, tzinfo=UTC)
    assert next_refresh(opened, opened) == opened + timedelta(minutes=1)
    assert next_refresh(opened, opened + timedelta(seconds=59)) == opened + timedelta(minutes=1)
    assert next_refresh(opened, opened + timedelta(minutes=1)) == opened + timedelta(minutes=2)
    assert next_refresh(opened, opened + timedelta(minutes=7, seconds=1)) == opened + timedelta(minutes=8)


@pytest.mark.db
async def test_three_shares_in_one_minute_show_once_on_the_grid_not_when_each_was_typed(chat: Chat) -> None:
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    for name in ("bob", "carol", "dan"):
        await chat.say(name, "join")
    await chat.say("alice", "barriers open")  # 09:00:00: the grid is 09:01, 09:02, ...
    # Bob, Carol and Dan share at 09:00:10, :25 and :45. The board does not move as they do.
    for name, wait in (("bob", 10), ("carol", 15), ("dan", 20)):
        await chat.wait(seconds=wait)
        await chat.say(name, f'barriers share "card from someone, number {wait}"')
    assert _board_updates(chat) == []
    # At 09:01:00 everyone sees one update with all three.
    await chat.wait(seconds=15)
    assert _board_updates(chat) == [(datetime(2026, 1, 15, 9, 1, tzinfo=UTC), "Cards in: 3")]


@pytest.mark.db
async def test_a_share_and_a_withdrawal_in_one_minute_show_nothing_at_all(chat: Chat) -> None:
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    await chat.say("bob", "join")
    await chat.say("alice", "barriers open")
    await chat.say("bob", 'barriers share "second thoughts"')
    await chat.wait(seconds=20)
    await chat.say("bob", "barriers withdraw 1")
    await chat.wait(minutes=3)
    assert _board_updates(chat) == [], "the count never changed, so the board says nothing"


@pytest.mark.db
async def test_a_late_share_waits_for_its_own_grid_point_and_survives_a_restart(chat: Chat) -> None:
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    await chat.say("bob", "join")
    await chat.say("alice", "barriers open")
    await chat.wait(minutes=2, seconds=30)
    await chat.say("bob", 'barriers share "late but here"')  # 09:02:30
    await chat.restart()
    await chat.wait(seconds=29)
    assert _board_updates(chat) == []
    await chat.wait(seconds=1)
    assert _board_updates(chat) == [(datetime(2026, 1, 15, 9, 3, tzinfo=UTC), "Cards in: 1")]


@pytest.mark.db
async def test_me_too_counts_change_in_a_batch_and_the_voter_is_told_privately(chat: Chat) -> None:
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    for name in ("bob", "carol", "dan"):
        await chat.say(name, "join")
    await chat.say("alice", "barriers open")
    for name in ("bob", "carol", "dan"):
        await chat.say(name, f'barriers share "a card that is true, says {name}" --category trust')
    await chat.wait(minutes=1)  # the board shows the count the reveal decides on
    await chat.say("alice", "barriers reveal")
    seen = await chat.click("bob", "Me too #2") + await chat.click("carol", "Me too #2")
    assert [line for line in seen if "#main" in line] == [], "nothing public moves when someone votes"
    assert any("bob only | Counted" in line for line in seen)
    later = await chat.wait(minutes=1)
    assert any("Me too: 2" in line for line in later if "#main (updated)" in line)


@pytest.mark.db
async def test_no_timer_row_dates_a_share_more_finely_than_the_grid(chat: Chat) -> None:
    """Bob shares at 09:00:17, Carol withdraws hers at 09:01:43, Dan says "me too" at 09:03:29: the refresh
    timers they arm record only grid points (when made, when due), never those seconds."""
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    for name in ("bob", "carol", "dan"):
        await chat.say(name, "join")
    await chat.say("alice", "barriers open --min 2")  # 09:00:00
    await chat.wait(seconds=17)
    await chat.say("bob", 'barriers share "a card from bob"')
    await chat.say("carol", 'barriers share "a card from carol, twice"')
    await chat.say("carol", 'barriers share "a card from carol, once"')
    await chat.wait(minutes=1, seconds=26)
    await chat.say("carol", "barriers withdraw 1")  # 09:01:43
    await chat.wait(minutes=1, seconds=17)
    await chat.say("alice", "barriers reveal")  # 09:03:00
    await chat.wait(seconds=29)
    await chat.say("dan", "barriers metoo 1")  # 09:03:29
    await chat.wait(minutes=1)
    await chat.say("alice", "barriers close")
    async with chat.app.store.engine.connect() as connection:
        rows = (
            await connection.execute(
                select(Timer.created_at, Timer.due_at, Timer.fired_at).where(Timer.kind == "barriers.refresh")
            )
        ).all()
    opened = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    assert len(rows) == 3, "one refresh for each minute with a change"
    for row in rows:
        for stamp in row:
            if stamp is not None:
                stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
                assert (stamp - opened) % timedelta(minutes=1) == timedelta(0), f"{stamp} is off the grid"
