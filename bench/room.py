"""The room at a glance: how long `event status`, the question of `event end` and `pairs` take as a room
grows.

    python -m bench.room [--people 30,50,150,500] [--database URL | --sqlite] [--runs 7]

Each room is real: people join through the core with varied profiles (some away), a round of turns with 24
speakers is live, a barrier board is open and a round of pairs has been sent. Then the facilitator's
`event status`, a participant's `event status` and a facilitator's `event end` (which only asks, since
the round is live) are each answered `--runs` times; the table gives the median wall time and the SQL
statements one answer sends. The statements should not grow with the room (the people are read in one
query; only their count and the languages are summed in Python).

`pairs, N present` is the whole command as a facilitator waits for it (issue 18's target: under 60 ms
for 50 people: `--people 56`, of whom one in nine is away): the roster and the event's earlier rounds
read, the round matched (on the loop for a room this size; a larger one answers at once and is matched
in the worker), stored, and its introductions built. Each run sends the next round of the same event, so
the matcher keeps every earlier round's pairs apart. Beside it, the baseline: `match()` alone on as many
made-up people (bench/pairing.py's workshop); what the command costs beyond the matcher is the rest.
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


def matcher_alone(people: int, runs: int) -> float:
    """The baseline: the median of `runs` calls of the matcher itself on `people` made-up participants."""
    from bench.pairing import workshop
    from bot.rituals.pairing.matcher import match

    participants, history = workshop(people, seed=people)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        match(participants, history=history, seed=7)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


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
        present = people - len(range(4, people, 9))  # one in nine is away
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
            (f"pairs, {present} present", "host", "pairs"),
        ):
            times = []
            for _ in range(runs):
                statements[0] = 0
                began = time.perf_counter()
                [answer, *_] = await handle(CommandInvoked(caller(user, channel), text))
                times.append(time.perf_counter() - began)
                assert answer.message.text, label
            rows.append((label, statistics.median(times), statements[0]))
        event_listener.remove(sync_engine, "before_cursor_execute", listener)
        rows.append((f"  match() alone, {present}", matcher_alone(present, runs), 0))
        return rows
    finally:
        await app.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", default="30,50,150,500")
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
