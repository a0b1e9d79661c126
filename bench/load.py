"""Load: many events at once, each running rounds, boards and pairs through the console adapter.

    python -m bench.load [--events 100] [--participants 50] [--database URL | --sqlite] [--profile]

One asyncio task per event; each plays a whole workshop as its people would: `event start`, joins with
varied profiles, a round of turns with given speakers ended by "Done" and "Next" presses, a barrier board
(shares by command and by form, reveal, "Me too" presses), a round of pairs, `event end`. Every command goes
through the real path: ConsoleAdapter translates it, `core.handle` runs it in a transaction, and
`ConsoleAdapter.send` renders the actions into the console World. A command's reply time is measured from
the `handle()` call to its actions shown in the World.

The clock is a VirtualClock. The events move in lock-step phases; between phases the clock is advanced
(`Timers.advance_to`), so the timers really fire: the turn's 30-second warning and hand-off, the boards'
once-a-minute count refresh. A real clock would spend most of the run asleep (turns last 30 s at least and
boards refresh on a one-minute grid) and measure sleeping rather than the bot; the cost of the virtual clock
is that the timers fire between command phases, one after another as `advance_to` fires them, instead of
interleaved with commands. Their run time is measured and printed too.

The people act back to back (a closed loop, `--think 0`): 100 events mean ~100 commands in flight at every
moment, which is far harsher than people typing. `--think MS` adds a random pause (0 to 2×MS) before each.

By default a fresh PostgreSQL database is created on the server of `--database` (a URL naming any database
there, `postgresql://postgres@127.0.0.1:5432/test` unless told) with a unique name, and dropped afterwards;
`--sqlite` uses a temporary SQLite file instead.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import heapq
import io
import pstats
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import event as sa_event

from adapters.console.adapter import TENANT, ConsoleAdapter
from adapters.console.world import Shown, World
from bot.actions import Action, Reply
from bot.bootstrap import App, build
from bot.clock import VirtualClock
from bot.config import Settings
from bot.events import InboundEvent
from bot.store.models import Timer
from tests.support import create_pg_database, drop_pg_database

P99_TARGET_MS = 200
MEMORY_TARGET_MB = 200
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
SPEAKERS = 24  # named for the round of turns in each event; the core allows at most 30 in a round

ORGS = (
    "Fujitsu",
    "LinkedIn",
    "NPO Tsunagu",
    "City Hall",
    "Startup",
    "University",
    "Musubi",
    "Creative Guild",
)
REGIONS = ("Tokyo", "Osaka", "Fukuoka", "Sapporo", "Nagoya", "Kyoto", "Singapore", "London")
GENERATIONS = ("20s", "30s", "40s", "50s", "60s")
ROLES = ("engineer", "designer", "sales", "hr", "manager", "researcher", "student", "founder")
INTERESTS = ("ai", "climate", "community", "careers", "music", "running", "food", "parenting", "books")
LANGUAGES = ("ja", "en", "ja,en", "ja,en", "ja")
CATEGORIES = ("fear", "bias", "trust", "isolation", "dependence", "taboo", "other")
BARRIERS = (
    "I am afraid to look foolish when I ask a basic question",
    "Nobody here talks about loneliness",
    "Our department only ever talks to itself",
    "I worry people judge me by my age before I speak",
    "Asking for help feels like admitting failure",
    "I never know whether it is my place to speak up",
    "Meetings are only for the people who already know each other",
)

# What each event's channel must show by the end, so a run that skipped a ritual cannot pass as fast.
MILESTONES = {
    "event started": "has started, facilitated by",
    "round over": "The round is over.",
    "board revealed": "Revealed:",
    "pairs sent": "Round 1 of",
    "event ended": "has ended. Thank you",
}


_doing: ContextVar[str | None] = ContextVar("doing", default=None)


class EventWorld(World):
    """The console World, with an index so a person finds a button among what their own event showed.

    The plain World scans everything ever shown for every click, and channel messages are visible to all:
    with 100 events at once that is quadratic and finds another event's "Me too #3". Here a channel's
    messages are indexed by channel and private ones by person; `find_button` looks at those only.
    """

    def __init__(self) -> None:
        super().__init__()
        self.by_channel: dict[str, list[Shown]] = defaultdict(list)
        self.by_person: dict[str, list[Shown]] = defaultdict(list)
        self.home: dict[str, str] = {}  # person -> their event's channel

    def add(self, shown: Shown) -> Shown:
        super().add(shown)
        if shown.audience is None:
            self.by_channel[shown.channel].append(shown)
        else:
            for person in shown.audience:
                self.by_person[person].append(shown)
        return shown

    def visible_to(self, user: str) -> list[Shown]:
        channel = self.by_channel.get(self.home.get(user, ""), [])
        return list(heapq.merge(channel, self.by_person.get(user, []), key=lambda s: s.seq))


@dataclass
class Stats:
    replies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    timers_ms: list[float] = field(default_factory=list)
    advance_s: float = 0.0
    statements: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # SQL sent, by command
    errors: list[str] = field(default_factory=list)  # replies with the core's internal-error text
    missing: list[str] = field(default_factory=list)  # a button or form that was not there
    refused: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # UserError replies by key

    @property
    def all_ms(self) -> list[float]:
        return [ms for values in self.replies_ms.values() for ms in values]


class Phases:
    """Lock-step: every event task waits at each phase's end; the last to arrive advances the clock."""

    def __init__(self, parties: int, advance: Callable[[timedelta], Awaitable[None]]) -> None:
        self.parties, self.advance = parties, advance
        self.arrived = 0
        self.released = asyncio.Event()

    async def done(self, then: timedelta = timedelta(0)) -> None:
        released = self.released
        self.arrived += 1
        if self.arrived == self.parties:
            self.arrived, self.released = 0, asyncio.Event()
            await self.advance(then)
            released.set()
        else:
            await released.wait()


