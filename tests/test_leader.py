"""Leadership in one test process: the lock, handing it on, losing it, the leader's poll, abandoned rows.

The whole-process tests (SIGKILL, three bots) are in test_leader_processes.py.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from adapters.console.adapter import TENANT, ConsoleAdapter
from adapters.console.world import World
from bot.bootstrap import App, build
from bot.clock import SystemClock
from bot.config import Settings
from bot.leader import LEADER_LOCK_KEY, Leadership, asyncpg_dsn, lock_key
from bot.store.db import Store
from bot.store.models import Tenant, Timer
from tests.conftest import POSTGRES
from tests.processes.timer_probe import probe

needs_postgres = pytest.mark.skipif(
    not POSTGRES, reason="advisory locks need PostgreSQL: set TSUNAGARI_TEST_POSTGRES"
)


async def eventually(condition: Callable[[], object], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not true within {within}s")


def real_app(url: str, shown: list[str], **settings: object) -> App:
    clock = SystemClock()
    app = build(
        Settings().model_copy(update={"database_url": url, **settings}), clock=clock, extra_routers=[probe]
    )
    app.dispatcher.register(TENANT, ConsoleAdapter(World(shown.append), clock, ZoneInfo("UTC"), app.catalog))
    return app


async def add_rows(url: str, due_at: datetime, count: int, status: str = "pending", **extra: object) -> None:
    """Rows written by some other process, which never tells this one."""
    store = Store(url)
    try:
        await store.upgrade()
        now = datetime.now(UTC)
        async with store.session() as session:
            if await session.get(Tenant, TENANT) is None:
                session.add(Tenant(id=TENANT, platform="console", created_at=now))
            for n in range(count):
                session.add(
                    Timer(
                        tenant_id=TENANT,
                        kind="probe.ring",
                        payload={"n": n},
                        due_at=due_at,
                        created_at=now,
                        status=status,
                        **extra,
                    )
                )
            await session.commit()
    finally:
        await store.close()


async def statuses(app: App) -> Counter:
    async with app.store.session() as session:
        return Counter(t.status for t in (await session.exec(select(Timer))).all())


def test_the_lock_key_is_derived_from_a_constant() -> None:
    assert LEADER_LOCK_KEY == lock_key("tsunagari:timers:leader") == -3359449391771780680
    assert -(2**63) <= LEADER_LOCK_KEY < 2**63


def test_the_lock_connection_gets_a_plain_dsn() -> None:
    assert asyncpg_dsn("postgresql+asyncpg://u:p%40ss@h:5432/db") == "postgresql://u:p%40ss@h:5432/db"


async def test_a_process_on_sqlite_is_always_the_leader(tmp_path) -> None:  # noqa: ANN001
    app = real_app(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}", [])
    await app.start()
    try:
        assert app.leadership.is_leader and app.alarm.active
    finally:
        await app.close()
    assert not app.leadership.is_leader and not app.alarm.active


async def test_an_alarm_that_is_not_ringing_arms_nothing(tmp_path) -> None:  # noqa: ANN001
    app = real_app(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}", [])
    app.alarm.arm(1, datetime.now(UTC) + timedelta(minutes=5))
    assert app.alarm.scheduler.get_jobs() == []
    app.alarm.shutdown()
    await app.store.close()


class Candidate:
    def __init__(self, url: str, retry: float = 0.2) -> None:
        self.log: list[str] = []
        self.leadership = Leadership(
            url, on_elected=self.elected, on_deposed=self.deposed, retry_seconds=retry
        )

    async def elected(self) -> None:
        self.log.append("elected")

    async def deposed(self) -> None:
        self.log.append("deposed")


@needs_postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_one_holds_the_lock_and_hands_it_on_when_it_closes(database_url: str) -> None:
    a, b, c = Candidate(database_url), Candidate(database_url), Candidate(database_url)
    await a.leadership.start()
    await b.leadership.start()
    await c.leadership.start()
    try:
        await asyncio.sleep(0.6)  # several rounds of trying
        assert (a.log, b.log, c.log) == (["elected"], [], [])
        await a.leadership.close()
        assert a.log == ["elected", "deposed"]
        await eventually(lambda: b.log or c.log, 5)
        await asyncio.sleep(0.6)
        assert sorted([b.log, c.log]) == [[], ["elected"]]
    finally:
        for candidate in (a, b, c):
            await candidate.leadership.close()


@needs_postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_leader_whose_lock_connection_dies_steps_down_and_the_lock_is_taken_again(
    database_url: str,
) -> None:
    import asyncpg

    a, b = Candidate(database_url), Candidate(database_url)
    await a.leadership.start()
    await b.leadership.start()
    try:
        assert a.leadership.is_leader and not b.leadership.is_leader
        admin = await asyncpg.connect(asyncpg_dsn(database_url))
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", a.leadership._connection.get_server_pid())
        finally:
            await admin.close()
        await eventually(lambda: "deposed" in a.log, 5)
        # Then one of them leads again: b, or a itself on a new connection if it tried first.
        await eventually(lambda: a.leadership.is_leader or b.leadership.is_leader, 5)
        await asyncio.sleep(0.6)
        assert a.leadership.is_leader != b.leadership.is_leader
        assert a.log[:2] == ["elected", "deposed"]
    finally:
        await a.leadership.close()
        await b.leadership.close()


async def test_the_leader_fires_a_row_another_process_inserted(database_url: str) -> None:
    shown: list[str] = []
    app = real_app(database_url, shown, leader_poll_seconds=0.2)
    await app.start()
    try:
        await add_rows(database_url, datetime.now(UTC) + timedelta(seconds=0.5), 3)
        await eventually(lambda: len(shown) == 3, 10)
        assert (await statuses(app)) == Counter(done=3)
    finally:
        await app.close()


async def test_two_ringing_alarms_at_once_still_fire_every_row_exactly_once(database_url: str) -> None:
    """A split brain (an old leader cut off from its lock but still running) cannot fire a row twice."""
    await add_rows(database_url, datetime.now(UTC) - timedelta(seconds=1), 150)
    await add_rows(database_url, datetime.now(UTC) + timedelta(seconds=1), 50)
    shown: list[str] = []
    apps = [real_app(database_url, shown, leader_poll_seconds=0.2) for _ in range(2)]
    try:
        for app in apps:
            app.alarm.start()  # both ring, as if both were leaders
        await eventually(lambda: len(shown) >= 200, 30)
        await asyncio.sleep(0.5)
        assert (await statuses(apps[0])) == Counter(done=200)
    finally:
        for app in apps:
            await app.alarm.stop()
            await app.close()
    assert len(shown) == 200


async def test_rows_a_dead_process_left_running_are_marked_failed_not_fired_again(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    now = datetime.now(UTC)
    await add_rows(
        database_url, now - timedelta(minutes=30), 2, status="running", fired_at=now - timedelta(minutes=20)
    )
    await add_rows(
        database_url, now - timedelta(minutes=2), 1, status="running", fired_at=now - timedelta(minutes=1)
    )
    shown: list[str] = []
    app = real_app(database_url, shown, stuck_timer_seconds=600)
    with caplog.at_level(logging.WARNING, logger="bot.scheduler"):
        await app.start()
        try:
            await eventually(lambda: "never finished" in caplog.text, 10)
            await asyncio.sleep(0.3)
            assert (await statuses(app)) == Counter(failed=2, running=1)  # the young one may still be running
        finally:
            await app.close()
    assert shown == []
    assert caplog.text.count("marked failed, not fired again") == 2


@needs_postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_process_that_cannot_start_its_alarms_lets_another_lead(database_url: str) -> None:
    broken, healthy = Candidate(database_url), Candidate(database_url)

    async def fail() -> None:
        broken.log.append("elected")
        raise RuntimeError("no alarms today")

    broken.leadership.on_elected = fail
    await broken.leadership.start()
    try:
        assert broken.log == ["elected", "deposed"] and not broken.leadership.is_leader
        await healthy.leadership.start()
        await eventually(lambda: healthy.leadership.is_leader, 5)
    finally:
        await broken.leadership.close()
        await healthy.leadership.close()


async def test_without_update_returning_claims_and_abandoned_rows_still_work(tmp_path) -> None:  # noqa: ANN001
    """SQLite before 3.35 has no UPDATE … RETURNING: the timers take a second round trip instead."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    now = datetime.now(UTC)
    await add_rows(url, now - timedelta(seconds=1), 2)
    await add_rows(url, now - timedelta(hours=1), 1, status="running", fired_at=now - timedelta(minutes=20))
    shown: list[str] = []
    app = real_app(url, shown)
    app.store.engine.dialect.update_returning = False
    try:
        assert await app.timers.fail_abandoned(timedelta(minutes=10)) == [3]
        assert await app.timers.fail_abandoned(timedelta(minutes=10)) == []
        assert await app.timers.sweep() == 2
        assert await app.timers.sweep() == 0
        assert (await statuses(app)) == Counter(done=2, failed=1)
        assert len(shown) == 2
    finally:
        app.alarm.shutdown()
        await app.store.close()


