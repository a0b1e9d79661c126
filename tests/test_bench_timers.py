"""bench/timers.py at a toy size: rounds in groups started at once hand every floor on, through the console."""

from __future__ import annotations

from pathlib import Path

from bench.timers import run


async def test_two_groups_at_once_announce_every_hand_off(tmp_path: Path) -> None:
    # Real clock (the bench's point), 1-second turns: a group of 2 and one of 3, five hand-offs in ~3 s.
    rows = await run(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", [2, 3], 1, command="bench round")
    assert len(rows) == 5, "every turn's end, the last ones to the summary, was announced"
    for claimed, announced in rows:
        assert 0 <= claimed <= announced, "the announcement reaches the console after the row is claimed"
