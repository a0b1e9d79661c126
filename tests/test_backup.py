"""`tsunagari db backup FILE` on a live SQLite database mid-round, restored into a new file: the round
goes on from the copy. The command warns that the copy holds an open barrier board's secret, naming the
board's channel; `tsunagari health` says whether the database answers and the timers keep up."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.store.backup import pg_dump_command
from tests.support import Chat

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def tsunagari(*args: str, database: Path | str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command line as an operator runs it beside the running bot (another process, same file)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "TSUNAGARI_"))}
    env.pop("LC_ALL", None)
    url = database if isinstance(database, str) else f"sqlite:///{database}"
    env.update(LANG="C.UTF-8", DATABASE_URL=url, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


async def test_a_backup_taken_mid_round_restores_into_a_new_file_and_the_round_goes_on(tmp_path: Path):
    live = tmp_path / "live.db"
    chat = Chat(f"sqlite+aiosqlite:///{live}", START)
    await chat.start()
    try:
        await chat.say("alice", 'event start "Yorimichi" --lang en')
        for name in ("bob", "carol"):
            await chat.say(name, "join")
        await chat.say("alice", "turns @bob @carol --minutes 3 --order given")
        await chat.say("alice", "barriers open --min 2")
        await chat.say("bob", 'barriers share "nobody asks for help" --category fear')
        await chat.wait(minutes=1)  # bob is 1 of his 3 minutes in; the copy is taken now, bot running
        copy = tmp_path / "backup.db"
        done = tsunagari("db", "backup", str(copy), database=live, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[0].startswith(f"Backed up {live} to {copy}. To restore: stop the bot")
        assert lines[1].startswith("Warning: a barrier board is still open in channel #main (console).")
        assert "This copy holds its secret" in lines[1]
        # The live bot carries on meanwhile; whatever it does after the copy is not in it.
        await chat.say("carol", 'barriers share "too busy to talk" --category fear')
    finally:
        await chat.close()

    # Restore: the copy, put where a new DATABASE_URL points, and the bot started on it at that moment.
    restored = tmp_path / "restored.db"
    shutil.copyfile(copy, restored)
    again = Chat(f"sqlite+aiosqlite:///{restored}", START + timedelta(minutes=1))
    await again.start()
    try:
        seen = await again.wait(minutes=2)  # bob's turn ends at 09:03, on the timer stored in the copy
        assert "[09:02] #main | @bob, 30 seconds left." in seen
        assert "[09:03] #main | Time's up, @bob. Thank you!" in seen
        assert any(line.startswith("[09:03] #main | @carol has") for line in seen), seen
        seen = await again.say("alice", "barriers reveal")  # only bob's card was in when the copy was taken
        assert any("Not yet" in line for line in seen), seen
        await again.say("carol", 'barriers share "too busy to talk" --category fear')
        await again.wait(minutes=1)  # the reveal goes by the board's count, which moves once a minute
        seen = await again.say("alice", "barriers reveal")
        assert sum("nobody asks for help" in line for line in seen) == 1
        assert sum("too busy to talk" in line for line in seen) == 1
        seen = await again.wait(minutes=3)
        assert any("The round is over" in line for line in seen), seen
    finally:
        await again.close()


def test_a_backup_never_overwrites_and_needs_a_database(tmp_path: Path) -> None:
    existing = tmp_path / "there.db"
    existing.write_bytes(b"keep me")
    done = tsunagari("db", "backup", str(existing), database=tmp_path / "nowhere.db", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0].startswith("tsunagari: there is no SQLite database at ")
    live = tmp_path / "live.db"
    assert tsunagari("db", "upgrade", database=live, cwd=tmp_path).returncode == 0
    done = tsunagari("db", "backup", str(existing), database=live, cwd=tmp_path)
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == f"tsunagari: {existing} already exists; a backup never overwrites a file. Choose a new name."
    )
    assert existing.read_bytes() == b"keep me"


def test_postgresql_is_backed_up_with_pg_dump_and_the_password_is_not_printed(tmp_path: Path) -> None:
    assert pg_dump_command("postgresql+asyncpg://bot:s3cret@db.internal:5433/tsunagari", "/b/t.dump") == (
        "pg_dump --format=custom --file=/b/t.dump 'postgresql://bot@db.internal:5433/tsunagari'"
    )


@pytest.mark.skipif(not os.environ.get("TSUNAGARI_TEST_POSTGRES"), reason="set TSUNAGARI_TEST_POSTGRES")
def test_db_backup_on_postgresql_prints_the_pg_dump_line(tmp_path: Path) -> None:
    done = tsunagari(
        "db", "backup", "/tmp/t.dump", database=os.environ["TSUNAGARI_TEST_POSTGRES"], cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].startswith(
        "  pg_dump --format=custom --file=/tmp/t.dump 'postgresql://"
    )


async def test_health_is_0_while_timers_keep_up_and_1_when_one_is_overdue(tmp_path: Path) -> None:
    live = tmp_path / "live.db"
    chat = Chat(f"sqlite+aiosqlite:///{live}", datetime.now(UTC).replace(microsecond=0))
    await chat.start()
    try:
        await chat.say("alice", 'event start "Yorimichi" --lang en')
        for name in ("bob", "carol"):
            await chat.say(name, "join")
        seen = await chat.say("alice", "turns @bob @carol --minutes 3")  # timers due in minutes of real time
        assert any("@bob" in line for line in seen), seen
    finally:
        await chat.close()
    done = tsunagari("health", database=live, cwd=tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, "ok: the database answers and no timer is overdue")
    # The same database an hour later with nobody running the bot: the turn's timer never fired.
    later = tmp_path / "later.db"
    assert tsunagari("db", "backup", str(later), database=live, cwd=tmp_path).returncode == 0
    with sqlite3.connect(later) as connection:
        moved = connection.execute(
            "UPDATE timer SET due_at = datetime(due_at, '-1 hour') WHERE status = 'pending'"
        ).rowcount
    assert moved >= 1
    done = tsunagari("health", database=later, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("unhealthy: ")
    assert "timer(s) overdue" in done.stderr
    done = tsunagari("health", database="postgresql://nobody@127.0.0.1:9/none", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().startswith("unhealthy: the database does not answer")
