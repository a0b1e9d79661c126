"""Plays a console script against the whole bot on a virtual clock and checks its `expect` lines."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from adapters.console.adapter import TENANT, ConsoleAdapter
from adapters.console.script import ScriptError, Step, parse_script
from adapters.console.world import World
from bot.bootstrap import App, build
from bot.clock import VirtualClock
from bot.config import Settings


class ScriptRunner:
    """One script, one World. `restart` rebuilds the bot on the same database; the World stays."""

    def __init__(
        self, settings: Settings, *, write: Callable[[str], None] = print, narrate: bool = False
    ) -> None:
        self.settings = settings
        # Narrated (the demo): a newcomer reads what people typed too, a heading per part, the date
        # when it changes and a mark when the scene moves to another channel, then what to try next.
        self.narrate = narrate
        self._write = write
        self._date: object = None
        self._scene = "#main"
        self.world = World(self._narrated if narrate else write)
        self.zone = ZoneInfo("UTC")
        self.app: App | None = None
        self.adapter: ConsoleAdapter | None = None
        self.cursors: dict[str, int] = {}
        self.refused: set[str] = set()
        self.locales: dict[str, str] = {}

    async def _boot(self, start: datetime) -> None:
        clock = VirtualClock(start)
        self.app = build(self.settings, clock=clock)
        self.adapter = ConsoleAdapter(self.world, clock, self.zone, self.app.catalog)
        self.adapter.refused_dms = self.refused
        self.adapter.locales = self.locales
        self.app.dispatcher.register(TENANT, self.adapter)
        await self.app.start()

    async def run(self, text: str) -> None:
        """Raises ScriptError at the first failing line."""
        steps = parse_script(text)
        start = datetime(2026, 1, 15, 9, 0, tzinfo=ZoneInfo("UTC"))
        if steps and steps[0].verb == "at":
            start, self.zone = steps[0].when, ZoneInfo(steps[0].zone)
            steps = steps[1:]
        await self._boot(start)
        try:
            for step in steps:
                await self.step(step)
            if self.narrate:
                self._write("")
                self._write(self._words("demo.next"))
        finally:
            await self.app.close()

    # -- narration (the demo) -------------------------------------------------------------------------

    def _words(self, key: str, **params: object) -> str:
        return self.app.catalog.text(self.settings.default_lang, f"console.{key}", **params)

    def _narrated(self, line: str) -> None:
        """Every line goes through here: the date is written first whenever it is a new day."""
        if self.app is not None:
            today = self.app.clock.now().astimezone(self.zone).date()
            if today != self._date:
                self._date = today
                self._write(self._words("demo.date", date=today.isoformat(), zone=self.zone.key))
        self._write(line)

    def _typed(self, step: Step) -> None:
        if not self.narrate:
            return
        if step.verb == "say" and step.channel != self._scene:
            self._scene = step.channel
            self._narrated(self._words("demo.scene", channel=step.channel))
        if step.verb == "say":
            where = "" if step.channel == "#main" else f" in {step.channel}"
            self._narrated(f"> {step.user}{where}: {step.text}")
        elif step.verb == "click":
            self._narrated(f'> {step.user} clicks "{step.text}"')
        elif step.verb == "submit":
            values = " ".join(f"{key}={value!r}" for key, value in step.values.items())
            self._narrated(f'> {step.user} submits "{step.text}" {values}'.rstrip())
        elif step.verb == "wait":
            seconds = int(step.delta.total_seconds())
            if seconds >= 3600 and seconds % 3600 == 0:
                time = self._words("demo.hours", hours=seconds // 3600)
            else:
                time = self.app.catalog.duration(self.settings.default_lang, seconds)
            self._narrated(self._words("demo.wait", time=time))

    async def step(self, step: Step) -> None:
        app, adapter = self.app, self.adapter
        self._typed(step)
        if step.verb == "part":
            if self.narrate:
                self._narrated("")
                self._narrated(self._words("demo.heading", title=self._words(f"part.{step.text}")))
        elif step.verb == "say":
            event = adapter.command(step.user, step.channel, step.text)
            await adapter.send(TENANT, await app.core.handle(event), origin=event)
        elif step.verb == "click":
            event = adapter.click(step.user, step.text)
            if event is None:
                raise ScriptError(step.line, f"{step.user} sees no button {step.text!r}")
            await adapter.send(TENANT, await app.core.handle(event), origin=event)
        elif step.verb == "submit":
            event = adapter.submit(step.user, step.text, step.values)
            if event is None:
                raise ScriptError(step.line, f"{step.user} has no open form {step.text!r}")
            await adapter.send(TENANT, await app.core.handle(event), origin=event)
        if step.verb in ("say", "click", "submit"):
            # Work a command handed on (a big plan) finishes before the next line: scripts stay deterministic.
            await app.core.settle()
            return
        if step.verb == "wait":
            await app.timers.advance_to(app.clock.now() + step.delta)
        elif step.verb == "expect":
            self.expect(step)
        elif step.verb == "restart":
            now = app.clock.now()
            await app.close()
            await self._boot(now)
        elif step.verb == "refuse_dms":
            self.refused.add(step.user)
        elif step.verb == "allow_dms":
            self.refused.discard(step.user)
        elif step.verb == "locale":
            self.locales[step.user] = step.text
        elif step.verb != "part":  # a heading was shown above
            raise ScriptError(step.line, f"`{step.verb}` cannot appear here")

    def expect(self, step: Step) -> None:
        place = step.channel
        start = self.cursors.get(place, 0)
        seen = [s for s in self.world.shown[start:] if s.place == place or s.place == place + " (updated)"]
        for shown in seen:
            if any(step.text in line for line in shown.lines) or step.text in "\n".join(
                line.split(" | ", 1)[-1] for line in shown.lines
            ):
                if step.negate:
                    raise ScriptError(step.line, f'{place} showed "{step.text}" but should not have')
                self.cursors[place] = (
                    shown.seq
                )  # later expects may match the same message, never an earlier one
                return
        if step.negate:
            return
        last = seen[-1].lines if seen else ["(nothing)"]
        raise ScriptError(
            step.line,
            f'expected {place} to show "{step.text}"; since the last match it showed:\n  '
            + "\n  ".join(last),
        )


async def run_script(
    text: str,
    *,
    database_url: str | None = None,
    write: Callable[[str], None] = print,
    settings: Settings | None = None,
    narrate: bool = False,
) -> None:
    """Run a script on a fresh temporary SQLite file unless a database is named."""
    with tempfile.TemporaryDirectory(prefix="tsunagari-") as folder:
        url = database_url or f"sqlite+aiosqlite:///{Path(folder) / 'script.db'}"
        settings = (settings or Settings()).model_copy(update={"database_url": url})
        await ScriptRunner(settings, write=write, narrate=narrate).run(text)


__all__ = ["ScriptError", "ScriptRunner", "run_script"]
