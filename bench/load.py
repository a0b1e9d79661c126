"""Load: many events at once, each running rounds, boards, pairs and a talk through the console adapter.

    python -m bench.load [--events 100] [--participants 50] [--database URL | --sqlite] [--pace 1.0]
                         [--stagger 60] [--talk 60] [--history N] [--repeat K] [--no-floor] [--profile]
                         [--stalls] [--census] [--quick]

One process, one asyncio loop, the real clock and the real alarm (APScheduler), as `tsunagari run` has.
Every event plays a whole workshop as its people would: `event start`, joins with varied profiles, a round
of turns with 24 named speakers ended by "Done" and "Next" presses (one speaker talks out the whole minute,
so the 30-second warning and the hand-off are timers), a barrier board (shares by command and by form, a
reveal, "Me too" presses), a round of pairs, a timed talk in every group (`pairs --talk`, `--talk`
seconds a person, nobody pressing "Done": issue 15's run sheet step, 100 events of 25 groups each), and
`event end confirm` (the revealed board is live, so the end asks first). Each command goes through the
real path: ConsoleAdapter translates it, `core.handle` runs it in a transaction, `ConsoleAdapter.send`
renders the actions into the console's own World (see EventWorld for the one thing changed: who sees a
channel).

A command's reply time runs from the moment it was submitted (the end of its person's pause, noted by
every wait) to its actions shown, not from when its task happened to resume: a loop busy elsewhere
delays that resumption, and the delay is part of what the person waits.

The people act as people do, at once and each at their own moment: the events start within `--stagger`
seconds of each other; inside an event the 50 joins fall at random within 90 s, the shares within 90 s,
the "Me too" presses within 45 s, and a speaker presses "Done" 1-3 s into their turn. That is harsher than
a real room, and with 100 events it offers ~100 commands a second at the peaks. `--pace` scales every
human pause (0 = everyone at once, which measures the most one process can take, not reply time).

Also printed, with the load average: how late the timers fired against their due time; the talk groups'
hand-offs, from their due time to the next floor reaching the group's own space; the event loop's lag (a
task that asks to wake every 10 ms and records how late it woke), what every timer and reply waits behind.

The floor (`--no-floor` leaves it out): the SQL each command sent, captured for up to 200 executions of
each command (sampled uniformly over the run) by SQLAlchemy's `before_cursor_execute`, replayed alone on
the same database after the run, one transaction per execution, rolled back. The table prints its p50/p99
beside each command's: what the database alone costs, so the rest is the bot's.

`--history N` fills a database once with N earlier events of 30 people (through the same code: console
adapter, core, store), then runs with none and with those N alternately, `--repeat` times each (3 for a
comparison), every run on a fresh database: an empty one, or a copy of the filled one (a PostgreSQL
template; a copied SQLite file), so no run inherits another's events and a change in the machine's load
falls on both kinds alike. It prints each command's median in every run, min/median/max over the runs of
each kind, and the change of the median of medians. The target: every command within 15%.

`--heavy` (on by default; `--no-heavy` leaves it out) adds the heaviest commands beside the load, at the
busiest minute: `pairs --rounds 30` in a room of 51 and `pairs` in a room of 2,000. Each answers at once and
posts its round when the worker has planned it; the table gives both times, and the loop-lag line is what
every other room felt meanwhile.

By default a fresh PostgreSQL database is created on the server of `--database` (a URL naming any database
there, `postgresql://postgres@127.0.0.1:5432/test` unless told) with a unique name, and dropped afterwards;
`--sqlite` uses a temporary SQLite file instead.

`--stalls` watches the loop from a thread (bench/stalls.py): whenever the lag monitor has not ticked for
40 ms it samples the loop thread's stack every 5 ms until it ticks, and after each run prints the stacks
seen, by the ms of stall each accounts for, and the gen-2 (and younger) garbage collections' time inside
stalls. `--census` also counts, after each full collection, what the collector tracks by type (a pause of
its own each time, so not for the headline figures). With `--quick` the monitor and the sampler run too, on the real clock beside the simulated one. `--quick` plays 2 events of 6 on a simulated clock (with
`--history`, 2 earlier events): a check that the bench runs, in seconds, not a measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import copyreg
import cProfile
import gc
import heapq
import io
import itertools
import os
import pickle
import pstats
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from array import array
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event as sa_event
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from adapters.console.adapter import TENANT, ConsoleAdapter
from adapters.console.world import Shown, World, untrack
from bench.machine import loadavg, stolen_seconds
from bench.stalls import StallSampler
from bot.actions import Action, Reply
from bot.bootstrap import App, build
from bot.clock import SystemClock, VirtualClock
from bot.config import Settings
from bot.events import InboundEvent
from bot.scheduler import FINISHED_KEPT
from bot.steps.models import Step, StepRun
from bot.store.models import Member, Timer
from bot.store.statistics import Statistics
from tests.support import create_pg_database, drop_pg_database

P99_TARGET_MS = 200
PAIRS_TARGET_MS = 60
HISTORY_TARGET = 0.15  # a command's median with history within 15% of its median without
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
Statement = tuple[str, Any, bool]  # (SQL as sent to the driver, its parameters, executemany)
_capture: ContextVar[list[Statement] | None] = ContextVar("capture", default=None)
SAMPLE = 200  # executions of each command whose SQL is replayed for the floor


class _Packer(pickle.Pickler):
    dispatch_table = {**copyreg.dispatch_table, memoryview: lambda view: (bytes, (view.tobytes(),))}


def pack(statements: list[Statement]) -> bytes:
    """A command's captured SQL as one bytes object: kept as tuples and lists for the whole run, 25,000
    statements and their parameters were objects every full collection walked, in the bot's process (a
    BLOB's memoryview goes in as bytes, which the drivers take alike)."""
    out = io.BytesIO()
    _Packer(out, pickle.HIGHEST_PROTOCOL).dump(statements)
    return out.getvalue()


