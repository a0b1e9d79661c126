"""Compute: CPU-heavy work (round planning, matching a large room) run off the event loop, with a time bound.

The matcher is pure Python and numpy on small arrays, so it holds the GIL: in a thread it would still
starve the loop that serves every other room (measured in bench/pairing.py, thread against process). It
runs in a process pool the composition root owns. A job that overruns its bound is abandoned and the
pool's processes are ended, so a runaway plan never keeps a core busy for the next one.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any, Literal, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
Mode = Literal["process", "thread", "inline"]


async def breathe(done: int, every: int = 20) -> None:
    """In a long loop that must stay on the event loop (it builds a transaction's rows or actions), let the
    loop serve other rooms after every `every` items, so the whole loop is never one long stall."""
    if done and done % every == 0:
        await asyncio.sleep(0)


class ComputeTimeout(Exception):
    """The job took longer than its bound; nothing it would have produced is used."""


WORKER_NICENESS = 10  # how much lower than the bot's own process a worker runs


ORPHAN_CHECK_SECONDS = 1.0  # how often a worker looks whether the process that started it is still there


def _end_with_bot(bot: int) -> None:
    """A worker's first act: end itself once the bot process `bot` is gone. A pool's workers wait on their
    job queue for ever, and when the bot is killed (`kill -9`, the OOM killer) nothing tells them, nor
    their forkserver (each worker holds the pipe that would): every restart would leave another ~90 MB of
    workers behind."""

    def watch() -> None:
        while True:
            time.sleep(ORPHAN_CHECK_SECONDS)
            try:
                os.kill(bot, 0)
            except ProcessLookupError:
                os._exit(0)
            except OSError:
                pass  # alive, but not ours to signal

    threading.Thread(target=watch, name="orphan-check", daemon=True).start()


def _lower_priority(bot: int) -> None:
    """A long plans' worker's first act: run at a lower priority than the process that holds the event
    loop. Planning a big room keeps a core busy for seconds; on a machine short of cores the loop then
    waited for one, and every room stalled behind a job that had no hurry. Where the system refuses, it
    runs as it is."""
    _end_with_bot(bot)
    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):
        pass


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", "?")


def _warm() -> None:
    # Importing the matcher (and numpy) takes a worker ~0.2 s once: done at start-up, not on a first plan.
    import bot.rituals.pairing.matcher  # noqa: F401


class Compute:
    """Runs a picklable function in a worker and awaits it without blocking the loop.

    `mode`: "process" (the default: a spawn-free forkserver pool where the platform has one), "thread"
    (for comparison in the benchmark; the GIL still stalls the loop), or "inline" (on the loop itself).
    `executor` replaces the pool (tests hold a job back with one to show the loop stays free meanwhile).
    """

    def __init__(
        self,
        *,
        mode: Mode = "process",
        workers: int = 1,
        timeout: float = 60.0,
        executor: Executor | None = None,
        quick: Compute | None = None,
    ) -> None:
        self.mode, self.workers, self.timeout = mode, workers, timeout
        self._executor = executor
        self._owned = executor is None
        self._priority: Callable[[int], None] = _lower_priority
        # The quick lane: one round for a room of 50 (25-70 ms of CPU) is too short to answer "planning…"
        # for, and too long to run on the loop beside a hundred rooms. A started process-mode Compute (a
        # real bot process) gives it a worker of its own, at the bot's priority, so it never queues behind
        # a plan of 30 rounds. Until then (console scripts, tests on a virtual clock) it runs inline.
        # A test may hand in its own quick lane (a held pool, a tight bound).
        self._quick: Compute | None = quick

    def _pool(self) -> Executor:
        if self._executor is None:
            if self.mode == "thread":
                self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="compute")
            else:
                methods = multiprocessing.get_all_start_methods()
                # Never fork: the parent holds an event loop, database connections and sockets.
                context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
                self._executor = ProcessPoolExecutor(
                    self.workers, mp_context=context, initializer=self._priority, initargs=(os.getpid(),)
                )
            self._owned = True
        return self._executor

    def start(self) -> None:
        """Start the workers now and let them import the matcher, so the first plan pays no start-up."""
        if self.mode != "inline":
            self._pool().submit(_warm)
        if self.mode == "process" and self._quick is None:
            self._quick = Compute(mode="process", timeout=self.timeout)
            self._quick._priority = _end_with_bot  # as urgent as the loop's own work
            self._quick._pool().submit(_warm)

    async def run_quick(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` that takes tens of ms: awaited by the command, off the loop in the quick
        worker once started (inline before). Raises ComputeTimeout after the same bound."""
        if self._quick is None:
            return fn(*args, **kwargs)
        self._quick.timeout = self.timeout
        return await self._quick.run(fn, *args, **kwargs)

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` in a worker; raises ComputeTimeout after the bound."""
        if self.mode == "inline":
            return fn(*args, **kwargs)
        bound = self.timeout
        for attempt in (1, 2):
            try:
                future = asyncio.get_running_loop().run_in_executor(
                    self._pool(), partial(fn, *args, **kwargs)
                )
                return await asyncio.wait_for(future, bound)
            except BrokenProcessPool:
                # A worker died (killed, out of memory): the pool refuses every job from then on. Start
                # new workers and try this job once more there.
                if attempt == 2:
                    raise
                log.warning("a worker process died; starting new workers for the %s job", _name(fn))
                self._abandon()
            except TimeoutError:
                log.warning("a %s job overran its %.1f s bound and was abandoned", _name(fn), bound)
                self._abandon()
                raise ComputeTimeout from None
        raise AssertionError("unreachable")

    def _abandon(self) -> None:
        """A process pool cannot cancel a running job: end its processes; the next job gets a new pool."""
        executor, self._executor = self._executor, None
        if executor is None or not self._owned:
            self._executor = executor
            return
        if isinstance(executor, ProcessPoolExecutor):
            for process in list(getattr(executor, "_processes", {}).values()):
                process.terminate()
        executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self._executor is not None and self._owned:
            self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = None
        if self._quick is not None:
            self._quick.close()