class Partition:
    """A TCP relay to PostgreSQL that can cut the network between a bot and the database.

    `cut()` stops relaying in both directions without closing the bot's socket: the bot hears silence,
    as across a failed switch. `server_notices()` then closes the database's side, as PostgreSQL's TCP
    keepalives eventually do (about 25 s with the lock session's settings), which ends the session and
    releases its advisory lock. Connections opened during the cut are accepted and never answered.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.is_cut = False
        self.upstreams: list[asyncio.StreamWriter] = []
        self.server: asyncio.base_events.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.is_cut:
            return  # a black hole: accepted, never answered
        up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        self.upstreams.append(up_writer)

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            while data := await source.read(65536):
                if self.is_cut:
                    return
                sink.write(data)
                await sink.drain()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer), return_exceptions=True)

    def cut(self) -> None:
        self.is_cut = True

    def server_notices(self) -> None:
        for writer in self.upstreams:
            writer.close()

    def heal(self) -> None:
        self.is_cut = False

    async def close(self) -> None:
        self.server_notices()
        if self.server is not None:
            self.server.close()


@needs_postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_leader_cut_off_by_the_network_steps_down_and_only_then_another_leads(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.engine import make_url

    import bot.leader

    monkeypatch.setattr(bot.leader, "QUERY_TIMEOUT", 1.0)  # a silent lock connection is given up on after 1 s
    url = make_url(database_url)
    partition = Partition(url.host, url.port or 5432)
    relayed = url.set(host="127.0.0.1", port=await partition.start()).render_as_string(hide_password=False)
    a, b = Candidate(relayed), Candidate(database_url)
    await a.leadership.start()
    await b.leadership.start()
    try:
        assert a.leadership.is_leader and not b.leadership.is_leader
        partition.cut()
        # The server has not noticed yet, so the lock is still a's: nobody else may lead meanwhile.
        await eventually(lambda: "deposed" in a.log, 5)  # a's own check timed out: it stops ringing
        assert not b.leadership.is_leader
        partition.server_notices()  # keepalives end a's session: the lock is free
        await eventually(lambda: b.leadership.is_leader, 5)
        assert not a.leadership.is_leader
        partition.heal()
        await asyncio.sleep(1.5)  # a reconnects and finds the lock taken
        assert b.leadership.is_leader and not a.leadership.is_leader
        assert a.log == ["elected", "deposed"] and b.log == ["elected"]
    finally:
        await a.leadership.close()
        await b.leadership.close()
        await partition.close()


async def test_an_alarm_rearmed_while_its_timer_fires_rings_quietly_and_the_timer_fires_once(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Under load a poll can re-arm a timer whose first ring is still running; the second ring must
    neither fire it again nor make APScheduler warn that it skipped a run (which reads like a lost timer)."""
    from bot.router import Router

    hold = Router("hold")
    entered, release = asyncio.Event(), asyncio.Event()
    fired: list[int] = []

    @hold.timer("hold.ring")
    async def ring(ctx, timer) -> None:  # noqa: ANN001
        entered.set()
        await release.wait()
        fired.append(timer.id)

    clock = SystemClock()
    app = build(
        Settings().model_copy(update={"database_url": database_url}), clock=clock, extra_routers=[hold]
    )
    await app.start()
    try:
        async with app.store.session() as session:
            now = datetime.now(UTC)
            if await session.get(Tenant, TENANT) is None:
                session.add(Tenant(id=TENANT, platform="console", created_at=now))
            row = Timer(
                tenant_id=TENANT, kind="hold.ring", due_at=now + timedelta(seconds=0.3), created_at=now
            )
            session.add(row)
            await session.commit()
            timer_id, due_at = row.id, row.due_at
        app.alarm.arm(timer_id, due_at)
        with caplog.at_level(logging.WARNING, logger="apscheduler"):
            await asyncio.wait_for(entered.wait(), 10)
            app.alarm.arm(timer_id, datetime.now(UTC) - timedelta(seconds=1))  # rings again at once
            await asyncio.sleep(0.5)
            release.set()
            await eventually(lambda: fired, 5)
            await asyncio.sleep(0.3)
        assert fired == [timer_id]
        assert "skipped" not in caplog.text
        assert (await statuses(app)) == Counter(done=1)
    finally:
        release.set()
        await app.close()
