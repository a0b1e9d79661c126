"""Durable timers: the `timer` table is the truth, APScheduler is only the alarm clock that wakes us.

Firing claims a row with `UPDATE … WHERE id = :id AND status = 'pending'`, so a late alarm, a restart or a
second process can never run it twice. A row whose handler was running when its process died stays
`running` until a leader marks it `failed`: it is delivered at most once, never twice. On start-up (or on
becoming leader) the rows that fell due while nobody was ringing are fired at once (APScheduler 3 would
drop them) and the rest are armed as they come due.

A batched kind (Router.timer; the step engine's warnings and ends) skips the separate claim: the timers of
it due together run in one transaction and are claimed in its last statement (Core.fire_batched), so they
are never `running`, and a crash before that commit leaves them pending, to fire once later.

With several processes on one PostgreSQL database only the leader (bot/leader.py) runs a SchedulerAlarm:
it polls every `poll_seconds` for pending rows that fall due soon (whoever inserted them), arms them and
sweeps what is due, and marks rows left `running` by a process that died as `failed` (never fires them
again). The others take commands and insert rows; their alarm is inactive and arms nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlmodel import col, delete, func, or_, select, update

from bot.clock import Clock, VirtualClock
from bot.store import requests
from bot.store.db import Store
from bot.store.models import Timer, TimerRef
from bot.store.statistics import Statistics

log = logging.getLogger(__name__)

RunTimer = Callable[[Timer], Awaitable[None]]
# Core.fire_batched: runs the due, batched timers among the ids in one transaction; (their ids, the due
# ids of other kinds).
RunBatched = Callable[[Sequence[int]], Awaitable[tuple[list[int], list[int]]]]

# By default at most this many timers are claimed and not yet finished in one process at any instant: a row
# is claimed only once a slot is free, so the rows a crash can lose (claimed, never finished) are at most
# this many (TSUNAGARI_TIMERS_IN_FLIGHT).
IN_FLIGHT = 8

FINISHED_KEPT = timedelta(days=30)
"""A timer that has finished (done, failed, cancelled, skipped) is deleted this long after it fell due and
after it fired: nothing reads it again, and kept for ever the table grew with every hand-off a community
ever had (an event of 50 leaves hundreds), and with it each insert, index and backup."""
FINISHED = ("done", "failed", "cancelled", "skipped")

STATISTICS_SECONDS = 300.0
"""How often the leader checks whether tables need analysing (bot/store/statistics.py); autovacuum itself
looks every minute, but a table needs 50 rows and a tenth of itself changed before it is analysed."""


class Alarm(Protocol):
    def arm(self, timer_id: int, due_at: datetime) -> None: ...
    def disarm(self, timer_id: int) -> None: ...


class Timers:
    def __init__(self, store: Store, clock: Clock, *, alarm: Alarm | None = None) -> None:
        self.store, self.clock, self.alarm = store, clock, alarm
        self.run: RunTimer | None = None  # the core's run_timer, wired by the composition root
        self.run_batched: RunBatched | None = None  # the core's fire_batched, likewise

    def armed(self, new: Iterable[Timer | TimerRef], cancelled: Iterable[int]) -> None:
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
        claim = (
            update(Timer)
            .where(Timer.id == timer_id, Timer.status == "pending", Timer.due_at <= now)
            .values(status="running", fired_at=now)
        )
        async with self.store.session() as session:
            if not self._returning:  # SQLite before 3.35: a second round trip
                result = await session.exec(claim)
                await session.commit()
                return await session.get(Timer, timer_id) if result.rowcount == 1 else None
            timer = (await session.exec(claim.returning(Timer))).scalars().first()
            await session.commit()
            return timer

    @property
    def _returning(self) -> bool:
        return bool(self.store.engine.dialect.update_returning)

    async def fire(self, timer_id: int, *, batched: bool = True) -> bool:
        """Claim and run one timer; False if it was not due, already taken, or cancelled. A batched kind
        (Router.timer) runs claimed in its handler's own transaction; `batched=False` for an id known to
        be of another kind."""
        if self.run is None:
            raise RuntimeError("Timers.run is not wired")
        if batched and self.run_batched is not None:
            ran, rest = await self.run_batched([timer_id])
            if timer_id not in rest:
                return bool(ran)
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
            if self.run_batched is not None:  # the batched kinds' timers together, then the others
                ran, ids = await self.run_batched(ids)
                progress = len(ran)
                fired += progress
            for timer_id in ids:
                if await self.fire(timer_id, batched=self.run_batched is None):
                    fired += 1
                    progress += 1
            if progress == 0:  # another process took them all: let it
                break
        return fired

    async def next_due_at(self) -> datetime | None:
        async with self.store.session() as session:
            return (await session.exec(select(func.min(Timer.due_at)).where(Timer.status == "pending"))).one()

    async def due_soon(self, horizon: datetime, limit: int = 10_000) -> list[tuple[int, datetime]]:
        """(id, due_at) of pending rows due by `horizon`, soonest first: what a leader must arm now."""
        async with self.store.session() as session:
            rows = await session.exec(
                select(Timer.id, Timer.due_at)
                .where(Timer.status == "pending", Timer.due_at <= horizon)
                .order_by(col(Timer.due_at), col(Timer.id))
                .limit(limit)
            )
            return [(timer_id, due_at) for timer_id, due_at in rows.all()]

    async def fail_abandoned(self, older_than: timedelta) -> list[int]:
        """Rows claimed (`running`) longer ago than `older_than` by a process that died: mark them `failed`.

        They are never fired again: the dead process may already have delivered their actions, and
        at-most-once is the promise for a row in flight at a crash.
        """
        cutoff = self.clock.now() - older_than
        stuck = (Timer.status == "running", col(Timer.fired_at) < cutoff)
        async with self.store.session() as session:
            if self._returning:
                result = await session.exec(
                    update(Timer)
                    .where(*stuck)
                    .values(status="failed")
                    .returning(Timer.id, Timer.kind, Timer.fired_at)
                )
                abandoned = list(result.all())
            else:  # SQLite before 3.35: one by one, so only what this call changed is reported
                abandoned = []
                for row in (
                    await session.exec(select(Timer.id, Timer.kind, Timer.fired_at).where(*stuck))
                ).all():
                    result = await session.exec(
                        update(Timer).where(Timer.id == row[0], *stuck).values(status="failed")
                    )
                    if result.rowcount == 1:
                        abandoned.append(row)
            await session.commit()
        for timer_id, kind, claimed_at in abandoned:
            log.warning(
                "timer %s (%s) was claimed at %s by a process that never finished it: marked failed, not fired again",
                timer_id,
                kind,
                claimed_at.isoformat(timespec="seconds") if claimed_at else "?",
            )
        return [row[0] for row in abandoned]

    async def forget_finished(self, before: datetime) -> int:
        """Delete finished rows that fell due, and fired, before `before`; how many went."""
        async with self.store.session() as session:
            result = await session.exec(
                delete(Timer).where(
                    col(Timer.status).in_(FINISHED),
                    Timer.due_at < before,
                    or_(col(Timer.fired_at).is_(None), col(Timer.fired_at) < before),
                )
            )
            await session.commit()
        if result.rowcount:
            log.info("deleted %d finished timers", result.rowcount)
        return result.rowcount or 0

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


ARM_AHEAD = timedelta(minutes=10)
"""A row due further ahead than this gets no alarm when it is scheduled; the poll arms it in time."""

RINGS_PER_TIMER = 4
"""Rings of one timer's alarm that may overlap; all but one find it busy or claimed and do nothing."""


