"""bench/room.py at a toy size: each answer gets a row, and `pairs` has the matcher alone beside it."""

from __future__ import annotations

from pathlib import Path

from bench.room import room


async def test_the_room_bench_times_each_answer_and_pairs_against_the_matcher_alone(tmp_path: Path) -> None:
    rows = await room(f"sqlite+aiosqlite:///{tmp_path / 'room.db'}", 12, 1)
    labels = [label for label, _, _ in rows]
    # 12 in the room, one in nine away (the fifth): 11 are paired.
    assert labels == [
        "status, facilitator",
        "status, participant",
        "end asks first",
        "pairs, 11 present",
        "  match() alone, 11",
    ]
    statements = dict((label, count) for label, _, count in rows)
    assert statements["pairs, 11 present"] > 0 and statements["  match() alone, 11"] == 0
    assert all(seconds > 0 for _, seconds, _ in rows)
