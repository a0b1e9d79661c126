"""Timers: a row that falls due while the bot is stopped fires once after restart; never twice, never lost."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from adapters.console.adapter import TENANT, ConsoleAdapter
from adapters.console.world import World
from bot.bootstrap import build
from bot.clock import VirtualClock
from bot.config import Settings
from bot.events import Caller, CommandInvoked
from bot.store.models import Timer
from tests.processes.timer_probe import probe

pytestmark = pytest.mark.db
ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def lifetime(url: str, when: datetime, mode: str, *extra: str) -> list[str]:
    """One whole bot process, start to exit; returns what it posted."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.processes.timer_probe", url, when.isoformat(), mode, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if "probe rang" in line]


async def test_a_timer_due_while_the_bot_was_stopped_fires_once_after_restart(database_url: str) -> None:
    assert lifetime(database_url, T0, "schedule", "5", "3") == []
    # The bot was down from 09:00 to 09:30; the timers fell due at 09:05.
    fired = lifetime(database_url, T0 + timedelta(minutes=30), "start")
    assert sorted(line.split(" | ")[1] for line in fired) == ["probe rang 0", "probe rang 1", "probe rang 2"]
    assert all(line.startswith("[09:30] #probe") for line in fired)  # at start-up, not silently dropped
    # A later restart finds nothing left to do.
    assert lifetime(database_url, T0 + timedelta(minutes=40), "start") == []


async def test_a_timer_not_yet_due_survives_a_restart_and_waits(database_url: str) -> None:
    lifetime(database_url, T0, "schedule", "60", "1")
    assert lifetime(database_url, T0 + timedelta(minutes=10), "start") == []
    assert len(lifetime(database_url, T0 + timedelta(minutes=61), "start")) == 1


async def test_two_processes_sweeping_at_once_fire_every_timer_exactly_once(database_url: str) -> None:
    lifetime(database_url, T0, "schedule", "1", "150")
    shown: list[str] = []
    apps = []
    for _ in range(2):  # two bots with engines of their own on one database
        clock = VirtualClock(T0 + timedelta(minutes=5))
        app = build(
            Settings().model_copy(update={"database_url": database_url}), clock=clock, extra_routers=[probe]
        )
        app.dispatcher.register(
            TENANT, ConsoleAdapter(World(shown.append), clock, ZoneInfo("UTC"), app.catalog)
        )
        apps.append(app)
    try:
        counts = await asyncio.gather(*(app.timers.sweep() for app in apps))
    finally:
        for app in apps:
            await app.close()
    rang = Counter(line.split(" | ")[1] for line in shown)
    assert len(rang) == 150 and set(rang.values()) == {1}
    assert sum(counts) == 150


async def test_a_cancelled_timer_never_fires(database_url: str) -> None:
    shown: list[str] = []
    clock = VirtualClock(T0)
    app = build(
        Settings().model_copy(update={"database_url": database_url}), clock=clock, extra_routers=[probe]
    )
    app.dispatcher.register(TENANT, ConsoleAdapter(World(shown.append), clock, ZoneInfo("UTC"), app.catalog))
    await app.start()
    try:
        caller = Caller(TENANT, "probe", "#probe")
        await app.core.handle(CommandInvoked(caller, "probe schedule 5 2"))
        await app.dispatcher.send(TENANT, await app.core.handle(CommandInvoked(caller, "probe cancel")))
        await app.timers.advance_to(T0 + timedelta(minutes=10))
        async with app.store.session() as session:
            statuses = sorted(t.status for t in (await session.exec(select(Timer))).all())
    finally:
        await app.close()
    assert [line.split(" | ")[1] for line in shown] == ["probe cancelled 2"]
    assert statuses == ["cancelled", "cancelled"]


