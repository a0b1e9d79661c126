"""The composition root: builds settings, store, clock, timers, core and adapters, and wires them together.

It is the only place in bot/ (with the CLI) that names an adapter, and it imports each one only when it
is configured, so a Discord-only install never imports slack_bolt.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock, SystemClock, VirtualClock
from bot.compute import Compute
from bot.config import Settings
from bot.core import Core
from bot.i18n import Catalog
from bot.leader import Leadership, migration_lock
from bot.outbox import Dispatcher
from bot.rituals import all_routers
from bot.router import Router
from bot.scheduler import SchedulerAlarm, Timers
from bot.store.db import Store

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    store: Store
    clock: Clock
    catalog: Catalog
    dispatcher: Dispatcher
    timers: Timers
    core: Core
    alarm: SchedulerAlarm | None
    adapters: list[Any] = field(default_factory=list)
    leadership: Leadership | None = None
    # The collector's thresholds before start-up froze the heap: close() gives them back, so a process that
    # runs a bot and then goes on (a test session, an embedding script) collects as it did before.
    collector: tuple[int, int, int] | None = None

    async def start(self, *, migrate: bool = True) -> None:
        """Migrate, start the adapters, then ring the alarms if this process leads (firing what fell due
        while nobody did). Adapters come first: what fell due during the downtime is delivered through them.
        On a virtual clock the timers just catch up: time moves by command.
        """
        if migrate:
            async with migration_lock(self.store.url):
                await self.store.upgrade()
        for adapter in self.adapters:
            await adapter.start()
        if self.alarm is not None:
            # A real process warms its worker now; console scripts and tests start one only if they need it.
            self.core.compute.start()
            self.collector = freeze_start_up()
        if self.alarm is None:
            await self.timers.start()
        else:
            self.leadership = Leadership(
                self.store.url,
                on_elected=self._lead,
                on_deposed=self._follow,
                retry_seconds=self.settings.leader_poll_seconds,
            )
            await self.leadership.start()

    async def _lead(self) -> None:
        self.alarm.start()

    async def _follow(self) -> None:
        await self.alarm.stop()

    async def close(self) -> None:
        if self.leadership is not None:
            # The timers in flight finish (through the adapters, still up), then the lock is handed on.
            await self.leadership.close()
        for adapter in reversed(self.adapters):
            await adapter.stop()
        # A plan still computing is dropped: it writes only in its last transaction, so nothing is half-done.
        await self.core.cancel_jobs()
        self.core.compute.close()
        if self.alarm is not None:
            self.alarm.shutdown()
        await self.store.close()
        if self.collector is not None:
            thaw(self.collector)
            self.collector = None


COLLECTOR_THRESHOLDS = (5000, 10, 10)
"""The garbage collector's generation thresholds in a real process (CPython's default: 700, 10, 10)."""


def freeze_start_up() -> tuple[int, int, int]:
    """What is alive once a process has started (modules, classes, functions, the catalog, SQLAlchemy's
    tables and mappers: ~120,000 objects the collector tracks) lives as long as the process. Left in the
    oldest generation, every full collection walks all of it, on the loop, with the GIL held: a pause of
    tens to hundreds of ms that stalls every room (bench/load.py --stalls). Frozen, a full collection walks
    only what came later. Garbage is collected first, so none is frozen.

    Then the youngest generation is collected every 5,000 allocations, not 700. A command's objects (its
    session, rows, statements) live across its awaits while hundreds of other commands allocate; at 700
    they survived two young collections and reached the oldest generation, whose growth is what sets off
    a full collection. On the virtual clock, 30 events x 50 people: 11 full collections (longest 108 ms)
    at 700; none at 5,000, the longest young one 20 ms (2,000: one full, 58 ms; 20,000: a young one of
    51 ms). Returns the thresholds it replaced, for `thaw`."""
    before = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    return before


def thaw(thresholds: tuple[int, int, int]) -> None:
    """Undo `freeze_start_up`: the frozen heap is collected again, at the thresholds given."""
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    catalog: Catalog | None = None,
    extra_routers: Sequence[Router] = (),
) -> App:
    """Everything but the platform adapters; a virtual clock gets no alarm (time moves by command)."""
    clock = clock or SystemClock()
    store = Store(settings.database_url)
    catalog = catalog or Catalog.load([settings.prompts_dir] if settings.prompts_dir else [])
    dispatcher = Dispatcher()
    timers = Timers(store, clock)
    alarm = (
        None
        if isinstance(clock, VirtualClock)
        else SchedulerAlarm(
            timers,
            sweep_seconds=settings.sweep_seconds,
            poll_seconds=settings.leader_poll_seconds,
            stuck_seconds=settings.stuck_timer_seconds,
            in_flight=settings.timers_in_flight,
        )
    )
    timers.alarm = alarm
    compute = Compute(
        mode=settings.compute, workers=settings.compute_workers, timeout=settings.compute_timeout_seconds
    )
    core = Core(
        settings=settings,
        store=store,
        clock=clock,
        catalog=catalog,
        routers=[*all_routers(), *extra_routers],
        outbox=dispatcher,
        timers=timers,
        compute=compute,
    )
    timers.run = core.run_timer
    timers.run_batched = core.fire_batched
    return App(settings, store, clock, catalog, dispatcher, timers, core, alarm)


def add_platform_adapters(app: App) -> list[str]:
    """Create the Slack and Discord adapters whose tokens are set; returns the platforms started."""
    started = []
    if app.settings.slack_configured:
        from adapters.slack.adapter import SlackAdapter

        adapter = SlackAdapter(app.core, app.store, app.settings)
        app.dispatcher.register("slack", adapter)
        app.adapters.append(adapter)
        started.append("slack")
    if app.settings.discord_configured:
        from adapters.discord.adapter import DiscordAdapter

        adapter = DiscordAdapter(app.core, app.store, app.settings)
        app.dispatcher.register("discord", adapter)
        app.adapters.append(adapter)
        started.append("discord")
    return started