class Load:
    def __init__(self, app: App, adapter: ConsoleAdapter, world: EventWorld, think_ms: float) -> None:
        self.app, self.adapter, self.world = app, adapter, world
        self.stats = Stats()
        self.think_ms = think_ms
        self.internal = app.catalog.text("en", "core.error.internal")

    async def act(self, what: str, event: InboundEvent | None) -> list[Action]:
        if event is None:
            self.stats.missing.append(what)
            return []
        if self.think_ms:
            await asyncio.sleep(random.uniform(0, 2 * self.think_ms) / 1000)
        _doing.set(what)
        started = time.perf_counter()
        actions = await self.app.core.handle(event)
        await self.adapter.send(TENANT, actions, origin=event)
        self.stats.replies_ms[what].append((time.perf_counter() - started) * 1000)
        for action in actions:
            if isinstance(action, Reply):
                if self.internal in action.message.text:
                    self.stats.errors.append(what)
        return actions

    async def say(self, what: str, user: str, channel: str, text: str) -> list[Action]:
        return await self.act(what, self.adapter.command(user, channel, text))

    async def click(self, what: str, user: str, label: str) -> list[Action]:
        return await self.act(what, self.adapter.click(user, label))

    async def submit(self, what: str, user: str, title: str, values: dict[str, str]) -> list[Action]:
        return await self.act(what, self.adapter.submit(user, title, values))

    async def advance(self, delta: timedelta) -> None:
        if delta <= timedelta(0):
            return
        started = time.perf_counter()
        await self.app.timers.advance_to(self.app.clock.now() + delta)
        self.stats.advance_s += time.perf_counter() - started


def profile_args(rng: random.Random) -> str:
    parts = [f'--org "{rng.choice(ORGS)}"']
    for option, values in (("region", REGIONS), ("generation", GENERATIONS), ("role", ROLES)):
        if rng.random() < 0.9:
            parts.append(f"--{option} {rng.choice(values)}")
    parts.append(f"--languages {rng.choice(LANGUAGES)}")
    parts.append("--interests " + ",".join(rng.sample(INTERESTS, rng.randint(1, 3))))
    return " ".join(parts)