async def test_delivery_ids_are_forgotten_after_a_day_by_the_leader(database_url: str) -> None:
    """A retry is recognised within the day; after that the id is deleted, so the table does not grow."""
    from bot.scheduler import SchedulerAlarm
    from bot.store import requests
    from bot.store.db import Store
    from bot.store.models import ProcessedRequest, Tenant

    store = Store(database_url)
    await store.upgrade()
    try:
        async with store.session() as session:
            session.add(Tenant(id="slack:T1", platform="slack", created_at=T0))
            await session.flush()
            session.add(
                ProcessedRequest(tenant_id="slack:T1", request_id="old", seen_at=T0 - timedelta(days=2))
            )
            session.add(
                ProcessedRequest(tenant_id="slack:T1", request_id="new", seen_at=T0 - timedelta(hours=1))
            )
            await session.commit()
        assert await requests.forget_before(store, T0 - requests.REMEMBER) == 1
        async with store.session() as session:
            assert [r.request_id for r in (await session.exec(select(ProcessedRequest))).all()] == ["new"]
        from bot.scheduler import Timers

        alarm = SchedulerAlarm(Timers(store, VirtualClock(T0)))
        alarm.start()
        try:
            assert alarm.scheduler.get_job("housekeeping") is not None  # the leader does it hourly
        finally:
            await alarm.stop()
            alarm.shutdown()
    finally:
        await store.close()


async def test_timers_that_finished_a_month_ago_are_deleted_by_the_leader_and_no_other(
    database_url: str,
) -> None:
    """Every hand-off leaves finished rows; kept for ever the table grew with a community's whole history.
    The leader's hourly housekeeping deletes what finished more than a month ago, and nothing that may
    still fire: not a pending row however overdue, not one a process is running, not one that fell due
    long ago but fired only lately."""
    from bot.scheduler import FINISHED_KEPT, SchedulerAlarm, Timers
    from bot.store.db import Store
    from bot.store.models import Tenant

    store = Store(database_url)
    await store.upgrade()
    old, lately = T0 - FINISHED_KEPT - timedelta(days=1), T0 - timedelta(days=2)
    rows = {
        "done long ago": ("done", old, old),
        "cancelled long ago": ("cancelled", old, None),
        "failed long ago": ("failed", old, old),
        "skipped long ago": ("skipped", old, None),
        "done lately": ("done", lately, lately),
        "due long ago, fired lately": ("done", old, lately),
        "pending and overdue": ("pending", old, None),
        "running since long ago": ("running", old, old),
    }
    try:
        async with store.session() as session:
            session.add(Tenant(id="slack:T1", platform="slack", created_at=old))
            await session.flush()
            session.add_all(
                Timer(
                    tenant_id="slack:T1",
                    kind="test",
                    key=name,
                    status=status,
                    due_at=due,
                    created_at=old,
                    fired_at=fired,
                )
                for name, (status, due, fired) in rows.items()
            )
            await session.commit()
        alarm = SchedulerAlarm(Timers(store, VirtualClock(T0)))
        await alarm._housekeeping()  # what the leader runs every hour
        async with store.session() as session:
            left = sorted((await session.exec(select(Timer.key))).all())
        assert left == sorted(
            ["done lately", "due long ago, fired lately", "pending and overdue", "running since long ago"]
        )
    finally:
        await store.close()


async def test_a_timer_far_ahead_gets_its_alarm_from_the_poll_when_it_comes_near(database_url: str) -> None:
    """A nudge due in a day holds no APScheduler job (an event's end plans hundreds: memory, and objects
    every full garbage collection walks); the leader's poll arms it when it is within two polls."""
    from bot.scheduler import ARM_AHEAD, SchedulerAlarm, Timers
    from bot.store.db import Store
    from bot.store.models import Tenant

    now = datetime.now(UTC) + timedelta(days=1)  # ahead of the real clock: no alarm rings in the test
    store = Store(database_url)
    await store.upgrade()
    try:
        async with store.session() as session:
            session.add(Tenant(id="slack:T1", platform="slack", created_at=now))
            await session.flush()
            far = Timer(
                tenant_id="slack:T1", kind="probe", payload={}, due_at=now + timedelta(days=1), created_at=now
            )
            near = Timer(
                tenant_id="slack:T1",
                kind="probe",
                payload={},
                due_at=now + timedelta(minutes=5),
                created_at=now,
            )
            session.add_all([far, near])
            await session.commit()
        clock = VirtualClock(now)
        alarm = SchedulerAlarm(Timers(store, clock))
        alarm.start()
        try:
            alarm.arm(far.id, far.due_at)
            alarm.arm(near.id, near.due_at)
            assert (alarm.is_armed(far.id), alarm.is_armed(near.id)) == (False, True)
            assert near.due_at - now <= ARM_AHEAD < far.due_at - now
            clock.set(far.due_at - timedelta(seconds=1))  # a day later, a second before it is due
            await alarm.poll()
            assert alarm.is_armed(far.id)
        finally:
            await alarm.stop()
            alarm.shutdown()
    finally:
        await store.close()
