"""What keeps a real process's event loop from stalling behind work that has no hurry (issue 18): the heap
alive at start-up is out of every later full collection's walk, and the planning worker yields a core to
the loop's process."""

from __future__ import annotations

import gc
import os
import weakref

from bot.bootstrap import COLLECTOR_THRESHOLDS, freeze_start_up
from bot.compute import WORKER_NICENESS, Compute


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_the_start_up_heap_is_frozen_and_no_garbage_with_it() -> None:
    garbage = _Node()
    gone = weakref.ref(garbage)
    del garbage
    kept = _Node()
    thresholds = gc.get_threshold()
    try:
        freeze_start_up()
        assert gone() is None, "garbage is collected before the freeze, never frozen with the rest"
        assert gc.get_freeze_count() > 0 and kept is not None
        assert gc.get_threshold() == COLLECTOR_THRESHOLDS != thresholds, "young objects get longer to die"
    finally:
        gc.unfreeze()  # the rest of the test session collects as before
        gc.set_threshold(*thresholds)


async def test_a_worker_runs_at_a_lower_priority_than_the_process_with_the_loop() -> None:
    compute = Compute(mode="process")
    try:
        worker = await compute.run(os.nice, 0)
    finally:
        compute.close()
    assert worker == min(19, os.nice(0) + WORKER_NICENESS)
