"""bench/timers.py at a toy size: rounds in groups started at once hand every floor on, through the console."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bench.timers import run, run_talk
from bot.clock import VirtualClock


async def test_two_groups_at_once_announce_every_hand_off(tmp_path: Path) -> None:
    # Real clock (the bench's point), 1-second turns: a group of 2 and one of 3, five hand-offs in ~3 s.
    rows = await run(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", [2, 3], 1, command="bench round")
    assert len(rows) == 5, "every turn's end, the last ones to the summary, was announced"
    for claimed, announced in rows:
        assert 0 <= claimed <= announced, "the announcement reaches the console after the row is claimed"


async def test_a_talk_in_groups_announces_every_groups_hand_off(tmp_path: Path) -> None:
    # `pairs --talk` for 5 people (a pair and a trio) on a virtual clock stepped by the alarm: the talk case's
    # accounting (each group's own space, every turn's end) without minutes of waiting.
    clock = VirtualClock(datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    rows = await run_talk(f"sqlite+aiosqlite:///{tmp_path / 't.db'}", 5, 30, clock=clock)
    assert len(rows) == 5, "every person's turn ended and the next floor (or the end) reached their group"
    assert all(claimed == announced == 0 for claimed, announced in rows), "virtual time stops at each due row"