async def workshop(load: Load, phases: Phases, number: int, participants: int) -> None:
    rng = random.Random(number)
    channel = f"#ev{number:03d}"
    host = f"e{number:03d}host"
    people = [f"e{number:03d}p{n:03d}" for n in range(participants)]
    for person in (host, *people):
        load.world.home[person] = channel
    say, click = load.say, load.click

    await say("event start", host, channel, f'event start "Workshop {number}" --lang en --tz Asia/Tokyo')
    for person in people:
        await say("join", person, channel, f"join {profile_args(rng)}")
    await phases.done()

    # A round of turns with the speakers named (a round takes at most 30), in that order, 1 minute each.
    speakers = people[:SPEAKERS]
    named = " ".join(f"@{person}" for person in speakers)
    await say("turns", host, channel, f"turns {named} --order given --minutes 1")
    half = len(speakers) // 2
    for n, person in enumerate(speakers[:half]):
        if n % 3 == 2:
            await click("turns Next (button)", host, "Next")
        else:
            await click("turns Done (button)", person, "Done")
    # The speaker after them talks the whole minute: the warning and the hand-off are timers.
    await phases.done(then=timedelta(seconds=60))
    for n, person in enumerate(speakers[half + 1 :]):
        if n % 3 == 2:
            await say("turns next", host, channel, "turns next")
        else:
            await click("turns Done (button)", person, "Done")
    await phases.done()

    # The barrier board: most share by command, every fifth by the form.
    await say("barriers open", host, channel, "barriers open --min 3")
    for n, person in enumerate(people):
        text, category = BARRIERS[(number + n) % len(BARRIERS)], CATEGORIES[n % len(CATEGORIES)]
        if n % 5 == 4:
            await click("barriers form (button)", person, "Share anonymously")
            await load.submit(
                "barriers share (form)",
                person,
                "Share anonymously",
                {"text": f"{text} ({n})", "category": category},
            )
        else:
            await say(
                "barriers share", person, channel, f'barriers share "{text} ({n})" --category {category}'
            )
    await phases.done(then=timedelta(minutes=1))  # the board's count refreshes
    await say("barriers reveal", host, channel, "barriers reveal")
    for n, person in enumerate(people):
        await click("barriers Me too (button)", person, f"Me too #{1 + (n * 7) % 5}")
    await phases.done(then=timedelta(minutes=1))  # the counts refresh

    # A round of pairs, then the end.
    await say("pairs", host, channel, "pairs")
    await phases.done()
    await say("event end", host, channel, "event end")
    await phases.done()


