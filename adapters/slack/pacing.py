"""Staying inside Slack's rate limits: token-bucket pacing per channel and per workspace, and 429 retries.

Retrying a 429 is not enough for a fan-out of hundreds of DMs: sends are paced before they go out
(chat.postMessage ~1 per second per channel with short bursts; conversations.open Tier 3, ~50 a minute),
and a 429 that still comes back is retried after its `Retry-After`. Clock and sleep are injected so tests
run on virtual time.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Hashable

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.pacing import TokenBucket

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Pacer:
    """One token bucket (the core's GCRA `TokenBucket`) per key: `burst` calls at once, then `rate` a second."""

    def __init__(
        self, rate: float, burst: int, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ):
        self.rate, self.burst = rate, burst
        self._clock, self._sleep = clock, sleep
        self._buckets: dict[Hashable, TokenBucket] = {}

    def _bucket(self, key: Hashable) -> TokenBucket:
        if key not in self._buckets:
            self._buckets[key] = TokenBucket(self.rate, self.burst, clock=self._clock, sleep=self._sleep)
        return self._buckets[key]

    async def wait(self, key: Hashable) -> None:
        await self._bucket(key).acquire()

    def hold(self, key: Hashable, seconds: float) -> None:
        """Slack said Retry-After for `key`: nothing more goes there before it, and no burst follows."""
        self._bucket(key).hold(seconds)


class RateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, honouring `Retry-After`, with an injectable sleep (for virtual time)."""

    def __init__(self, max_retry_count: int = 3, *, sleep: Sleep = asyncio.sleep):
        super().__init__(max_retry_count=max_retry_count)
        self._sleep = sleep
        self.waited: list[float] = []

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        retry_after = 1.0
        if response is not None:
            for name, values in response.headers.items():
                if name.lower() == "retry-after" and values:
                    retry_after = float(values[0])
        delay = retry_after + random.random() / 4
        self.waited.append(delay)
        log.info("Slack answered 429; retrying in %.1f s", delay)
        await self._sleep(delay)
        state.increment_current_attempt()


def retry_handlers(sleep: Sleep = asyncio.sleep) -> list[AsyncRetryHandler]:
    return [AsyncConnectionErrorRetryHandler(), RateLimitRetry(sleep=sleep)]