def unpack(sample: list[Statement] | bytes) -> list[Statement]:
    """A reservoir entry's statements: packed once its command ended, a list while it runs."""
    return pickle.loads(sample) if isinstance(sample, bytes) else sample


def _untracked_array() -> array[float]:
    arrivals = array("d")
    untrack(arrivals)  # it holds floats: no cycle runs through it
    return arrivals


class EventWorld(World):
    """The console World the console adapter keeps (its store of what was shown, its button index, its
    form look-up), with one change and one addition.

    The change: `can_see`. The plain World is one workspace where every channel message is seen by
    everyone; with 100 events at once a person pressing "Me too #3" would find another event's button.
    Here a channel's messages are seen by the people of that event only.

    The addition: each message is read for the milestones as it is shown, and the moment each DM reached
    the World is noted by its people (a talk group's hand-offs are DMs to the group).

    The World keeps every rendered line, as the console does: that memory (tens of MB for a full run) is
    the chat platform's, not the bot's, but it is in the peak memory printed. Looking up a button or a form
    happens before a command's clock starts, on the same loop: its total is printed ("console look-ups").
    """

    def __init__(self, clock: SystemClock | VirtualClock) -> None:
        super().__init__()
        self.clock = clock
        self.home: dict[str, str] = {}  # person -> their event's channel
        self.reached: dict[str, set[str]] = defaultdict(set)  # channel -> milestones shown there
        self.paired: dict[str, asyncio.Event] = defaultdict(asyncio.Event)  # a round of pairs was posted
        # DM arrivals by audience, as timestamps in arrays out of the collector's lists: datetimes in lists
        # would be 7,500 more containers every full collection walks, in the bot's process (see Shown)
        self.private: dict[frozenset[str], array[float]] = defaultdict(_untracked_array)
        self.milestones = dict(MILESTONES)

    @property
    def count(self) -> int:
        return len(self.shown)

    def add(self, shown: Shown) -> Shown:
        if shown.audience is None:
            text = "\n".join(shown.lines)
            self.reached[shown.channel].update(n for n, words in self.milestones.items() if words in text)
            if MILESTONES["pairs sent"] in text:
                self.paired[shown.channel].set()
        elif shown.channel.startswith("dm:"):
            self.private[shown.audience].append(self.clock.now().timestamp())
        return super().add(shown)

    def can_see(self, user: str, shown: Shown) -> bool:
        if shown.audience is None:
            return shown.channel == self.home.get(user)
        return user in shown.audience


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
    lookups_ms: float = 0.0  # the bench's own console look-ups (find_button/find_form), on the loop
    # For the SQL floor: the statements of a random sample of each command's executions (reservoir).
    seen: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: dict[str, list[list[Statement] | bytes]] = field(default_factory=lambda: defaultdict(list))
    floor_ms: dict[str, list[float]] = field(default_factory=dict)
    floor_failed: int = 0  # replayed statements the database refused (a duplicate key, mostly)
    floor_statements: int = 0
    talk_late_ms: list[tuple[float, float]] = field(default_factory=list)  # (claimed, announced) per hand-off

    @property
    def all_ms(self) -> list[float]:
        return [ms for values in self.replies_ms.values() for ms in values]