class SchedulerAlarm:
    """APScheduler 3 as an alarm clock: one date job per pending row due soon, armed by a poll (every
    `poll_seconds`, whoever inserted the row) or at once when this process schedules it; the poll also
    sweeps what is due, and a periodic sweep is a last net.

    It rings only while started (this process is the leader); `arm` does nothing otherwise.
    """

    def __init__(
        self,
        timers: Timers,
        *,
        sweep_seconds: float = 30.0,
        poll_seconds: float = 1.0,
        stuck_seconds: float = 600.0,
        in_flight: int = IN_FLIGHT,
    ) -> None:
        self.timers = timers
        self.statistics = Statistics(timers.store)
        self.sweep_seconds = sweep_seconds
        self.poll_seconds = poll_seconds
        self.stuck_seconds = stuck_seconds
        self.active = False
        self.scheduler = AsyncIOScheduler(
            timezone=UTC, job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
        )
        self._poller: asyncio.Task | None = None
        self._wake = asyncio.Event()
        self._ringing: set[asyncio.Task] = set()
        self._slots = asyncio.Semaphore(in_flight)
        self._busy: set[int] = set()  # ids waiting for a slot or firing in this process
        self._rung: set[int] = set()  # ids whose alarm rang in this tick, not yet taken

    def start(self) -> None:
        """Start ringing (this process leads): in the background, fire what is due, arm what falls due
        soon, then poll."""
        if not self.scheduler.running:
            self.scheduler.start()
        self.active = True
        self._wake = asyncio.Event()
        self.scheduler.add_job(
            self._sweep, "interval", seconds=self.sweep_seconds, id="sweep", replace_existing=True
        )
        # Housekeeping that one process should do: the leader forgets delivery ids no retry can still use,
        # and timers that finished a month ago.
        self.scheduler.add_job(
            self._housekeeping, "interval", hours=1, id="housekeeping", replace_existing=True
        )
        # The planner's statistics, where the server gathers none (autovacuum off): every few minutes, as
        # autovacuum's own rounds would.
        self.scheduler.add_job(
            self._statistics, "interval", seconds=STATISTICS_SECONDS, id="statistics", replace_existing=True
        )
        if self._poller is None or self._poller.done():
            self._poller = asyncio.get_running_loop().create_task(self._poll_forever(), name="timer-poll")

    async def stop(self, grace: float = 10.0) -> None:
        """Stop ringing (leadership lost or the process is closing): forget every alarm, let the timers
        already firing finish (up to `grace` seconds). The rows stay the truth for the next leader."""
        self.active = False
        self._wake.set()
        if self.scheduler.running:
            self.scheduler.remove_all_jobs()
        busy = [task for task in (self._poller, *self._ringing) if task is not None and not task.done()]
        busy = [task for task in busy if task is not asyncio.current_task()]
        if busy:
            _, late = await asyncio.wait(busy, timeout=grace)
            for task in late:
                task.cancel()
        self._poller = None

    def shutdown(self) -> None:
        self.active = False
        self._wake.set()
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def arm(self, timer_id: int, due_at: datetime) -> None:
        if not self.active:
            return  # a follower: the leader's poll will find the row
        if due_at - self.timers.clock.now() > ARM_AHEAD:
            # A nudge a day or a month away: the poll arms it once it is within two polls of its time.
            # Holding an APScheduler job for each (an event's end plans ~300) costs memory and, worse,
            # objects every full garbage collection walks while the loop waits.
            return
        self.scheduler.add_job(
            self._ring,
            "date",
            run_date=due_at,
            args=[timer_id],
            id=f"timer-{timer_id}",
            replace_existing=True,
            # Re-armed while its first ring still waits for a slot (a poll under load does that), a second
            # ring is harmless: `_fire` lets one attempt through and the claim is atomic. APScheduler would
            # otherwise skip it with a warning that reads like a lost timer.
            max_instances=RINGS_PER_TIMER,
        )

    def disarm(self, timer_id: int) -> None:
        try:
            self.scheduler.remove_job(f"timer-{timer_id}")
        except JobLookupError:
            pass

    def is_armed(self, timer_id: int) -> bool:
        return self.scheduler.get_job(f"timer-{timer_id}") is not None

    async def poll(self) -> int:
        """Arm the pending rows due within two polls that have no alarm yet; sweep if any is due now."""
        now = self.timers.clock.now()
        due_now = False
        armed = 0
        for timer_id, due_at in await self.timers.due_soon(now + timedelta(seconds=2 * self.poll_seconds)):
            if due_at <= now:
                due_now = True
            elif self.active and timer_id not in self._busy and not self.is_armed(timer_id):
                self.arm(timer_id, due_at)
                armed += 1
        if due_now:
            await self._sweep()
        return armed

    async def catch_up(self) -> None:
        """On becoming leader: give up on rows a dead process left running, fire what fell due while
        nobody was ringing, arm what falls due soon. Rows due later are armed by the poll as they come
        within two polls of their time, so taking over costs the same with ten or a million pending rows."""
        await self.timers.fail_abandoned(timedelta(seconds=self.stuck_seconds))
        fired = await self._sweep()
        if fired:
            log.info("fired %d timers that fell due while no process was ringing", fired)
        await self.poll()

    async def _statistics(self) -> None:
        try:
            await self.statistics.refresh()
        except Exception:  # a missing privilege, a lost connection: the next round tries again
            log.warning("could not refresh the planner's statistics", exc_info=True)

    async def _housekeeping(self) -> None:
        now = self.timers.clock.now()
        await requests.forget_before(self.timers.store, now - requests.REMEMBER)
        await self.timers.forget_finished(now - FINISHED_KEPT)

    async def _sweep(self) -> int:
        """Timers.sweep, but `in_flight` at a time (oldest first), and none claimed once stopped."""
        fired = 0
        while self.active and (ids := await self.timers.due_ids()):
            ran, ids = await self._fire_batched(ids)
            batched = len(ran)
            fired += batched
            results = await asyncio.gather(
                *(self._fire(timer_id) for timer_id in ids), return_exceptions=True
            )
            for timer_id, result in zip(ids, results, strict=True):
                if isinstance(result, Exception):
                    log.error("timer %s could not be fired", timer_id, exc_info=result)
            progress = batched + sum(result is True for result in results)
            fired += progress - batched
            if progress == 0:  # another process took them all: let it
                break
        return fired

    async def _fire_batched(self, ids: list[int]) -> tuple[list[int], list[int]]:
        """Timers.run_batched for the ids no attempt in this process holds, as one slot; (the ids it ran,
        the due ids of other kinds, to fire one at a time)."""
        if self.timers.run_batched is None or not self.active:
            return [], ids
        mine = [timer_id for timer_id in ids if timer_id not in self._busy]
        self._busy.update(mine)
        try:
            async with self._slots:
                if not self.active:
                    return [], []
                return await self.timers.run_batched(mine)
        finally:
            self._busy.difference_update(mine)

    async def _fire(self, timer_id: int) -> bool:
        if timer_id in self._busy:  # its alarm and a sweep both found it: one attempt is enough
            return False
        self._busy.add(timer_id)
        try:
            async with self._slots:
                return self.active and await self.timers.fire(
                    timer_id, batched=self.timers.run_batched is None
                )
        finally:
            self._busy.discard(timer_id)

    async def _poll_forever(self) -> None:
        stuck_every = max(self.poll_seconds, min(60.0, self.stuck_seconds / 4))
        last_stuck_check = time.monotonic()
        try:
            await self.catch_up()
        except Exception:
            log.exception("timer catch-up failed")
        while self.active:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            if not self.active:
                break
            try:
                await self.poll()
                if time.monotonic() - last_stuck_check >= stuck_every:
                    last_stuck_check = time.monotonic()
                    await self.timers.fail_abandoned(timedelta(seconds=self.stuck_seconds))
            except Exception:
                log.exception("timer poll failed")

    async def _ring(self, timer_id: int) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._ringing.add(task)
        try:
            if not self.active:
                return
            # Every alarm of one instant rings in the same tick: the first to wake after the others have
            # rung takes them all, and the batched kinds among them run in one transaction.
            self._rung.add(timer_id)
            await asyncio.sleep(0)
            rung, self._rung = self._rung, set()
            if not rung or not self.active:
                return
            ids = sorted(rung)
            ran, rest = await self._fire_batched(ids)
            handled = set(ran)
            results = await asyncio.gather(*(self._fire(i) for i in rest), return_exceptions=True)
            for other, result in zip(rest, results, strict=True):
                if result is True:
                    handled.add(other)
                elif isinstance(result, Exception):
                    log.error("timer %s could not be fired", other, exc_info=result)
            for other in ids:
                if other not in handled:
                    await self._rearm_if_early(other)
        except Exception:
            log.exception("timer %s could not be fired", timer_id)
        finally:
            self._ringing.discard(task)

    async def _rearm_if_early(self, timer_id: int) -> None:
        async with self.timers.store.session() as session:
            timer = await session.get(Timer, timer_id)
        if timer is not None and timer.status == "pending" and timer.due_at > self.timers.clock.now():
            self.arm(timer_id, timer.due_at)
