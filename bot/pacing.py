"""Pacing a fan-out to a platform's rate: a token bucket that honours Retry-After, and a paced queue.

Platform-neutral: an adapter (or the nudge sender) owns a `TokenBucket` sized to its platform's limit,
takes a token before each call, and when the platform still answers 429 it calls `hold(retry_after)`:
nobody sharing the bucket sends again before that moment, and pacing resumes without a burst. A
`Delivery` whose detail says `rate_limited` (see `rate_limited_detail`) tells the `PacedQueue` to hold
and try the same item again, so nothing is lost to a 429. Clock and sleep are injected for virtual time.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")
R = TypeVar("R")

_RATE_LIMITED = re.compile(r"^rate_limited(?: retry_after=(\d+(?:\.\d+)?))?")


def rate_limited_detail(retry_after: float | None) -> str:
    """The `Delivery.detail` an adapter reports for a 429 it did not retry itself."""
    return "rate_limited" if retry_after is None else f"rate_limited retry_after={retry_after:g}"


def retry_after_of(detail: str | None) -> float | None:
    """Seconds to hold if `detail` reports a rate limit (1 s when the platform named none), else None."""
    match = _RATE_LIMITED.match(detail or "")
    if match is None:
        return None
    return float(match.group(1)) if match.group(1) else 1.0


class RateLimited(Exception):
    """Raised by a send function that was answered 429; `retry_after` is in seconds."""

    def __init__(self, retry_after: float = 1.0) -> None:
        super().__init__(f"rate limited for {retry_after:g} s")
        self.retry_after = retry_after


class TokenBucket:
    """`burst` calls at once, then `rate` per second; callers are served in the order they asked.

    Implemented as GCRA: each call reserves the next slot before it sleeps, so concurrent callers never
    race for the same token. `hold(s)` (a Retry-After) moves every later slot past now + s.
    """

    def __init__(
        self, rate: float, burst: int = 1, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate, self.burst = rate, burst
        self.interval = 1.0 / rate
        self.tolerance = (burst - 1) * self.interval
        self._clock, self._sleep = clock, sleep
        self._tat = clock()  # theoretical arrival time of the next call
        self._hold_until = 0.0
        self.holds = 0

    def _reserve(self) -> float:
        """Take the next slot; return how long to wait for it."""
        now = self._clock()
        tat = max(self._tat, now)
        allowed_at = max(tat - self.tolerance, self._hold_until)
        self._tat = max(tat, allowed_at + self.tolerance) + self.interval
        return max(0.0, allowed_at - now)

    async def acquire(self) -> None:
        while True:
            wait = self._reserve()
            if wait > 0:
                await self._sleep(wait)
            if self._clock() >= self._hold_until:  # a 429 seen while we slept pushes us past it
                return

    def hold(self, seconds: float) -> None:
        """The platform said Retry-After: nobody sends before then, and no burst follows."""
        until = self._clock() + max(0.0, seconds)
        if until > self._hold_until:
            self._hold_until = until
            self.holds += 1
            # The platform's bucket is empty: restart from a single slot, not a full burst.
            self._tat = max(self._tat, until + self.tolerance)
        log.info("rate limited: holding %.2f s", seconds)


@dataclass
class Outcome(Generic[T, R]):
    item: T
    result: R | None = None
    error: BaseException | None = None
    attempts: int = 0
    rate_limited: int = 0


class PacedQueue(Generic[T, R]):
    """Run `send(item)` for many items, `concurrency` at a time, each after a token from `bucket`
    (one bucket for all, or one per item's platform).

    A `RateLimited` from `send` holds the bucket for its Retry-After and retries the same item, up to
    `max_rate_limited` times; any other exception is that item's outcome. Outcomes come back in the
    order the items finished, through `on_outcome` as they happen and as the returned list.
    """

    def __init__(
        self,
        send: Callable[[T], Awaitable[R]],
        *,
        bucket: TokenBucket | Callable[[T], TokenBucket | None] | None = None,
        concurrency: int = 8,
        max_rate_limited: int = 20,
        on_outcome: Callable[[Outcome[T, R]], Awaitable[None]] | None = None,
    ) -> None:
        self.send, self.bucket, self.concurrency = send, bucket, max(1, concurrency)
        self.max_rate_limited = max_rate_limited
        self.on_outcome = on_outcome
        self.rate_limited = 0

    async def _one(self, item: T) -> Outcome[T, R]:
        outcome: Outcome[T, R] = Outcome(item)
        bucket = self.bucket(item) if callable(self.bucket) else self.bucket
        while True:
            if bucket is not None:
                await bucket.acquire()
            outcome.attempts += 1
            try:
                outcome.result = await self.send(item)
                return outcome
            except RateLimited as limited:
                outcome.rate_limited += 1
                self.rate_limited += 1
                if bucket is not None:
                    bucket.hold(limited.retry_after)
                if outcome.rate_limited > self.max_rate_limited:
                    outcome.error = limited
                    return outcome
            except Exception as error:  # one item's failure must not stop the others
                log.warning("paced send failed: %s", type(error).__name__)
                outcome.error = error
                return outcome

    async def run(self, items: Iterable[T] | asyncio.Queue) -> list[Outcome[T, R]]:
        """Items from an iterable, or from a queue until it yields `None` (one per worker is not needed)."""
        outcomes: list[Outcome[T, R]] = []
        source: asyncio.Queue = items if isinstance(items, asyncio.Queue) else _queue_of(items)
        done = asyncio.Event()

        async def worker() -> None:
            while not done.is_set():
                item = await source.get()
                if item is None:
                    done.set()
                    source.put_nowait(None)  # let the other workers see the end too
                    return
                outcome = await self._one(item)
                outcomes.append(outcome)
                if self.on_outcome is not None:
                    await self.on_outcome(outcome)

        async with asyncio.TaskGroup() as group:
            for _ in range(self.concurrency):
                group.create_task(worker())
        return outcomes


def _queue_of(items: Iterable) -> asyncio.Queue:
    queue: asyncio.Queue = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    queue.put_nowait(None)
    return queue
