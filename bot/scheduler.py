"""Durable timers: the `timer` table is the truth, APScheduler is only the alarm clock that wakes us.

Firing claims a row with `UPDATE … WHERE id = :id AND status = 'pending'`, so a late alarm, a restart or a
second process can never run it twice. A row whose handler was running when the process died stays
`running`: it is delivered at most once, never twice. On start-up every pending row is armed again and
the ones that fell due while the bot was down are fired at once (APScheduler 3 would drop them).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Protocol

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlmodel import col, func, select, update

from bot.clock import Clock, VirtualClock
from bot.store.db import Store
from bot.store.models import Timer

log = logging.getLogger(__name__)

RunTimer = Callable[[Timer], Awaitable[None]]


class Alarm(Protocol):
    def arm(self, timer_id: int, due_at: datetime) -> None: ...
    def disarm(self, timer_id: int) -> None: ...


class Timers:
    def __init__(self, store: Store, clock: Clock, *, alarm: Alarm | None = None) -> None:
        self.store, self.clock, self.alarm = store, clock, alarm
        self.run: RunTimer | None = None  # the core's run_timer, wired by the composition root

    def armed(self, new: Iterable[Timer], cancelled: Iterable[int]) -> None:
        """Called after a transaction that scheduled or cancelled timers has committed."""
        if self.alarm is None:
            return
        for timer in new:
            if timer.id is not None:
                self.alarm.arm(timer.id, timer.due_at)
        for timer_id in cancelled:
            self.alarm.disarm(timer_id)

    async def claim(self, timer_id: int) -> Timer | None:
        now = self.clock.now()
        async with self.store.session() as session:
            result = await session.exec(
                update(Timer)
                .where(Timer.id == timer_id, Timer.status == "pending", Timer.due_at <= now)
                .values(status="running", fired_at=now)
            )
            await session.commit()
            if result.rowcount != 1:
                return None
            return await session.get(Timer, timer_id)

    async def fire(self, timer_id: int) -> bool:
        """Claim and run one timer; False if it was not due, already taken, or cancelled."""
        if self.run is None:
            raise RuntimeError("Timers.run is not wired")
        timer = await self.claim(timer_id)
        if timer is None:
            return False
        await self.run(timer)
        return True

    async def due_ids(self, limit: int = 200) -> list[int]:
        async with self.store.session() as session:
            rows = await session.exec(
                select(Timer.id)
                .where(Timer.status == "pending", Timer.due_at <= self.clock.now())
                .order_by(col(Timer.due_at), col(Timer.id))
                .limit(limit)
            )
            return list(rows.all())

    async def sweep(self) -> int:
        """Fire everything due now, oldest first. Returns how many this process fired."""
        fired = 0
        while ids := await self.due_ids():
            progress = 0
            for timer_id in ids:
                if await self.fire(timer_id):
                    fired += 1
                    progress += 1
            if progress == 0:  # another process took them all: let it
                break
        return fired

    async def next_due_at(self) -> datetime | None:
        async with self.store.session() as session:
            return (await session.exec(select(func.min(Timer.due_at)).where(Timer.status == "pending"))).one()

    async def pending(self) -> list[Timer]:
        async with self.store.session() as session:
            return list((await session.exec(select(Timer).where(Timer.status == "pending"))).all())

    async def start(self) -> int:
        """Arm every pending row and fire what fell due while the bot was down."""
        if self.alarm is not None:
            for timer in await self.pending():
                self.alarm.arm(timer.id, timer.due_at)
        fired = await self.sweep()
        if fired:
            log.info("fired %d timers that fell due while the bot was down", fired)
        return fired

    async def advance_to(self, target: datetime) -> None:
        """Virtual time: step from one due row to the next, firing each at its own moment."""
        if not isinstance(self.clock, VirtualClock):
            raise TypeError("only a virtual clock can be advanced")
        for _ in range(100_000):
            due = await self.next_due_at()
            if due is None or due > target:
                break
            if due > self.clock.now():
                self.clock.set(due)
            await self.sweep()
        else:
            raise RuntimeError("timers keep falling due: a ritual schedules itself in a loop")
        if target > self.clock.now():
            self.clock.set(target)


class SchedulerAlarm:
    """APScheduler 3 as an alarm clock: one date job per pending row, plus a periodic sweep as a net."""

    def __init__(self, timers: Timers, *, sweep_seconds: float = 30.0) -> None:
        self.timers = timers
        self.sweep_seconds = sweep_seconds
        self.scheduler = AsyncIOScheduler(
            timezone=UTC, job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
        )

    def start(self) -> None:
        self.scheduler.start()
        self.scheduler.add_job(
            self.timers.sweep, "interval", seconds=self.sweep_seconds, id="sweep", replace_existing=True
        )

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def arm(self, timer_id: int, due_at: datetime) -> None:
        self.scheduler.add_job(
            self._ring,
            "date",
            run_date=due_at,
            args=[timer_id],
            id=f"timer-{timer_id}",
            replace_existing=True,
        )

    def disarm(self, timer_id: int) -> None:
        try:
            self.scheduler.remove_job(f"timer-{timer_id}")
        except JobLookupError:
            pass

    async def _ring(self, timer_id: int) -> None:
        try:
            if not await self.timers.fire(timer_id):
                await self._rearm_if_early(timer_id)
        except Exception:
            log.exception("timer %s could not be fired", timer_id)

    async def _rearm_if_early(self, timer_id: int) -> None:
        async with self.timers.store.session() as session:
            timer = await session.get(Timer, timer_id)
        if timer is not None and timer.status == "pending" and timer.due_at > self.timers.clock.now():
            self.arm(timer_id, timer.due_at)
