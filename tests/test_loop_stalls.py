"""What keeps a real process's event loop from stalling behind work that has no hurry (issue 18): the heap
alive at start-up is out of every later full collection's walk, and the planning worker yields a core to
the loop's process."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
import time
import weakref
from pathlib import Path

from bot.bootstrap import COLLECTOR_THRESHOLDS, build, freeze_start_up
from bot.compute import ORPHAN_CHECK_SECONDS, WORKER_NICENESS, Compute


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_the_start_up_heap_is_frozen_and_no_garbage_with_it() -> None:
    garbage = _Node()
    gone = weakref.ref(garbage)
    del garbage
    kept = _Node()
    thresholds = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # CPython's own, whatever the session set: the change is then visible
    try:
        freeze_start_up()
        assert gone() is None, "garbage is collected before the freeze, never frozen with the rest"
        assert gc.get_freeze_count() > 0 and kept is not None
        assert gc.get_threshold() == COLLECTOR_THRESHOLDS != (700, 10, 10), "young objects get longer to die"
    finally:
        gc.unfreeze()  # the rest of the test session collects as before
        gc.set_threshold(*thresholds)


async def test_a_real_clock_bot_freezes_its_start_up_and_gives_the_collector_back_when_closed(
    tmp_path: Path,
) -> None:
    """A bot on the real clock (`tsunagari run`, the console REPL) freezes what it started with; closed,
    the process it ran in (a test session, a script that goes on) collects as before."""
    from bot.config import Settings

    thresholds = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    app = build(Settings().model_copy(update={"database_url": url, "compute": "inline"}))
    try:
        await app.start()
        assert app.alarm is not None, "the real clock rings alarms"
        assert gc.get_freeze_count() > 0 and gc.get_threshold() == COLLECTOR_THRESHOLDS
        await app.close()
        assert gc.get_freeze_count() == 0 and gc.get_threshold() == (700, 10, 10)
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


async def test_a_worker_runs_at_a_lower_priority_than_the_process_with_the_loop() -> None:
    compute = Compute(mode="process")
    try:
        worker = await compute.run(os.nice, 0)
    finally:
        compute.close()
    assert worker == min(19, os.nice(0) + WORKER_NICENESS)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return "\tZ" not in next(line for line in status if line.startswith("State:"))
    except FileNotFoundError:
        return False


BOT = """
import asyncio, os, sys
from bot.compute import Compute

async def main():
    compute = Compute(mode="process")
    compute.start()
    print(await compute.run(os.getpid), await compute.run_quick(os.getpid), flush=True)
    await asyncio.sleep(60)

if __name__ == "__main__":
    asyncio.run(main())
"""


async def test_a_bot_killed_with_kill_9_leaves_no_workers_behind(tmp_path) -> None:  # noqa: ANN001
    """Nothing tells a pool's workers, nor their forkserver, that the bot died: they waited on their job
    queue for ever, ~90 MB each, another pair at every restart."""
    script = tmp_path / "bot_with_workers.py"
    script.write_text(BOT)
    bot = await asyncio.create_subprocess_exec(
        sys.executable, str(script), stdout=asyncio.subprocess.PIPE, cwd=Path(__file__).parent.parent
    )
    try:
        workers = [int(pid) for pid in (await asyncio.wait_for(bot.stdout.readline(), 60)).split()]
        assert len(workers) == 2 and all(_alive(pid) for pid in workers)
    finally:
        bot.kill()
        await bot.wait()
    deadline = time.monotonic() + 10 * ORPHAN_CHECK_SECONDS
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:  # noqa: ASYNC110 - no event tells of another process ending
        await asyncio.sleep(0.05)
    assert not any(_alive(pid) for pid in workers), "a worker outlived the bot"


async def test_a_worker_that_died_is_replaced_and_the_job_still_gets_its_answer() -> None:
    compute = Compute(mode="process")
    compute.start()
    try:
        workers = [await compute.run(os.getpid), await compute.run_quick(os.getpid)]
        for pid in workers:
            os.kill(pid, signal.SIGKILL)  # the out-of-memory killer, say
        assert await compute.run(os.getpid) not in workers
        assert await compute.run_quick(os.getpid) not in workers
    finally:
        compute.close()
