"""Leadership: which one of several bot processes on one database rings the timer alarms.

Any number of processes may take commands; at most one at a time arms the alarms and sweeps for due
timers. On PostgreSQL that one is whichever holds a session-level advisory lock
(`pg_try_advisory_lock(LEADER_LOCK_KEY)`) on a dedicated connection that it keeps for as long as it lives.
When it dies, even by SIGKILL, the kernel closes its socket, PostgreSQL ends the session and releases the
lock, and the next follower to retry (every `retry_seconds`) takes it over. On SQLite there is only ever
one process, so it is always the leader.

Leadership is an optimisation, not the guarantee: a row is claimed with `UPDATE … WHERE status =
'pending'`, so even two leaders at once (a partitioned old leader still finishing its work) could never
fire a row twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key: the first 8 bytes of SHA-256 of `name`."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


LEADER_LOCK_NAME = "tsunagari:timers:leader"
LEADER_LOCK_KEY = lock_key(LEADER_LOCK_NAME)  # = -3359449391771780680
MIGRATION_LOCK_NAME = "tsunagari:migrations"
MIGRATION_LOCK_KEY = lock_key(MIGRATION_LOCK_NAME)  # = -1610248266406817692

QUERY_TIMEOUT = 10.0  # seconds; a lock connection that does not answer within this is treated as lost
# A process that dies closes its socket and PostgreSQL releases the lock at once. A leader cut off by the
# network (its socket never closed) is noticed by the server's TCP keepalives instead: after about
# 10 + 3 * 5 = 25 s rather than the operating system's default of two hours. The cut-off leader itself
# steps down sooner, when its own `SELECT 1` fails or times out (QUERY_TIMEOUT).
LOCK_SESSION_SETTINGS = {
    "application_name": "tsunagari-leadership",
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
}

Callback = Callable[[], Awaitable[None]]


def asyncpg_dsn(url: str) -> str:
    """The store's SQLAlchemy URL (postgresql+asyncpg://…) as a plain libpq DSN for asyncpg."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


class Leadership:
    """Elects this process (or not) and says so through `on_elected` / `on_deposed`.

    `on_elected` runs once each time the process becomes leader, `on_deposed` once each time it stops
    being one (its lock connection failed, or it is closing). Neither runs concurrently with the other.
    """

    def __init__(
        self,
        url: str,
        *,
        on_elected: Callback,
        on_deposed: Callback,
        retry_seconds: float = 1.0,
        key: int = LEADER_LOCK_KEY,
    ) -> None:
        self.url = url
        self.on_elected, self.on_deposed = on_elected, on_deposed
        self.retry_seconds = retry_seconds
        self.key = key
        self.is_leader = False
        self.postgres = is_postgres(url)
        self._connection = None  # asyncpg.Connection, the one that holds the lock
        self._task: asyncio.Task | None = None
        self._lock = asyncio.Lock()  # serialises elections, depositions and close

    async def start(self) -> None:
        """Try once at once (so a lone process leads before its adapters start), then keep trying."""
        if not self.postgres:
            await self._elect()
            return
        await self._attempt()
        self._task = asyncio.create_task(self._run(), name="tsunagari-leadership")

    async def close(self) -> None:
        """Step down and release the lock, so a follower takes over at its next retry."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        async with self._lock:
            was_leader = self.is_leader
            if was_leader:
                await self._depose("this process is stopping", level=logging.INFO)
            await self._disconnect(release=was_leader and self.postgres)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.retry_seconds)
            try:
                await self._attempt()
            except asyncio.CancelledError:
                raise
            except Exception:  # a callback failed: log it and try again next round
                log.exception("leadership round failed")

    async def _attempt(self) -> None:
        async with self._lock:
            try:
                if self._connection is None or self._connection.is_closed():
                    if self.is_leader:
                        await self._depose("the lock connection closed")
                    await self._connect()
                if self.is_leader:
                    # Still ours? A dead connection means PostgreSQL has released (or will) the lock.
                    await self._connection.fetchval("SELECT 1", timeout=QUERY_TIMEOUT)
                    return
                got = await self._connection.fetchval(
                    "SELECT pg_try_advisory_lock($1)", self.key, timeout=QUERY_TIMEOUT
                )
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                await self._lost(error)
                return
            if got:
                await self._elect()

    async def _lost(self, error: BaseException) -> None:
        log.warning("leadership: lock connection failed (%s)", type(error).__name__)
        if self.is_leader:
            await self._depose("the lock connection failed")
        await self._disconnect(release=False)

    async def _connect(self) -> None:
        self._connection = await asyncpg.connect(
            asyncpg_dsn(self.url),
            timeout=QUERY_TIMEOUT,
            server_settings=LOCK_SESSION_SETTINGS,
        )

    async def _disconnect(self, *, release: bool) -> None:
        connection, self._connection = self._connection, None
        if connection is None or connection.is_closed():
            return
        try:
            if release:
                await connection.fetchval("SELECT pg_advisory_unlock($1)", self.key, timeout=QUERY_TIMEOUT)
            await connection.close(timeout=QUERY_TIMEOUT)
        except Exception:  # closing anyway: the server releases a session lock with its session
            connection.terminate()

    async def _elect(self) -> None:
        self.is_leader = True
        log.info("leadership: pid %d is now the leader (runs the timer alarms)", os.getpid())
        try:
            await self.on_elected()
        except Exception:
            log.exception("leadership: starting the alarms failed")
            if self.postgres:  # a leader that rings nothing must not keep the lock: let another try
                await self._depose("starting the alarms failed")
                await self._disconnect(release=True)

    async def _depose(self, why: str, *, level: int = logging.WARNING) -> None:
        self.is_leader = False
        log.log(level, "leadership: pid %d is no longer the leader: %s", os.getpid(), why)
        try:
            await self.on_deposed()
        except Exception:
            log.exception("leadership: stopping the alarms failed")


@contextlib.asynccontextmanager
async def migration_lock(url: str) -> AsyncIterator[None]:
    """Several processes starting at once migrate one after another, not on top of each other."""
    if not is_postgres(url):
        yield
        return
    connection = await asyncpg.connect(asyncpg_dsn(url), timeout=QUERY_TIMEOUT)
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        yield
    finally:  # ending the session releases its locks
        try:
            await connection.close(timeout=QUERY_TIMEOUT)
        except Exception:
            connection.terminate()
