"""A stall sampler: what the event loop's thread was doing whenever the loop stopped ticking.

A probe task on the loop calls `tick()` every time it wakes (bench/load.py's lag monitor, every 10 ms). A
watchdog *thread* looks every `interval` (5 ms): once the loop has not ticked for `threshold` (40 ms), it
samples the loop thread's stack (`sys._current_frames()`) every `interval` until the loop ticks again. At
the end, `print_report` gives the stacks seen during stalls, each summed into the ms of stall it accounts
for: its innermost frames in the project's own code (bot/, adapters/, bench/) and the library frame the
thread was in beneath them. A sample accounts for the time since the one before it; the first sample of a
stall also takes the `threshold` that passed before anyone looked, so each stall's ms are all attributed.

Garbage collection is timed through `gc.callbacks`: every collection's length by generation, and how much
of it fell inside a stall; a sample taken while a collection runs is filed under "gc gen N" beside the
stack that allocated into it; and how many objects each freed (a pause that frees many is the freeing, and
the cycles the code left behind, more than the walk).

The watchdog needs the GIL to sample: it gets it within the interpreter's switch interval (5 ms) while the
loop runs Python, but not while a C call holds the GIL, so a sample can land late (never early); the
stall's total is measured from the loop's ticks and does not depend on it.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OWN = tuple(str(ROOT / part) + "/" for part in ("bot", "adapters", "bench"))
OWN_FRAMES = 3  # the innermost frames of the project's code in a stack's key


def _where(frame: FrameType, line: bool = True) -> str:
    code = frame.f_code
    path = code.co_filename
    if path.startswith(str(ROOT) + "/"):
        path = path[len(str(ROOT)) + 1 :]
    elif "-packages/" in path:
        path = path.split("-packages/", 1)[1]
    elif "/lib/python" in path:
        path = path.split("/lib/python", 1)[1].split("/", 1)[-1]
    return f"{path}:{frame.f_lineno} {code.co_name}" if line else f"{path} {code.co_name}"


def summarise(frame: FrameType | None, task: asyncio.Task | None = None) -> tuple[str, str]:
    """A stack as the library frames the thread was in (the one the project's code called, and the
    innermost, if they differ) and then its innermost project frames, innermost first (the innermost by
    its function, the others by the line that called in); and the innermost project frame alone.

    Code SQLAlchemy runs for an async session runs in a greenlet, whose frames end at the greenlet: no
    project frame calls them. The project's frames are then the running task's (its coroutines' chain of
    awaits, the innermost awaiting the greenlet), from the first marked "task:"."""
    library: list[FrameType] = []  # library frames beneath the innermost own frame, innermost first
    own: list[str] = []
    this = __file__
    walked: set[int] = set()
    while frame is not None and len(own) < OWN_FRAMES:
        walked.add(id(frame))
        filename = frame.f_code.co_filename
        if filename == this:
            pass  # the sampler's own gc callback, the moment a collection ends
        elif filename.startswith(OWN):
            own.append(_where(frame, line=bool(own)))  # the innermost moves while it runs: no line
        elif not own:
            library.append(frame)
        frame = frame.f_back
    if len(own) < OWN_FRAMES and frame is None and task is not None:
        awaiting = []  # the task's coroutines, outermost first, down the chain of what each awaits
        coro: Any = task.get_coro()
        while coro is not None and len(awaiting) < 200:
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
            if frame is None:
                break
            awaiting.append(frame)
            coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
        for waiting in reversed(awaiting):  # innermost first
            own_frame = waiting.f_code.co_filename.startswith(OWN) and id(waiting) not in walked
            if own_frame and len(own) < OWN_FRAMES:
                marked = any(o.startswith("task: ") for o in own)
                own.append(("" if marked else "task: ") + _where(waiting, line=bool(own)))
    parts = []
    if library:
        entry, leaf = _where(library[-1], line=False), _where(library[0], line=False)
        parts.append(f"[{entry}{' … ' + leaf if leaf != entry else ''}]")
    parts += own
    return (" < ".join(parts) if parts else "(no frame)"), (own[0] if own else parts[0] if parts else "?")


class StallSampler:
    def __init__(self, threshold: float = 0.040, interval: float = 0.005, *, census: bool = False) -> None:
        self.threshold, self.interval = threshold, interval
        # With `census`, after each full collection the probe counts what the collector tracks, by type
        # (the next tick, on the loop; that pause is not counted as a stall, but it delays other tasks).
        self.census = census
        self._census_due = False
        self._censusing = False
        self.heaps: list[tuple[float, int, Counter[str]]] = []  # (at, objects tracked, count by type)
        self.census_spans: list[tuple[float, float]] = []  # (start, end) of each census, perf_counter
        self.last_tick = time.perf_counter()
        self.ticks = 0
        self.stacks: Counter[str] = Counter()  # stack -> ms of stall
        self.cpu: Counter[str] = Counter()  # stack -> ms of the loop thread's CPU time in those ms
        self.leaves: Counter[str] = Counter()  # innermost project frame -> ms of stall
        self.stalls: list[tuple[float, float]] = []  # (start, end) of each, perf_counter
        self.samples = 0
        self.collecting: int | None = None  # the generation being collected now, if any
        self._gc_started = 0.0
        self.gc_spans: dict[int, list[tuple[float, float]]] = defaultdict(list)
        self.gc_freed: dict[int, list[int]] = defaultdict(list)  # objects each collection freed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._main: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._cpu_clock: int | None = None
        self.stall_cpu_ms = 0.0  # the loop thread's CPU time inside stalls, of the stalls' wall time

    # On the loop ---------------------------------------------------------------------------------
    def tick(self) -> None:
        """Called by the probe task each time it wakes."""
        self.last_tick = time.perf_counter()
        self.ticks += 1
        if self._census_due:
            self._census_due = False
            began = self.last_tick
            self._take_census()
            ended = time.perf_counter()
            self.census_spans.append((began, ended))  # before the tick: the watchdog reads them in order
            self.last_tick = ended
            self.ticks += 1

    def _take_census(self) -> None:
        self._censusing = True
        try:
            tracked = gc.get_objects()  # not the frozen start-up heap: a full collection never walks it
            kinds = Counter(f"{getattr(type(o), '__module__', '?')}.{type(o).__qualname__}" for o in tracked)
            self.heaps.append((time.perf_counter(), len(tracked), kinds))
            del tracked
        finally:
            self._censusing = False

    def start(self) -> None:
        """From the loop's thread: that is the thread sampled."""
        self._main = threading.get_ident()
        self._cpu_clock = (
            time.pthread_getcpuclockid(self._main) if hasattr(time, "pthread_getcpuclockid") else None
        )
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self.last_tick = time.perf_counter()
        gc.callbacks.append(self._gc)
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, name="stall-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._gc in gc.callbacks:
            gc.callbacks.remove(self._gc)

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        if threading.get_ident() != self._main:
            return
        now = time.perf_counter()
        if phase == "start":
            self.collecting, self._gc_started = info["generation"], now
        else:
            self.gc_spans[info["generation"]].append((self._gc_started, now))
            self.gc_freed[info["generation"]].append(info["collected"])
            self.collecting = None
            if self.census and info["generation"] == 2:
                self._census_due = True

    # In the watchdog thread ----------------------------------------------------------------------
    def _watch(self) -> None:
        seen, sampled_at = self.ticks, 0.0
        stall_start = None
        cpu = cpu_at_tick = self._cpu()
        while not self._stop.wait(self.interval):
            now = time.perf_counter()
            ticks, last = self.ticks, self.last_tick
            if self._censusing:  # the census's own pause (see __init__): not a stall
                if stall_start is not None and ticks != seen:
                    self.stalls.append((stall_start, last))
                    self.stall_cpu_ms += (self._cpu() - cpu_at_tick) * 1000
                stall_start, seen = None, ticks
                continue
            if ticks != seen:
                if stall_start is not None:
                    # A stall the watchdog did not see end before a census ended where the census began.
                    end = min((a for a, _ in self.census_spans[-2:] if stall_start <= a < last), default=last)
                    if end > stall_start:
                        self.stalls.append((stall_start, end))
                    self.stall_cpu_ms += (self._cpu() - cpu_at_tick) * 1000
                seen, stall_start = ticks, None
                cpu = cpu_at_tick = self._cpu()
                continue
            if now - last < self.threshold:
                cpu_at_tick = self._cpu()  # the CPU time spent before the first look, roughly (<= 5 ms)
                continue
            frame = sys._current_frames().get(self._main)  # noqa: SLF001 - the sampler's whole point
            task = asyncio.current_task(self._loop) if self._loop is not None else None
            if self.ticks != seen:  # the loop ticked while we took the GIL: not a stall any more
                continue
            key, own = summarise(frame, task)
            del frame, task
            if stall_start is None:
                stall_start = sampled_at = last  # the first sample takes the threshold that went unwatched
            # A collection holds the GIL from its start to its end: the watchdog mostly gets to look just
            # after one, so the collections that ran since the last look are theirs, and the rest is the
            # stack's (the stack says whose allocation set the collection off).
            cpu_now = self._cpu()
            cpu_ms, cpu = (cpu_now - (cpu if sampled_at != last else cpu_at_tick)) * 1000, cpu_now
            for generation, ms in self._collected(sampled_at, now).items():
                gc_key = f"gc gen {generation} < {key}"
                self.stacks[gc_key] += ms
                self.leaves[f"gc gen {generation}"] += ms
                # A collection runs on the CPU throughout (it never waits): it takes its share first.
                self.cpu[gc_key] += min(ms, cpu_ms)
                cpu_ms = max(0.0, cpu_ms - ms)
            collecting = self.collecting
            rest = (now - sampled_at) * 1000 - sum(self._collected(sampled_at, now).values())
            if collecting is not None:
                key, own = f"gc gen {collecting} < {key}", f"gc gen {collecting}"
            sampled_at = now
            self.samples += 1
            self.stacks[key] += max(0.0, rest)
            self.cpu[key] += cpu_ms
            self.leaves[own] += max(0.0, rest)
        if stall_start is not None:  # stopped in the middle of one: it lasted at least until now
            self.stalls.append((stall_start, time.perf_counter()))

    def _cpu(self) -> float:
        return time.clock_gettime(self._cpu_clock) if self._cpu_clock is not None else 0.0

    def _collected(self, start: float, end: float) -> dict[int, float]:
        """ms of each generation's collections inside [start, end]."""
        spent: dict[int, float] = {}
        for generation, spans in list(self.gc_spans.items()):
            ms = 0.0
            for span in reversed(spans[-50:]):
                if span[1] <= start:
                    break
                ms += _overlap(span, [(start, end)]) * 1000
            if ms:
                spent[generation] = ms
        return spent

    # At the end ----------------------------------------------------------------------------------
    def print_report(self, top: int = 20, out: Any = None) -> None:
        out = out or sys.stdout
        total = sum(end - start for start, end in self.stalls) * 1000
        print(
            f"stalls: {len(self.stalls)} times the loop did not tick for > {self.threshold * 1000:.0f} ms, "
            f"{total:.0f} ms in all (loop ticks {self.ticks}, {self.samples} stack samples every "
            f"{self.interval * 1000:.0f} ms)"
            + (
                "; longest: "
                + ", ".join(
                    f"{(e - s) * 1000:.0f}" for s, e in sorted(self.stalls, key=lambda x: x[0] - x[1])[:8]
                )
                + " ms"
                if self.stalls
                else ""
            ),
            file=out,
        )
        for generation in sorted({2, *self.gc_spans}):
            spans = self.gc_spans[generation]
            inside = sum(_overlap(span, self.stalls) for span in spans) * 1000
            longest = max((e - s for s, e in spans), default=0.0) * 1000
            freed = self.gc_freed[generation]
            print(
                f"  gc gen {generation}: {len(spans)} collections, {sum(e - s for s, e in spans) * 1000:.0f} ms "
                f"in all (longest {longest:.1f} ms), {inside:.0f} ms of it inside stalls; objects freed "
                f"{sum(freed):,} in all, most at once {max(freed, default=0):,}",
                file=out,
            )
        sampled = sum(self.stacks.values())
        print(
            f"  top stacks by ms of stall ({sampled:.0f} ms sampled; [library frame] < own frames, innermost first):",
            file=out,
        )
        for key, ms in self.stacks.most_common(top):
            print(f"  {ms:>8.0f} ms  {key}", file=out)
        print(
            f"  the loop thread was on a CPU for {self.stall_cpu_ms:.0f} ms of the {total:.0f} ms of stalls "
            "(the rest it was waiting: for a core, or in a blocking call); by stack, CPU ms of the sampled ms:",
            file=out,
        )
        for key, ms in self.stacks.most_common(top):
            print(f"  {self.cpu[key]:>8.0f} of {ms:>5.0f} ms  {key[:100]}", file=out)
        print("  by the innermost own frame:", file=out)
        for key, ms in self.leaves.most_common(top):
            print(f"  {ms:>8.0f} ms  {key}", file=out)
        if self.heaps:
            sizes = ", ".join(f"{n:,}" for _, n, _ in self.heaps)
            print(f"  objects the collector tracked after each full collection: {sizes}", file=out)
            _, most, kinds = max(self.heaps, key=lambda heap: heap[1])
            print(f"  the largest ({most:,}) by type:", file=out)
            for kind, count in kinds.most_common(top):
                print(f"  {count:>10,}  {kind}", file=out)


def _overlap(span: tuple[float, float], stalls: list[tuple[float, float]]) -> float:
    start, end = span
    return sum(max(0.0, min(end, e) - max(start, s)) for s, e in stalls)