async def run(url: str, events: int, participants: int, think_ms: float) -> tuple[Load, float, int]:
    settings = Settings().model_copy(
        update={"database_url": url, "default_lang": "en", "log_level": "WARNING"}
    )
    clock = VirtualClock(datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    app = build(settings, clock=clock)
    world = EventWorld()
    adapter = ConsoleAdapter(world, clock, ZoneInfo("Asia/Tokyo"), app.catalog)
    app.dispatcher.register(TENANT, adapter)
    await app.start()

    def count_statement(*_args: object) -> None:
        if (doing := _doing.get()) is not None:
            load.stats.statements[doing] += 1

    sa_event.listen(app.store.engine.sync_engine, "before_cursor_execute", count_statement)
    load = Load(app, adapter, world, think_ms)
    run_timer = app.timers.run

    async def timed_timer(timer: Timer) -> None:
        _doing.set("timers fired (not replies)")
        started = time.perf_counter()
        await run_timer(timer)
        load.stats.timers_ms.append((time.perf_counter() - started) * 1000)

    app.timers.run = timed_timer
    error_reply = app.core._error_reply

    def counted_error_reply(caller, locale, key, params):  # noqa: ANN001, ANN202 - the core's own signature
        load.stats.refused[key] += 1
        return error_reply(caller, locale, key, params)

    # The script does nothing a user could get wrong: any localised refusal means it went off the rails.
    app.core._error_reply = counted_error_reply
    try:
        phases = Phases(events, load.advance)
        started = time.perf_counter()
        await asyncio.gather(*(workshop(load, phases, n, participants) for n in range(events)))
        wall = time.perf_counter() - started
        missing = 0
        for n in range(events):
            lines = "\n".join(line for shown in world.by_channel[f"#ev{n:03d}"] for line in shown.lines)
            missing += sum(1 for text in MILESTONES.values() if text not in lines)
    finally:
        await app.close()
    return load, wall, missing


def _ms(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(
    load: Load,
    wall: float,
    missing: int,
    events: int,
    participants: int,
    database: str,
    rss0: int,
    traced: int | None,
) -> bool:
    stats = load.stats
    every = stats.all_ms
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    p99 = _ms(every, 0.99)
    print(
        f"{events} events × {participants} participants at once, console adapter, {database}; virtual clock; "
        + (
            f"each person pauses 0-{2 * load.think_ms:.0f} ms before acting"
            if load.think_ms
            else "no pauses (closed loop)"
        )
    )
    sql = stats.statements
    print(f"{'command':<28} | {'count':>6} | {'p50 ms':>7} | {'p99 ms':>7} | {'max ms':>7} | {'SQL each':>8}")
    print(f"{'-' * 28}-+-{'-' * 6}-+-{'-' * 7}-+-{'-' * 7}-+-{'-' * 7}-+-{'-' * 8}")
    for what, values in stats.replies_ms.items():
        print(
            f"{what:<28} | {len(values):>6} | {_ms(values, 0.5):>7.1f} | {_ms(values, 0.99):>7.1f} | {max(values):>7.1f} | {sql[what] / len(values):>8.1f}"
        )
    print(f"{'-' * 28}-+-{'-' * 6}-+-{'-' * 7}-+-{'-' * 7}-+-{'-' * 7}-+-{'-' * 8}")
    print(
        f"{'all commands':<28} | {len(every):>6} | {_ms(every, 0.5):>7.1f} | {p99:>7.1f} | {max(every):>7.1f} | {sum(v for k, v in sql.items() if k in stats.replies_ms) / len(every):>8.1f}"
    )
    if stats.timers_ms:
        t = stats.timers_ms
        print(
            f"{'timers fired (not replies)':<28} | {len(t):>6} | {_ms(t, 0.5):>7.1f} | {_ms(t, 0.99):>7.1f} | {max(t):>7.1f} | {sql['timers fired (not replies)'] / len(t):>8.1f}"
        )
    print()
    print(f"commands total        {len(every)}")
    print(
        f"wall time             {wall:.1f} s (of which clock advances firing timers: {stats.advance_s:.1f} s)"
    )
    print(f"commands per second   {len(every) / wall:.0f} (over the whole wall time)")
    print(f"reply time p50        {_ms(every, 0.5):.1f} ms")
    print(
        f"reply time p99        {p99:.1f} ms   target < {P99_TARGET_MS} ms: {'met' if p99 < P99_TARGET_MS else 'MISSED'}"
    )
    print(f"reply time max        {max(every):.1f} ms")
    print(
        f"peak memory (maxrss)  {peak_mb:.0f} MB (at start {rss0 / 1024:.0f} MB)   target < {MEMORY_TARGET_MB} MB: {'met' if peak_mb < MEMORY_TARGET_MB else 'MISSED'}"
    )
    if traced is not None:
        print(f"tracemalloc peak      {traced / 1e6:.0f} MB")
    print(f"messages in the World {len(load.world.shown)}")
    print(f"internal errors       {len(stats.errors)}   (must be 0)")
    print(f"buttons/forms missing {len(stats.missing)}   (must be 0)")
    refusals = ", ".join(
        f"{key} ×{count}" for key, count in stats.refused.items() if key != "core.error.internal"
    )
    print(f"user-error replies    {sum(stats.refused.values()) - len(stats.errors)}   (must be 0) {refusals}")
    print(f"milestones missing    {missing}   (must be 0: each event shows its round, reveal, pairs and end)")
    return not stats.refused and not stats.missing and not missing


async def main_async(args: argparse.Namespace) -> bool:
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if args.tracemalloc:
        tracemalloc.start()
    profiler = cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory(prefix="tsunagari-load-") as folder:
        name = None
        if args.sqlite:
            url, database = f"sqlite+aiosqlite:///{Path(folder) / 'load.db'}", "SQLite"
        else:
            name, url = await create_pg_database(args.database, prefix="tsunagari_load_")
            database = "PostgreSQL"
        try:
            if profiler:
                profiler.enable()
            load, wall, missing = await run(url, args.events, args.participants, args.think)
            if profiler:
                profiler.disable()
        finally:
            if name:
                await drop_pg_database(args.database, name)
    traced = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
    ok = report(load, wall, missing, args.events, args.participants, database, rss0, traced)
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print("\ncProfile, top 25 by own time (the profiler slows the run; the table above is profiled too):")
        print(out.getvalue())
    return ok


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--participants", type=int, default=50)
    parser.add_argument(
        "--database", default=DEFAULT_SERVER, help="a PostgreSQL server to create a fresh database on"
    )
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead")
    parser.add_argument("--think", type=float, default=0.0, help="mean pause in ms before each command")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slow)")
    parser.add_argument("--profile", action="store_true", help="run under cProfile and print the hotspots")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    gc.collect()
    return 0 if asyncio.run(main_async(args)) else 1


if __name__ == "__main__":
    sys.exit(main())
