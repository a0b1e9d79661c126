"""Pacing a fan-out: a burst, then the platform's rate; a Retry-After holds everyone; nothing is lost."""

from __future__ import annotations

import asyncio

from bot.pacing import PacedQueue, RateLimited, TokenBucket, rate_limited_detail, retry_after_of


class FakeTime:
    """Time that moves only when someone sleeps (one sleeper at a time in these tests)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def test_a_burst_goes_out_at_once_then_one_call_per_interval() -> None:
    time = FakeTime()
    bucket = TokenBucket(rate=10, burst=3, clock=time.clock, sleep=time.sleep)
    sent_at = []
    for _ in range(6):
        await bucket.acquire()
        sent_at.append(round(time.now - 100, 3))
    assert sent_at == [0, 0, 0, 0.1, 0.2, 0.3]


async def test_retry_after_holds_every_caller_and_no_burst_follows() -> None:
    time = FakeTime()
    bucket = TokenBucket(rate=10, burst=5, clock=time.clock, sleep=time.sleep)
    await bucket.acquire()
    bucket.hold(2.0)  # the platform answered 429, Retry-After: 2
    sent_at = []
    for _ in range(3):
        await bucket.acquire()
        sent_at.append(round(time.now - 100, 3))
    assert sent_at == [2.0, 2.1, 2.2]
    assert bucket.holds == 1


async def test_a_paced_queue_retries_a_rate_limited_item_until_it_goes_through() -> None:
    time = FakeTime()
    bucket = TokenBucket(rate=5, burst=1, clock=time.clock, sleep=time.sleep)
    answers = {"a": [RateLimited(3.0), "ok"], "b": ["ok"], "c": [RateLimited(1.0), RateLimited(1.0), "ok"]}
    delivered = []

    async def send(item: str) -> str:
        answer = answers[item].pop(0)
        if isinstance(answer, Exception):
            raise answer
        delivered.append(item)
        return answer

    queue = PacedQueue(send, bucket=bucket, concurrency=1)
    outcomes = await queue.run(["a", "b", "c"])
    assert sorted(delivered) == ["a", "b", "c"] and all(o.error is None for o in outcomes)
    assert queue.rate_limited == 3
    assert time.now - 100 >= 3.0 + 1.0 + 1.0  # every Retry-After was waited out


async def test_concurrent_workers_deliver_each_item_once_and_report_failures_apart() -> None:
    seen: list[int] = []

    async def send(item: int) -> int:
        await asyncio.sleep(0)
        if item == 7:
            raise ConnectionError("platform down")
        seen.append(item)
        return item

    outcomes = await PacedQueue(send, concurrency=4).run(range(50))
    assert sorted(seen) == [i for i in range(50) if i != 7]
    assert [o.item for o in outcomes if o.error is not None] == [7]


def test_adapters_report_a_rate_limit_in_a_delivery_detail() -> None:
    assert retry_after_of(rate_limited_detail(2.5)) == 2.5
    assert retry_after_of(rate_limited_detail(None)) == 1.0
    assert retry_after_of("channel_not_found") is None and retry_after_of(None) is None
