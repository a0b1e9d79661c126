"""The room at a glance: how long `event status` and the question of `event end` take as a room grows.

    python -m bench.room [--people 30,150,500] [--database URL | --sqlite] [--runs 7]

Each room is real: people join through the core with varied profiles (some away), a round of turns with 24
speakers is live, a barrier board is open and a round of pairs has been sent. Then the facilitator's
`event status`, a participant's `event status` and a facilitator's `event end` (which only asks, since
the round is live) are each answered `--runs` times; the table gives the median wall time and the SQL
statements one answer sends. The statements should not grow with the room (the people are read in one
query; only their count and the languages are summed in Python).

By default a fresh PostgreSQL database is created on the server of `--database` and dropped afterwards;
`--sqlite` uses a temporary SQLite file instead.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event as event_listener

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.bootstrap import build  # noqa: E402
from bot.clock import VirtualClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.events import Caller, CommandInvoked  # noqa: E402
from tests.support import create_pg_database, drop_pg_database  # noqa: E402

ORGS = ["Fujitsu", "LinkedIn", "NPO", "City", "Startup", "University", "Musubi"]
LANGUAGES = ["ja", "en", "ja,en", "ko", ""]


def caller(user: str, channel: str) -> Caller:
    return Caller("console", user, channel, "en", user)


async def room(url: str, people: int, runs: int) -> list[tuple[str, float, int]]:
    app = build(
        Settings().model_copy(update={"database_url": url}),
        clock=VirtualClock(datetime(2026, 1, 15, 9, tzinfo=UTC)),
    )
    await app.start()
    channel = f"C{people}"
    try:
        handle = app.core.handle
        await handle(CommandInvoked(caller("host", channel), f'event start "Room of {people}"'))
        for i in range(people):
            languages = LANGUAGES[i % len(LANGUAGES)]
            profile = f"--org {ORGS[i % len(ORGS)]}" + (f" --languages {languages}" if languages else "")
            await handle(CommandInvoked(caller(f"p{i}", channel), f"join {profile}"))
            if i % 9 == 4:
                await handle(CommandInvoked(caller(f"p{i}", channel), "away"))
        await handle(CommandInvoked(caller("host", channel), "pairs"))
        speakers = " ".join(f"<@p{i}>" for i in range(min(24, people)))
        await handle(CommandInvoked(caller("host", channel), f"turns {speakers}"))
        await handle(CommandInvoked(caller("host", channel), "barriers open"))
        await app.core.settle()  # a large room's pairs are planned in the worker: let it finish first

        statements = [0]
        listener = lambda *_: statements.__setitem__(0, statements[0] + 1)  # noqa: E731
        sync_engine = app.store.engine.sync_engine
        event_listener.listen(sync_engine, "before_cursor_execute", listener)
        rows = []
        for label, user, text in (
            ("status, facilitator", "host", "event status"),
            ("status, participant", "p30" if people > 30 else "p3", "event status"),
            ("end asks first", "host", "event end"),
        ):
            times = []
            for _ in range(runs):
                statements[0] = 0
                began = time.perf_counter()
                [answer] = await handle(CommandInvoked(caller(user, channel), text))
                times.append(time.perf_counter() - began)
                assert answer.message.text, label
            rows.append((label, statistics.median(times), statements[0]))
        event_listener.remove(sync_engine, "before_cursor_execute", listener)
        return rows
    finally:
        await app.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", default="30,150,500")
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    sizes = [int(part) for part in args.people.split(",")]
    print(f"{'database':10} {'people':>6}  {'answer':22} {'median ms':>9} {'statements':>10}")
    for size in sizes:
        if args.sqlite:
            with tempfile.TemporaryDirectory() as folder:
                rows = await room(f"sqlite+aiosqlite:///{folder}/room.db", size, args.runs)
            label = "sqlite"
        else:
            name, url = await create_pg_database(args.database, prefix="tsunagari_bench_room_")
            try:
                rows = await room(url, size, args.runs)
            finally:
                await drop_pg_database(args.database, name)
            label = "postgresql"
        for what, seconds, count in rows:
            print(f"{label:10} {size:>6}  {what:22} {seconds * 1000:>9.1f} {count:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
