"""Load: many events at once, each running rounds, boards and pairs through the console adapter.

    python -m bench.load [--events 100] [--participants 50] [--database URL | --sqlite]
                         [--pace 1.0] [--stagger 60] [--profile]

One process, one asyncio loop, the real clock and the real alarm (APScheduler), as `tsunagari run` has.
Every event plays a whole workshop as its people would: `event start`, joins with varied profiles, a round
of turns with 24 named speakers ended by "Done" and "Next" presses (one speaker talks out the whole minute,
so the 30-second warning and the hand-off are timers), a barrier board (shares by command and by form, a
reveal, "Me too" presses), a round of pairs, `event end confirm`. Each command goes through the real path:
ConsoleAdapter translates it, `core.handle` runs it in a transaction, `ConsoleAdapter.send` renders the
actions into the console World. A command's reply time runs from the `handle()` call to its actions shown.

The people act as people do, at once and each at their own moment: the events start within `--stagger`
seconds of each other; inside an event the 50 joins fall at random within 90 s, the shares within 90 s,
the "Me too" presses within 45 s, and a speaker presses "Done" 1-3 s into their turn. That is harsher than
a real room (a sentence about what holds you back takes longer to write than 90 s allows 50 people), and
with 100 events it offers ~100 commands a second at the peaks. `--pace` scales every human pause
(0.5 = twice as fast; 0 = everyone at once, which measures the most one process can take, not reply time).

Also printed: how late the timers fired against their due time, and the event loop's lag (a task that
asks to wake every 10 ms and records how late it woke): what every timer and reply waits behind.

`--heavy` (on by default; `--no-heavy` leaves it out) adds the heaviest commands beside the load, at the
busiest minute: `pairs --rounds 30` in a room of 51 and `pairs` in a room of 2,000. Each answers at once and
posts its round when the worker has planned it; the table gives both times, and the loop-lag line is what
every other room felt meanwhile.

A command's reply time runs from the moment its person meant to act (the end of their pause), not from
when their task happened to resume: a loop busy elsewhere delays that resumption, and the delay is part
of what the person waits.

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
import itertools
import pstats
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event as sa_event

from adapters.console.adapter import TENANT, ConsoleAdapter
from adapters.console.world import Shown, World
from bot.actions import Action, Reply
from bot.bootstrap import App, build
from bot.clock import SystemClock, VirtualClock
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
    "turn ran out": "Time's up",  # the talked-out minute ended by the alarm, not by a press
    "round over": "The round is over.",
    "board revealed": "Revealed:",
    "me too counted": "Me too: ",  # a refresh of the revealed board, by the alarm
    "pairs sent": "Round 1 of",
    "event ended": "has ended. Thank you",
}


_doing: ContextVar[str | None] = ContextVar("doing", default=None)
_meant: ContextVar[float | None] = ContextVar("meant", default=None)  # when this person meant to act


class EventWorld(World):
    """The console World, indexed so a person finds a button among what their own event showed, and
    keeping only what people may still act on.

    The plain World scans everything ever shown for every click, and channel messages are visible to all:
    with 100 events at once that is quadratic and finds another event's "Me too #3". Here a channel's
    messages are indexed by channel and private ones by person; `find_button` looks at those only.

    The plain World also keeps every rendered line: 24,000 messages, about 50 MB of the process's memory
    that belongs to the chat platform, not to the bot. Here each message is read for the milestones as it
    is shown; only those with buttons, a form or a ref (an update may follow) are kept, without their lines.
    """

    def __init__(self) -> None:
        super().__init__()
        self.by_channel: dict[str, list[Shown]] = defaultdict(list)
        self.by_person: dict[str, list[Shown]] = defaultdict(list)
        self.home: dict[str, str] = {}  # person -> their event's channel
        self.reached: dict[str, set[str]] = defaultdict(set)  # channel -> milestones shown there
        self.count = 0
        self.paired: dict[str, asyncio.Event] = defaultdict(asyncio.Event)  # a round of pairs was posted

    def add(self, shown: Shown) -> Shown:
        shown.seq, self.count = self.count, self.count + 1  # the adapter counts what is kept; we count all
        if shown.audience is None:
            text = "\n".join(shown.lines)
            self.reached[shown.channel].update(name for name, words in MILESTONES.items() if words in text)
            if MILESTONES["pairs sent"] in text:
                self.paired[shown.channel].set()
        if shown.form is None and shown.ref is None and not (shown.message and shown.message.buttons):
            return shown
        shown.lines = []
        self.index_buttons(shown)
        if shown.ref:
            self.by_ref[shown.ref] = shown
        if shown.audience is None:
            self.by_channel[shown.channel].append(shown)
        else:
            for person in shown.audience:
                self.by_person[person].append(shown)
        return shown

    def find_form(self, user: str, title: str) -> Shown | None:
        for shown in reversed(self.by_person.get(user, [])):
            if shown.form is not None and shown.audience == frozenset({user}):
                if shown.form.title == title or shown.form.title.lower() == title.lower():
                    return shown
        return None

    def can_see(self, user: str, shown: Shown) -> bool:
        # A channel message is seen by the people of that event only, not by all 5,000.
        if shown.audience is None:
            return shown.channel == self.home.get(user)
        return user in shown.audience

    def visible_to(self, user: str) -> list[Shown]:
        channel = self.by_channel.get(self.home.get(user, ""), [])
        return list(heapq.merge(channel, self.by_person.get(user, []), key=lambda s: s.seq))


@dataclass
class Stats:
    replies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    timers_ms: list[float] = field(default_factory=list)  # how long a timer's handler ran
    timers_late_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # by kind
    loop_lag_ms: list[float] = field(default_factory=list)
    asked_at: list[float] = field(default_factory=list)  # when each command was sent (perf_counter)
    statements: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # SQL sent, by command
    errors: list[str] = field(default_factory=list)  # replies with the core's internal-error text
    missing: list[str] = field(default_factory=list)  # a button or form that was not there
    refused: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # UserError replies by key
    ready_ms: dict[str, float] = field(default_factory=dict)  # heavy command: until its round was posted

    @property
    def all_ms(self) -> list[float]:
        return [ms for values in self.replies_ms.values() for ms in values]


class RealTime:
    """People wait on the real clock; the alarm fires the timers as `tsunagari run` does."""

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def gather(self, coroutines: list[Coroutine[Any, Any, object]]) -> None:
        await asyncio.gather(*coroutines)


class SimulatedTime:
    """For the bench's own test: a VirtualClock that jumps ahead once everyone is waiting.

    A small discrete-event simulation. Every person's coroutine (an "actor") is counted active until it
    waits in `sleep` or finishes; when none is active, the clock jumps to the earliest wake-up asked for,
    firing the timers due on the way (`Timers.advance_to`), and wakes those sleepers. A command waiting on
    the database keeps its actor active, so time never jumps under a command in flight.
    """

    def __init__(self, app: App) -> None:
        self.app = app
        self.active = 0
        self.sleepers: list[tuple[datetime, int, asyncio.Future]] = []
        self.order = itertools.count()
        self.idle = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        woken = asyncio.get_running_loop().create_future()
        wake_at = self.app.clock.now() + timedelta(seconds=seconds)
        heapq.heappush(self.sleepers, (wake_at, next(self.order), woken))
        self._park()
        await woken

    async def gather(self, coroutines: list[Coroutine[Any, Any, object]]) -> None:
        """The caller waits while each coroutine acts as an actor; the last to end hands back to it."""
        if not coroutines:
            return
        left = len(coroutines)
        self.active += left - 1

        async def actor(coroutine: Coroutine[Any, Any, object]) -> None:
            nonlocal left
            try:
                await coroutine
            finally:
                left -= 1
                if left:
                    self._park()

        await asyncio.gather(*(actor(c) for c in coroutines))

    async def run(self, coroutines: list[Coroutine[Any, Any, object]]) -> None:
        """Run the actors to the end, moving the clock whenever all of them wait."""
        self.active = len(coroutines)
        everyone = asyncio.gather(*(self._actor(c) for c in coroutines))
        while self.active or self.sleepers:
            await self.idle.wait()
            self.idle.clear()
            if not self.sleepers:
                break
            wake_at = self.sleepers[0][0]
            await self.app.timers.advance_to(wake_at)
            while self.sleepers and self.sleepers[0][0] <= wake_at:
                self.active += 1
                heapq.heappop(self.sleepers)[2].set_result(None)
        await everyone

    async def _actor(self, coroutine: Coroutine[Any, Any, object]) -> None:
        try:
            await coroutine
        finally:
            self._park()

    def _park(self) -> None:
        self.active -= 1
        if self.active == 0:
            self.idle.set()


class Load:
    def __init__(
        self,
        app: App,
        adapter: ConsoleAdapter,
        world: EventWorld,
        pace: float,
        time: RealTime | SimulatedTime,
    ) -> None:
        self.app, self.adapter, self.world = app, adapter, world
        self.stats = Stats()
        self.pace = pace
        self.time = time
        self.internal = app.catalog.text("en", "core.error.internal")

    async def pause(self, low: float, high: float | None = None) -> None:
        """A person taking their time: `low` seconds, or a random moment between `low` and `high`."""
        seconds = low if high is None else random.uniform(low, high)
        if seconds * self.pace > 0:
            if isinstance(self.time, RealTime):
                _meant.set(time.perf_counter() + seconds * self.pace)
            await self.time.sleep(seconds * self.pace)

    async def act(self, what: str, event: InboundEvent | None) -> list[Action]:
        if event is None:
            self.stats.missing.append(what)
            return []
        _doing.set(what)
        started = time.perf_counter()
        meant, _ = _meant.get(), _meant.set(None)
        if meant is not None and meant < started:
            started = meant  # the person waited from here, behind whatever held the loop
        self.stats.asked_at.append(started)
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
        # Someone whose profile speaks only Japanese sees the form in Japanese: look for either title.
        event = self.adapter.submit(user, title, values) or self.adapter.submit(
            user, self.app.catalog.text("ja", "barriers.form.title"), values
        )
        return await self.act(what, event)


def profile_args(rng: random.Random) -> str:
    parts = [f'--org "{rng.choice(ORGS)}"']
    for option, values in (("region", REGIONS), ("generation", GENERATIONS), ("role", ROLES)):
        if rng.random() < 0.9:
            parts.append(f"--{option} {rng.choice(values)}")
    parts.append(f"--languages {rng.choice(LANGUAGES)}")
    parts.append("--interests " + ",".join(rng.sample(INTERESTS, rng.randint(1, 3))))
    return " ".join(parts)


async def workshop(load: Load, number: int, participants: int, stagger: float) -> None:
    rng = random.Random(number)
    channel = f"#ev{number:03d}"
    host = f"e{number:03d}host"
    people = [f"e{number:03d}p{n:03d}" for n in range(participants)]
    for person in (host, *people):
        load.world.home[person] = channel
    say, click, pause = load.say, load.click, load.pause

    async def everyone(window: float, act: Callable[[int, str], Awaitable[object]]) -> None:
        """Each person acts once, at their own random moment within `window` seconds."""

        async def one(n: int, person: str) -> None:
            await pause(0, window)
            await act(n, person)

        await load.time.gather([one(n, person) for n, person in enumerate(people)])

    await load.time.sleep(rng.uniform(0, stagger))
    await say("event start", host, channel, f'event start "Workshop {number}" --lang en --tz Asia/Tokyo')
    profiles = [profile_args(rng) for _ in people]
    await everyone(90, lambda n, person: say("join", person, channel, f"join {profiles[n]}"))

    # A round of turns with the speakers named (a round takes at most 30), in that order, 1 minute each.
    await pause(5)
    speakers = people[:SPEAKERS]
    named = " ".join(f"@{person}" for person in speakers)
    await say("turns", host, channel, f"turns {named} --order given --minutes 1")
    half = len(speakers) // 2
    for n, person in enumerate(speakers):
        await pause(1, 3)
        if n == half:
            # This speaker talks the whole minute: the warning and the hand-off are the alarm's timers.
            await load.time.sleep(61)
        elif n % 3 == 2:
            if n < half:
                await click("turns Next (button)", host, "Next")
            else:
                await say("turns next", host, channel, "turns next")
        else:
            await click("turns Done (button)", person, "Done")

    # The barrier board: most share by command, every fifth by the form.
    await pause(5)
    await say("barriers open", host, channel, "barriers open --min 3")
    opened = load.app.clock.now()

    async def share(n: int, person: str) -> None:
        text, category = BARRIERS[(number + n) % len(BARRIERS)], CATEGORIES[n % len(CATEGORIES)]
        if n % 5 == 4:
            await click("barriers form (button)", person, "Share anonymously")
            await pause(5, 15)
            values = {"text": f"{text} ({n})", "category": category}
            await load.submit("barriers share (form)", person, "Share anonymously", values)
        else:
            await say(
                "barriers share", person, channel, f'barriers share "{text} ({n})" --category {category}'
            )

    await everyone(90, share)
    await pause(10)
    # The reveal decides on the count the board shows, which changes on a one-minute grid from its opening
    # and no pace shortens: the facilitator reveals once the board has counted the cards.
    since = (load.app.clock.now() - opened) % timedelta(minutes=1)
    await load.time.sleep((timedelta(minutes=1) - since).total_seconds() + 3)
    await say("barriers reveal", host, channel, "barriers reveal")
    await everyone(
        45, lambda n, person: click("barriers Me too (button)", person, f"Me too #{1 + (n * 7) % 5}")
    )

    # A round of pairs, then the end.
    await pause(10)
    await say("pairs", host, channel, "pairs")
    await pause(30)
    # The revealed board is still live, so a bare `event end` would only ask first: the host confirms.
    await say("event end", host, channel, "event end confirm")


async def prepare_heavy_room(load: Load, name: str, people: int) -> None:
    """Before the run and not timed: a room of `people` who have joined, waiting for their facilitator."""
    channel, host = f"#{name}", f"{name}host"
    rng = random.Random(people)
    load.world.home[host] = channel
    setup = [(host, f'event start "{name}" --lang en')]
    for n in range(people):
        person = f"{name}p{n:04d}"
        load.world.home[person] = channel
        setup.append((person, f"join {profile_args(rng)}"))
    for user, text in setup:
        event = load.adapter.command(user, channel, text)
        await load.adapter.send(TENANT, await load.app.core.handle(event), origin=event)


async def heavy_room(load: Load, name: str, command: str, at: float) -> None:
    """`at` seconds into the run, the room's facilitator runs one of the heaviest commands: the answer,
    then the posted round, are timed."""
    channel, host = f"#{name}", f"{name}host"
    await load.pause(at)
    what = f"{name}: {command}"
    started = time.perf_counter()
    await load.say(what, host, channel, command)
    await load.world.paired[channel].wait()
    load.stats.ready_ms[what] = (time.perf_counter() - started) * 1000


HEAVY = (("rounds51", 51, "pairs --rounds 30"), ("room2000", 2000, "pairs"))


async def lag_monitor(stats: Stats, period: float = 0.01) -> None:
    """How late the loop wakes a task that asked to wake every `period` seconds."""
    while True:
        asked = time.perf_counter()
        await asyncio.sleep(period)
        stats.loop_lag_ms.append((time.perf_counter() - asked - period) * 1000)


async def run(
    url: str,
    events: int,
    participants: int,
    pace: float,
    stagger: float,
    *,
    simulated: bool = False,
    heavy: bool = False,
) -> tuple[Load, float, int]:
    """The bench; `simulated` puts it on a VirtualClock (SimulatedTime), for its test, not to measure."""
    settings = Settings().model_copy(
        update={"database_url": url, "default_lang": "en", "log_level": "WARNING"}
    )
    clock = VirtualClock(datetime(2026, 1, 15, 9, 0, tzinfo=UTC)) if simulated else SystemClock()
    app = build(settings, clock=clock)
    world = EventWorld()
    adapter = ConsoleAdapter(world, clock, ZoneInfo("Asia/Tokyo"), app.catalog)
    app.dispatcher.register(TENANT, adapter)
    await app.start()

    def count_statement(*_args: object) -> None:
        if (doing := _doing.get()) is not None:
            load.stats.statements[doing] += 1

    sa_event.listen(app.store.engine.sync_engine, "before_cursor_execute", count_statement)
    load = Load(app, adapter, world, pace, SimulatedTime(app) if simulated else RealTime())
    run_timer = app.timers.run

    async def timed_timer(timer: Timer) -> None:
        _doing.set("timers fired (not replies)")
        load.stats.timers_late_ms[timer.kind].append((clock.now() - timer.due_at).total_seconds() * 1000)
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
        workshops = [workshop(load, n, participants, stagger * pace) for n in range(events)]
        if heavy:
            for name, people, _command in HEAVY:
                await prepare_heavy_room(load, name, people)
            # At the busiest minute: the events' joins and their first rounds of turns.
            workshops += [heavy_room(load, name, command, at=90 * pace) for name, _n, command in HEAVY]
        started = time.perf_counter()
        if isinstance(load.time, SimulatedTime):
            await load.time.run(workshops)
        else:
            monitor = asyncio.create_task(lag_monitor(load.stats))
            await asyncio.gather(*workshops)
            monitor.cancel()
        wall = time.perf_counter() - started
        missing = 0
        for n in range(events):
            missing += len(MILESTONES.keys() - world.reached[f"#ev{n:03d}"])
    finally:
        await app.close()
    return load, wall, missing


def peak_rate(asked_at: list[float], window: float = 10.0) -> float:
    """The most commands sent in any `window` seconds, per second."""
    times = sorted(asked_at)
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] > window:
            first += 1
        most = max(most, last - first + 1)
    return most / window


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
        f"{events} events × {participants} participants at once, console adapter, {database}; "
        + (
            f"real clock; people's pauses × {load.pace:g}"
            if load.pace
            else "real clock; no pauses (everyone at once: a capacity test, not reply time)"
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
    print(f"wall time             {wall:.1f} s")
    print(
        f"commands per second   {len(every) / wall:.0f} on average, {peak_rate(stats.asked_at):.0f} in the busiest 10 s"
    )
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
    for kind, late in sorted(stats.timers_late_ms.items()):
        print(
            f"timers fired late     {kind}: {len(late)}, p50 {_ms(late, 0.5):.1f} ms, p99 {_ms(late, 0.99):.1f} ms, max {max(late):.1f} ms"
        )
    if stats.loop_lag_ms:
        lag = stats.loop_lag_ms
        print(
            f"event-loop lag        p50 {_ms(lag, 0.5):.1f} ms, p99 {_ms(lag, 0.99):.1f} ms, max {max(lag):.1f} ms"
            f"   (a task waking every 10 ms; target worst < 50 ms)"
        )
    for what, ms in stats.ready_ms.items():
        answered = stats.replies_ms[what][0]
        print(f"heavy command         {what}: answered in {answered:.0f} ms, round posted after {ms:.0f} ms")
    print(f"messages shown        {load.world.count}")
    print(f"internal errors       {len(stats.errors)}   (must be 0)")
    print(f"buttons/forms missing {len(stats.missing)}   (must be 0)")
    refusals = ", ".join(
        f"{key} ×{count}" for key, count in stats.refused.items() if key != "core.error.internal"
    )
    print(f"user-error replies    {sum(stats.refused.values()) - len(stats.errors)}   (must be 0) {refusals}")
    print(
        f"milestones missing    {missing}   (must be 0: each event shows its round, a turn ended by the alarm, the reveal and its counts, pairs and end)"
    )
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
            load, wall, missing = await run(
                url, args.events, args.participants, args.pace, args.stagger, heavy=args.heavy
            )
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
    parser.add_argument(
        "--pace", type=float, default=1.0, help="scales every pause people take (0: everyone at once)"
    )
    parser.add_argument(
        "--stagger", type=float, default=60.0, help="the events start within this many seconds"
    )
    parser.add_argument(
        "--heavy",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run pairs --rounds 30 for 51 and pairs for 2,000 beside the load",
    )
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slow)")
    parser.add_argument("--profile", action="store_true", help="run under cProfile and print the hotspots")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    gc.collect()
    return 0 if asyncio.run(main_async(args)) else 1


if __name__ == "__main__":
    sys.exit(main())