class RealTime:
    """People wait on the real clock; the alarm fires the timers as `tsunagari run` does.

    Every wait notes when it should end: the person's next command is submitted at that moment, and its
    clock starts there, not when the task happens to resume behind a busy loop. `now` and `wait` are the
    clock and the sleep (a test passes its own)."""

    def __init__(
        self,
        now: Callable[[], float] = time.perf_counter,
        wait: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.now, self.wait = now, wait

    async def sleep(self, seconds: float) -> None:
        _meant.set(self.now() + seconds)
        await self.wait(seconds)

    async def gather(self, coroutines: list[Coroutine[Any, Any, object]]) -> None:
        await asyncio.gather(*coroutines)

    async def stagger(
        self, delays: Sequence[float], act: Callable[[int], Coroutine[Any, Any, object]]
    ) -> None:
        """Each `act(n)` submitted `delays[n]` seconds from now, all running at once once started.

        One coroutine waits out everyone's moments and starts each person's act as a task at its own, the
        act's clock set to that moment. A person's pause is spent in their head, not in the bot's process:
        as a sleeping task each would hold ~15 objects (the task, its coroutines, a context) that the bot's
        garbage collector walks, and in the 100-event load thousands wait at once. Starting late behind a
        busy loop still counts: the act's clock starts at its moment, not at its task's start."""
        begin, before = self.now(), _meant.get()
        acting = []
        try:
            for n in sorted(range(len(delays)), key=delays.__getitem__):
                due = begin + delays[n]
                wait = due - self.now()
                if wait > 0:
                    await self.wait(wait)
                _meant.set(due)
                acting.append(asyncio.create_task(act(n)))  # the task copies the context: its moment
        finally:
            _meant.set(before)
        await asyncio.gather(*acting)


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

    async def stagger(
        self, delays: Sequence[float], act: Callable[[int], Coroutine[Any, Any, object]]
    ) -> None:
        """Each `act(n)` after `delays[n]` seconds, every person an actor of their own (see RealTime.stagger)."""

        async def after(n: int) -> None:
            if delays[n] > 0:
                await self.sleep(delays[n])
            await act(n)

        await self.gather([after(n) for n in range(len(delays))])

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
        self.talk_seconds = 0
        self.stalls: StallSampler | None = None
        self.stolen: float | None = None  # CPU seconds the hypervisor stole while the workshops played
        self.cpu = 0.0  # CPU seconds the bot's process (with the harness in it) used meanwhile

    async def pause(self, low: float, high: float | None = None) -> None:
        """A person taking their time: `low` seconds, or a random moment between `low` and `high`."""
        seconds = low if high is None else random.uniform(low, high)
        if seconds * self.pace > 0:
            await self.time.sleep(seconds * self.pace)

    async def act(self, what: str, event: InboundEvent | None) -> list[Action]:
        if event is None:
            self.stats.missing.append(what)
            return []
        _doing.set(what)
        started = time.perf_counter()
        meant, _ = _meant.get(), _meant.set(None)
        if meant is not None and meant < started:
            started = meant  # submitted here: the person waited from then on, behind whatever held the loop
        self.stats.asked_at.append(started)
        statements, slot = self._sample(what)
        _capture.set(statements)
        actions = await self.app.core.handle(event)
        await self.adapter.send(TENANT, actions, origin=event)
        self.stats.replies_ms[what].append((time.perf_counter() - started) * 1000)
        _capture.set(None)
        kept = self.stats.samples[what]
        if statements is not None and kept[slot] is statements:  # not replaced by a later execution
            kept[slot] = pack(statements)  # out of the collector's way
        for action in actions:
            if isinstance(action, Reply):
                if self.internal in action.message.text:
                    self.stats.errors.append(what)
        return actions

    def _sample(self, what: str) -> tuple[list[Statement] | None, int]:
        """A list to capture this execution's SQL in and its slot, if the reservoir of `what` takes it
        (kept uniform over the run: the n-th execution replaces a random one of SAMPLE with probability
        SAMPLE/n)."""
        self.stats.seen[what] += 1
        n, kept = self.stats.seen[what], self.stats.samples[what]
        statements: list[Statement] = []
        if len(kept) < SAMPLE:
            kept.append(statements)
            return statements, len(kept) - 1
        slot = random.randrange(n)
        if slot < SAMPLE:
            kept[slot] = statements
            return statements, slot
        return None, -1

    async def say(self, what: str, user: str, channel: str, text: str) -> list[Action]:
        return await self.act(what, self.adapter.command(user, channel, text))

    async def click(self, what: str, user: str, label: str) -> list[Action]:
        started = time.perf_counter()
        event = self.adapter.click(user, label)
        self.stats.lookups_ms += (time.perf_counter() - started) * 1000
        return await self.act(what, event)

    async def submit(self, what: str, user: str, title: str, values: dict[str, str]) -> list[Action]:
        # Someone whose profile speaks only Japanese sees the form in Japanese: look for either title.
        started = time.perf_counter()
        event = self.adapter.submit(user, title, values) or self.adapter.submit(
            user, self.app.catalog.text("ja", "barriers.form.title"), values
        )
        self.stats.lookups_ms += (time.perf_counter() - started) * 1000
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

        moments = [random.uniform(0, window) * load.pace for _ in people]

        async def one(n: int) -> None:
            await act(n, people[n])

        await load.time.stagger(moments, one)

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

    # A round of pairs; then (with --talk) a timed talk in every group, as a run sheet's talk step starts
    # it; then the end.
    await pause(10)
    await say("pairs", host, channel, "pairs")
    await pause(30)
    if load.talk_seconds:
        await say("pairs --talk", host, channel, f"pairs --talk {load.talk_seconds}s")
        # Nobody presses "Done": every hand-off is the alarm's. A trio's talk is three turns long.
        await load.time.sleep(3 * load.talk_seconds + 5)
    # The revealed board is still live, so a bare `event end` would only ask first: the host confirms.
    await say("event end", host, channel, "event end confirm")


async def fill_history(url: str, past: int, events: int, participants: int) -> float:
    """Before the run and not timed: `past` earlier events of 30 people each (or `participants`, if fewer),
    through the same code as the run (console adapter, core, store), on a clock `past` days back, one event
    a day. Past event k is held in the channel of event k % `events` by its host and first 30 people, so
    the run's people meet their own history (pairs reads who met whom). Each past event starts, is joined,
    pairs and ends; the nudges its end plans would have been sent long before the run: they are marked
    done, so the run's alarm does not send years of them, and those of them and the other timers that
    finished over a month ago are deleted, as the leader would have, and the tables analysed, as autovacuum
    would have. Returns the seconds the fill took."""
    started = time.perf_counter()
    begin = datetime.now(UTC) - timedelta(days=past + 1)
    clock = VirtualClock(begin)
    settings = Settings().model_copy(
        update={"database_url": url, "default_lang": "en", "log_level": "WARNING"}
    )
    app = build(settings, clock=clock)
    adapter = ConsoleAdapter(World(), clock, ZoneInfo("Asia/Tokyo"), app.catalog)
    app.dispatcher.register(TENANT, adapter)
    await app.start()
    try:
        for k in range(past):
            clock.set(begin + timedelta(days=k))
            number, rng = k % events, random.Random(10_000 + k)
            channel, host = f"#ev{number:03d}", f"e{number:03d}host"
            people = [f"e{number:03d}p{n:03d}" for n in range(min(30, participants))]
            script = [(host, f'event start "Earlier {k}" --lang en --tz Asia/Tokyo')]
            script += [(person, f"join {profile_args(rng)}") for person in people]
            script += [(host, "pairs"), (host, "event end")]
            for user, text in script:
                clock.set(clock.now() + timedelta(seconds=20))
                event = adapter.command(user, channel, text)
                await adapter.send(TENANT, await app.core.handle(event), origin=event)
        async with app.store.engine.begin() as connection:
            await connection.execute(
                update(Timer)
                .where(col(Timer.status) == "pending")
                .values(status="done", fired_at=Timer.due_at)
            )
        # What the leader's housekeeping would have deleted by now: timers that finished a month ago.
        await app.timers.forget_finished(datetime.now(UTC) - FINISHED_KEPT)
        # And the planner's statistics, as autovacuum (or, where it is off, the leader) would have gathered
        # them over those days: a table never analysed is planned as if it held a few rows.
        await Statistics(app.store).refresh(force=True)
    finally:
        await app.close()
    return time.perf_counter() - started


def _driver_parameters(parameters: Any, many: bool) -> Any:
    """The parameters as captured, in the form exec_driver_sql takes (tuples or dicts, a list if many)."""

    def one(p: Any) -> Any:
        return tuple(p) if isinstance(p, list) else p

    if many and isinstance(parameters, list):  # insertmanyvalues batches come flagged many, as one row
        return [one(p) for p in parameters]
    return one(parameters) if parameters else ()


async def replay(load: Load) -> None:
    """The floor: each sampled execution's SQL statements alone, replayed in order on the same database
    in one transaction (as the command had), then rolled back so the database stays as the run left it.

    What is left out is all that is not SQL: parsing, the core's logic, rendering, the loop. A statement the
    database refuses on replay (an insert whose unique key the original made) is counted; the transaction
    starts afresh and the rest follow, so the floor counts every round trip the command made."""
    engine = load.app.store.engine
    stats = load.stats
    for what, executions in stats.samples.items():
        times = []
        for sample in executions:
            statements = unpack(sample)
            if not statements:
                continue
            async with engine.connect() as connection:
                started = time.perf_counter()
                transaction = await connection.begin()
                for sql, parameters, many in statements:
                    stats.floor_statements += 1
                    try:
                        await connection.exec_driver_sql(sql, _driver_parameters(parameters, many))
                    except DBAPIError:
                        stats.floor_failed += 1
                        await transaction.rollback()
                        transaction = await connection.begin()
                await transaction.rollback()
                times.append((time.perf_counter() - started) * 1000)
        stats.floor_ms[what] = times


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


async def lag_monitor(stats: Stats, period: float = 0.01, sampler: StallSampler | None = None) -> None:
    """How late the loop wakes a task that asked to wake every `period` seconds (each wake ticks the
    stall sampler, if there is one)."""
    while True:
        asked = time.perf_counter()
        await asyncio.sleep(period)
        stats.loop_lag_ms.append((time.perf_counter() - asked - period) * 1000)
        if sampler is not None:
            sampler.tick()


async def run(
    url: str,
    events: int,
    participants: int,
    pace: float,
    stagger: float,
    *,
    simulated: bool = False,
    heavy: bool = False,
    talk_seconds: int = 0,
    floor: bool = True,
    stalls: StallSampler | None = None,
) -> tuple[Load, float, int]:
    """The bench; `simulated` puts it on a VirtualClock (SimulatedTime), for its test, not to measure.
    `stalls` samples the loop's stack whenever it stalls, from the run's start to its end (not the floor)."""
    settings = Settings().model_copy(
        update={"database_url": url, "default_lang": "en", "log_level": "WARNING"}
    )
    clock = VirtualClock(datetime.now(UTC)) if simulated else SystemClock()
    app = build(settings, clock=clock)
    world = EventWorld(clock)
    if talk_seconds:
        world.milestones["talk over"] = app.catalog.text("en", "talk.come_back.finished")
    adapter = ConsoleAdapter(world, clock, ZoneInfo("Asia/Tokyo"), app.catalog)
    app.dispatcher.register(TENANT, adapter)
    await app.start()

    def count_statement(_conn, _cursor, statement, parameters, _context, executemany) -> None:  # noqa: ANN001
        if (doing := _doing.get()) is not None:
            load.stats.statements[doing] += 1
        if (captured := _capture.get()) is not None:
            captured.append((statement, parameters, executemany))

    sa_event.listen(app.store.engine.sync_engine, "before_cursor_execute", count_statement)
    load = Load(app, adapter, world, pace, SimulatedTime(app) if simulated else RealTime())
    load.talk_seconds = talk_seconds
    run_timer = app.timers.run

    async def timed_timer(timer: Timer) -> None:
        _doing.set("timers fired (not replies)")
        _capture.set(None)
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
        run_began = clock.now()
        stolen_before = stolen_seconds()
        cpu_before = time.process_time()
        started = time.perf_counter()
        monitor = None
        if stalls is not None or not isinstance(load.time, SimulatedTime):
            monitor = asyncio.create_task(lag_monitor(load.stats, sampler=stalls))
        if stalls is not None:
            stalls.start()
        try:
            if isinstance(load.time, SimulatedTime):
                await load.time.run(workshops)
            else:
                await asyncio.gather(*workshops)
        finally:
            if stalls is not None:
                stalls.stop()
            if monitor is not None:
                monitor.cancel()
        wall = time.perf_counter() - started
        load.cpu = time.process_time() - cpu_before
        if stolen_before is not None and (stolen_after := stolen_seconds()) is not None:
            load.stolen = stolen_after - stolen_before  # the workshops alone: not the floor's replay
        missing = 0
        for n in range(events):
            missing += len(world.milestones.keys() - world.reached[f"#ev{n:03d}"])
        if talk_seconds:
            load.stats.talk_late_ms = await talk_handoffs(app, world, run_began)
        if floor:
            await replay(load)  # the run is over: the statements alone, nothing else on the loop
    finally:
        await app.close()
    return load, wall, missing


async def talk_handoffs(app: App, world: EventWorld, since: datetime) -> list[tuple[float, float]]:
    """(claimed late, announced late) in ms for each talk turn's end: from its due time to its timer row's
    claim, and to the first message in that group's own space at or after it (the next floor, or the
    group's end). A group's warnings come 30 s before an end, never after it."""
    async with app.store.session() as session:
        ends = (
            await session.exec(select(Timer).where(Timer.kind == "talk.end", col(Timer.due_at) >= since))
        ).all()
        rows = await session.exec(
            select(Step.run_id, Member.user_id)
            .join(Member, col(Step.member_id) == Member.id)
            .join(StepRun, col(StepRun.id) == Step.run_id)
            .where(StepRun.ritual == "talk")
        )
        group: dict[int, set[str]] = defaultdict(set)
        for run_id, user in rows.all():
            group[run_id].add(user)
    late = []
    for timer in ends:
        if timer.status != "done" or timer.fired_at is None:
            continue
        arrivals = world.private.get(frozenset(group[timer.payload["run"]]), ())
        due = timer.due_at.timestamp()
        announced = min((at for at in arrivals if at >= due), default=None)
        if announced is not None:
            late.append(
                (
                    (timer.fired_at - timer.due_at).total_seconds() * 1000,
                    (announced - due) * 1000,
                )
            )
    return late


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
            "simulated clock (a check that it runs, not a measurement)"
            if isinstance(load.time, SimulatedTime)
            else f"real clock; people's pauses × {load.pace:g}"
            if load.pace
            else "real clock; no pauses (everyone at once: a capacity test, not reply time)"
        )
    )
    print(f"  {loadavg()} at the end of the run")
    if load.stolen is not None:
        print(f"  CPU stolen by the hypervisor while the workshops played: {load.stolen:.1f} s (all cores)")
    if every:
        print(
            f"  CPU of this process meanwhile: {load.cpu:.1f} s, {1000 * load.cpu / len(every):.1f} ms a command "
            "(the harness, the console World and the timers included; the workers' and the database's not)"
        )
    sql = stats.statements
    floor_all = [ms for values in stats.floor_ms.values() for ms in values]
    head = f"{'command':<28} | {'count':>6} | {'p50 ms':>7} | {'p99 ms':>7} | {'max ms':>7} | {'SQL each':>8}"
    rule = f"{'-' * 28}-+-{'-' * 6}-+-{'-' * 7}-+-{'-' * 7}-+-{'-' * 7}-+-{'-' * 8}"
    print(head + f" | {'floor p50':>9} | {'floor p99':>9}")
    print(rule + f"-+-{'-' * 9}-+-{'-' * 9}")

    def floor_cells(values: list[float] | None) -> str:
        if not values:
            return f" | {'-':>9} | {'-':>9}"
        return f" | {_ms(values, 0.5):>9.1f} | {_ms(values, 0.99):>9.1f}"

    for what, values in stats.replies_ms.items():
        print(
            f"{what:<28} | {len(values):>6} | {_ms(values, 0.5):>7.1f} | {_ms(values, 0.99):>7.1f} | {max(values):>7.1f} | {sql[what] / len(values):>8.1f}"
            + floor_cells(stats.floor_ms.get(what))
        )
    print(rule + f"-+-{'-' * 9}-+-{'-' * 9}")
    print(
        f"{'all commands':<28} | {len(every):>6} | {_ms(every, 0.5):>7.1f} | {p99:>7.1f} | {max(every):>7.1f} | {sum(v for k, v in sql.items() if k in stats.replies_ms) / len(every):>8.1f}"
        + floor_cells(floor_all)
    )
    if stats.timers_ms:
        t = stats.timers_ms
        print(
            f"{'timers fired (not replies)':<28} | {len(t):>6} | {_ms(t, 0.5):>7.1f} | {_ms(t, 0.99):>7.1f} | {max(t):>7.1f} | {sql['timers fired (not replies)'] / len(t):>8.1f}"
        )
    if stats.floor_ms:
        print(
            f"floor: up to {SAMPLE} executions of each command, sampled uniformly over the run, their SQL alone "
            f"replayed on the same database after it (one transaction each, rolled back): "
            f"{stats.floor_statements} statements, {stats.floor_failed} refused on replay (a key the original "
            f"inserted). The floor's all-commands p50/p99 weights commands by sample, not by count."
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
        f"peak memory (maxrss)  {peak_mb:.0f} MB (the process's, over every run and fill so far) (at start {rss0 / 1024:.0f} MB)   target < {MEMORY_TARGET_MB} MB: {'met' if peak_mb < MEMORY_TARGET_MB else 'MISSED'}"
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
    if stats.talk_late_ms:
        for label, column in (("row claimed", 0), ("announced in the group", 1)):
            late = [row[column] for row in stats.talk_late_ms]
            print(
                f"talk hand-offs        {label}: {len(late)}, p50 {_ms(late, 0.5):.1f} ms, "
                f"p99 {_ms(late, 0.99):.1f} ms, worst {max(late):.1f} ms after the due time"
            )
    pairs = stats.replies_ms.get("pairs")
    if pairs:
        median = statistics.median(pairs)
        print(
            f"pairs for {participants} (median)  "
            f"{median:.1f} ms   target < {PAIRS_TARGET_MS} ms: {'met' if median < PAIRS_TARGET_MS else 'MISSED'}"
        )
    print(
        f"console look-ups      {stats.lookups_ms / 1000:.1f} s on the loop in all (the bench's, not timed)"
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


class Databases:
    """Fresh databases, one a run: empty ones, and copies of one database filled with history once (a
    PostgreSQL template, or a copied SQLite file), so every run with history starts from the same rows
    and none inherits another run's events."""

    def __init__(self, args: argparse.Namespace, folder: str) -> None:
        self.args, self.folder, self.count = args, Path(folder), 0
        self.template: str | None = None  # the filled database's name (PostgreSQL) or path (SQLite)
        self.made: list[str] = []
        self.label = "SQLite" if args.sqlite else "PostgreSQL"

    async def fill(self, history: int) -> float:
        if self.args.sqlite:
            self.template = str(self.folder / "history.db")
            url = f"sqlite+aiosqlite:///{self.template}"
        else:
            self.template, url = await create_pg_database(self.args.database, prefix="tsunagari_load_tpl_")
        return await fill_history(url, history, self.args.events, self.args.participants)

    async def fresh(self, history: bool) -> str:
        self.count += 1
        if self.args.sqlite:
            path = self.folder / f"load-{self.count}.db"
            if history:
                shutil.copyfile(str(self.template), path)  # closed: its WAL was checkpointed into it
            return f"sqlite+aiosqlite:///{path}"
        if not history:
            name, url = await create_pg_database(self.args.database, prefix="tsunagari_load_")
            self.made.append(name)
            return url
        import asyncpg

        name = f"tsunagari_load_{uuid.uuid4().hex[:12]}"
        connection = await asyncpg.connect(self.args.database)
        try:
            await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        finally:
            await connection.close()
        self.made.append(name)
        return f"{self.args.database.rsplit('/', 1)[0]}/{name}".replace(
            "postgresql://", "postgresql+asyncpg://", 1
        )

    async def close(self) -> None:
        if not self.args.sqlite:
            for name in [*self.made, *([self.template] if self.template else [])]:
                await drop_pg_database(self.args.database, name)


async def one_run(args: argparse.Namespace, url: str, label: str, profiler: cProfile.Profile | None):  # noqa: ANN201
    """A run on the fresh database `url`."""
    print(f"run on {label}: starting at {loadavg()}", flush=True)
    if profiler:
        profiler.enable()
    sampler = StallSampler(census=args.census) if args.stalls or args.census else None
    load, wall, missing = await run(
        url,
        args.events,
        args.participants,
        args.pace,
        args.stagger,
        heavy=args.heavy,
        talk_seconds=args.talk,
        simulated=args.quick,
        floor=args.floor,
        stalls=sampler,
    )
    if profiler:
        profiler.disable()
    if sampler is not None:
        load.stalls = sampler
    return load, wall, missing


def _spread(values: list[float]) -> str:
    return "/".join(
        f"{v:.0f}" if v >= 10 else f"{v:.1f}" for v in (min(values), statistics.median(values), max(values))
    )


def history_table(runs: dict[int, list[tuple[Load, float]]], history: int) -> bool:
    """Each command's median with `history` earlier events against its median with none: every run's
    median, min/median/max over the runs (which alternated, each on a fresh copy), and the change of the
    median of medians."""
    print(f"flat in history: each command's median, no earlier events against {history}; {loadavg()}")
    for past, label in ((0, "none"), (history, str(history))):
        starts = ", ".join(f"{load:.1f}" for _, load in runs[past])
        print(f"  runs with {label}: began at load average {starts}")
    print(
        f"{'command':<28} | {'none ms min/med/max':>21} | {f'{history} ms min/med/max':>21} | {'change':>7}"
    )
    print(f"{'-' * 28}-+-{'-' * 21}-+-{'-' * 21}-+-{'-' * 7}")
    worst = 0.0

    def medians(past: int, what: str) -> list[float]:
        return [statistics.median(v) for load, _ in runs[past] if (v := load.stats.replies_ms.get(what))]

    for what in runs[0][0][0].stats.replies_ms:
        before, after = medians(0, what), medians(history, what)
        if not before or not after:
            continue
        middle, other = statistics.median(before), statistics.median(after)
        change = other / middle - 1 if middle else 0.0
        worst = max(worst, change)
        print(f"{what:<28} | {_spread(before):>21} | {_spread(after):>21} | {change:>+7.0%}")
    met = worst <= HISTORY_TARGET
    print(
        f"worst change {worst:+.0%}   target: every median within {HISTORY_TARGET:.0%}: {'met' if met else 'MISSED'}"
    )
    return met


async def main_async(args: argparse.Namespace) -> bool:
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if args.tracemalloc:
        tracemalloc.start()
    profiler = cProfile.Profile() if args.profile else None
    if args.quick:
        print("--quick: a toy size on a simulated clock; it checks the bench runs, it measures nothing")
    runs: dict[int, list[tuple[Load, float]]] = defaultdict(list)
    ok = True
    with tempfile.TemporaryDirectory(prefix="tsunagari-load-") as folder:
        databases = Databases(args, folder)
        try:
            if args.history:
                seconds = await databases.fill(args.history)
                print(
                    f"{args.history} earlier events filled once ({seconds:.0f} s, not timed); each run with them"
                )
                print("starts from a copy of that database, and the runs alternate which goes first\n")
            for n in range(args.repeat):
                order = (0, args.history) if n % 2 == 0 else (args.history, 0)
                for past in order if args.history else (0,):
                    url = await databases.fresh(history=bool(past))
                    label = databases.label + (f", {past} earlier events" if past else "")
                    started_at = os.getloadavg()[0]
                    load, wall, missing = await one_run(args, url, label, profiler)
                    traced = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
                    ok = (
                        report(load, wall, missing, args.events, args.participants, label, rss0, traced)
                        and ok
                    )
                    if load.stalls is not None:
                        load.stalls.print_report()
                    runs[past].append((load, started_at))
                    print()
        finally:
            await databases.close()
    if args.history:
        ok = history_table(runs, args.history) and ok
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
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help="also run with this many earlier events filled first, and compare",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs of each kind; with --history they alternate which goes first (3 for a comparison)",
    )
    parser.add_argument(
        "--talk", type=int, default=60, help="seconds a person in each event's timed talk in groups (0: none)"
    )
    parser.add_argument(
        "--floor",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="replay sampled SQL for the floor",
    )
    parser.add_argument(
        "--quick", action="store_true", help="2 events of 6 on a simulated clock: checks the bench runs"
    )
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slow)")
    parser.add_argument("--profile", action="store_true", help="run under cProfile and print the hotspots")
    parser.add_argument(
        "--stalls",
        action="store_true",
        help="sample the loop's stack whenever it stalls > 40 ms, and print what it was doing",
    )
    parser.add_argument(
        "--census",
        action="store_true",
        help="with the stall sampler, count what the collector tracks after each full collection, by type "
        "(its pauses delay commands: not for the headline figures)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.quick:
        args.events, args.participants, args.heavy, args.sqlite = 2, 6, False, True
        args.history = args.history and 2
    gc.collect()
    return 0 if asyncio.run(main_async(args)) else 1


if __name__ == "__main__":
    sys.exit(main())
