"""Crash safety for the one-process deployment: a bot on SQLite killed (SIGKILL) while firing timers, then
started again, fires every timer exactly once, but the few in flight at the kill, which are never fired
twice. A whole process on the real clock (tests/processes/fleet_bot.py); bounds on time are generous."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bot.scheduler import IN_FLIGHT
from tests.processes.fleet_bot import PROBE_TABLE
from tests.test_leader_processes import Bot, wait_until


def rows(path: Path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def epoch(stored: str) -> float:
    """A time as SQLite holds it (ISO text; the bot's own columns are naive UTC)."""
    when = datetime.fromisoformat(stored)
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def test_a_lone_process_on_sqlite_killed_while_firing_never_fires_a_timer_twice(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    url = f"sqlite+aiosqlite:///{path}"
    connection = sqlite3.connect(path)
    connection.execute(PROBE_TABLE)
    connection.commit()
    connection.close()
    env = {"FLEET_RING_SECONDS": "0.02", "TSUNAGARI_STUCK_TIMER_SECONDS": "2"}

    first = Bot(url, tmp_path, "first", **env)
    bots = [first]
    try:
        wait_until(lambda: first.ready, 60, "the bot ready", bots)
        assert first.elected()  # on SQLite the one process always leads
        first_due = time.time() + 2.0
        first.send(f"fleet spread solo {first_due:.3f} 4 300 0 1")
        wait_until(lambda: any(line.startswith("ack") for line in first.out()), 30, "the plan", bots)
        time.sleep(max(0.0, first_due + 2.0 - time.time()))
        killed_at, dead_by = first.kill()

        second = Bot(url, tmp_path, "second", **env)
        bots.append(second)
        wait_until(lambda: second.ready, 60, "the restarted bot ready", bots)
        wait_until(
            lambda: (
                rows(path, "SELECT count(*) FROM timer WHERE status IN ('pending', 'running')")[0][0] == 0
            ),
            60,
            "every timer to be fired or given up",
            bots,
        )
        assert second.close() == 0
    finally:
        for bot in bots:
            bot.stop()

    timers = {
        t: (status, claimed) for t, status, claimed in rows(path, "SELECT id, status, fired_at FROM timer")
    }
    firings = rows(path, "SELECT timer_id, pid, fired_at FROM probe_firing")
    fired = Counter(timer_id for timer_id, _, _ in firings)
    assert len(timers) == 300
    assert max(fired.values()) == 1
    missing = set(timers) - set(fired)
    assert {t for t, (status, _) in timers.items() if status == "failed"} == missing
    assert {t for t, (status, _) in timers.items() if status == "done"} == set(fired)
    assert len(missing) <= IN_FLIGHT
    assert all(epoch(timers[t][1]) <= dead_by for t in missing)
    by_pid = Counter(pid for _, pid, _ in firings)
    assert by_pid[first.pid] > 0 and by_pid[second.pid] > 0
    assert all(epoch(at) <= dead_by for _, pid, at in firings if pid == first.pid)
    assert all(epoch(at) >= killed_at for _, pid, at in firings if pid == second.pid)
    posted = Counter(line.rsplit(" ", 1)[1] for bot in bots for line in bot.out() if "fleet rang" in line)
    assert max(posted.values()) == 1
    print(f"\nSQLite: {len(fired)} of 300 fired, {len(missing)} in flight at the kill (marked failed)")
