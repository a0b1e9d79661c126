"""bench/load.py at a toy size: every event runs its whole workshop, with no internal error."""

from __future__ import annotations

import asyncio
import gc
import time
from pathlib import Path

import pytest

from bench.load import MILESTONES, RealTime, _meant, fill_history, run, unpack
from bench.stalls import StallSampler


async def test_two_small_events_at_once_run_every_ritual(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The bench's own pauses (people within their windows, a speaker talking out a minute) on a virtual
    # clock that jumps ahead when everyone waits: the whole evening in a few seconds.
    url = f"sqlite+aiosqlite:///{tmp_path / 'load.db'}"
    await fill_history(url, 2, 2, 6)  # two earlier events in the same channels, by the same people
    # With the stall sampler (--stalls): the lag monitor ticks it from the loop, its thread watches.
    sampler = StallSampler()
    load, wall, missing = await run(
        url, 2, 6, pace=1.0, stagger=60, simulated=True, talk_seconds=30, stalls=sampler
    )
    stats = load.stats
    assert stats.errors == [] and stats.missing == [] and missing == 0
    assert dict(stats.refused) == {}, "the script does nothing a user could get wrong"
    counts = {what: len(values) for what, values in stats.replies_ms.items()}
    assert counts["event start"] == counts["event end"] == counts["pairs"] == counts["pairs --talk"] == 2
    assert counts["join"] == 12
    assert counts["barriers share"] + counts["barriers share (form)"] == 12
    assert counts["barriers Me too (button)"] == 12
    assert stats.timers_ms, "jumping the virtual clock fired the turns' and boards' timers"
    assert max(max(late) for late in stats.timers_late_ms.values()) == 0, (
        "each jump stops at the next wake-up; timers due sooner fire on the way"
    )
    for n in range(2):
        # Among them: a turn ran out on the clock, not by a press; the revealed board counted "me too";
        # every group's talk ended and the channel was called back.
        assert load.world.reached[f"#ev{n:03d}"] == set(MILESTONES) | {"talk over"}
    assert len(stats.talk_late_ms) == 12, "each person's talk turn ended and their group heard what next"
    # The floor replayed each command's own statements (the same count the command sent).
    assert set(stats.floor_ms) == set(stats.replies_ms)
    assert stats.floor_statements == sum(len(unpack(s)) for kept in stats.samples.values() for s in kept) > 0
    assert all(isinstance(s, bytes) for kept in stats.samples.values() for s in kept), (
        "every command ended: its SQL is packed, out of the garbage collector's way"
    )
    # The sampler watched the whole run and stopped with it; its report says what it saw (how much is the
    # machine's business: nothing here depends on how long anything took).
    assert sampler.ticks > 0 and sampler._thread is None
    assert sampler._gc not in gc.callbacks
    sampler.print_report()
    out = capsys.readouterr().out
    assert "times the loop did not tick for > 40 ms" in out and "gc gen 2:" in out


async def test_people_waiting_for_their_moment_are_one_task_and_each_act_is_clocked_from_its_own() -> None:
    # Four people whose moments are 0.2, 0, 0.1 and 0.1 s away, on a clock the test moves: each wait
    # lets the acts already started run, notes how many tasks exist, then moves the clock on.
    clock = [100.0]
    waits: list[tuple[float, int]] = []

    async def wait(seconds: float) -> None:
        await asyncio.sleep(0)
        waits.append((seconds, len(asyncio.all_tasks())))
        clock[0] += seconds

    delays = [0.2, 0.0, 0.1, 0.1]
    started: list[tuple[int, float | None]] = []

    async def act(n: int) -> None:
        started.append((n, _meant.get()))  # what the command's clock would start from

    await RealTime(now=lambda: clock[0], wait=wait).stagger(delays, act)
    assert [n for n, _ in started] == [1, 2, 3, 0], "in the order of their moments, ties as given"
    # Two waits (to 0.1 and to 0.2). While people waited, only this test's task existed (the stagger runs
    # in it): no sleeping task a person (each ~15 objects in the bot's heap).
    assert waits == [(pytest.approx(0.1), 1), (pytest.approx(0.1), 1)]
    moments = dict(started)
    assert moments == {n: pytest.approx(100.0 + delay) for n, delay in enumerate(delays)}, (
        "each act is clocked from its own moment, however late its task began"
    )
    assert _meant.get() is None, "the caller's next command is not clocked from anyone's moment"


async def test_the_census_counts_what_a_full_collection_walks_and_is_no_stall_of_its_own(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A short threshold, so the census's pause is many times what would count as a stall on any machine.
    sampler = StallSampler(threshold=0.010, interval=0.002, census=True)
    sampler.start()
    try:
        kept = [_Mark() for _ in range(300_000)]
        gc.collect()  # a full collection: the next tick counts the heap
        assert sampler.heaps == []
        before = time.perf_counter()
        sampler.tick()
        after = time.perf_counter()
        sampler.tick()  # one census a collection, not one a tick
        for _ in range(50):  # the probe goes on ticking while the watchdog looks
            await asyncio.sleep(0.002)
            sampler.tick()
    finally:
        sampler.stop()
    assert len(sampler.heaps) == 1
    _, tracked, kinds = sampler.heaps[0]
    assert kinds[f"{__name__}._Mark"] == len(kept) and tracked >= len(kept)
    ((began, ended),) = sampler.census_spans
    assert before <= began < ended <= after
    assert ended - began > sampler.threshold, "the census lasted long enough to look like a stall"
    assert not any(min(end, ended) > max(start, began) for start, end in sampler.stalls), (
        "the census's own pause is not counted as a stall"
    )
    sampler.print_report()
    out = capsys.readouterr().out
    assert f"{__name__}._Mark" in out and "objects the collector tracked after each full collection" in out


class _Mark:
    """An object the collector tracks (it has a __dict__)."""
