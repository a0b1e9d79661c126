"""The interactive console: type as several people (`as bob`), on the real clock, with live timers."""

from __future__ import annotations

import asyncio
import re
import sys
from zoneinfo import ZoneInfo

from adapters.console.adapter import TENANT, ConsoleAdapter
from adapters.console.script import NAME, ScriptError, parse_line
from adapters.console.world import World
from bot.bootstrap import App

try:
    import readline  # input() edits lines with it; the terminal redraw reads what was typed so far
except ImportError:  # not on every platform
    readline = None


class _Terminal:
    """Writes the bot's lines; one that arrives while someone types (a timer firing) is put above the
    prompt, and the prompt is drawn again with what was typed so far, instead of breaking into it."""

    def __init__(self) -> None:
        self.prompt: str | None = None  # set while input() waits

    def write(self, text: str) -> None:
        if self.prompt is None or not sys.stdout.isatty():
            print(text)
            return
        typed = readline.get_line_buffer() if readline is not None else ""
        sys.stdout.write("\r\x1b[K" + text + "\n" + self.prompt + typed)
        sys.stdout.flush()


async def _event_zone(app: App, channel: str) -> ZoneInfo | None:
    """The time zone of the event open in `channel`: the console shows its times there, as the event's
    people see them (a Tokyo event at 18:00, not 09:00 UTC)."""
    from sqlmodel import select

    from bot.store.models import Event

    async with app.store.session() as session:
        event = (
            await session.exec(
                select(Event).where(
                    Event.tenant_id == TENANT, Event.channel_id == channel, Event.status == "open"
                )
            )
        ).first()
    try:
        return ZoneInfo(event.tz) if event is not None else None
    except (ValueError, KeyError):
        return None


async def repl(app: App, *, zone: str = "UTC", user: str = "alice") -> None:
    terminal = _Terminal()
    world = World(terminal.write)
    adapter = ConsoleAdapter(world, app.clock, ZoneInfo(zone), app.catalog)
    app.dispatcher.register(TENANT, adapter)
    await app.start()
    print(app.catalog.text(app.settings.default_lang, "console.intro"))
    loop = asyncio.get_running_loop()
    try:
        while True:
            terminal.prompt = f"{user}> "
            try:
                line = await loop.run_in_executor(None, _read, terminal.prompt)
            finally:
                terminal.prompt = None
            if line is None or line.strip() in ("quit", "exit"):
                break
            line = line.strip()
            if not line:
                continue
            if line.startswith("as "):
                name = line[3:].strip()
                if name and not re.fullmatch(NAME, name):
                    # Refused at once: every later line would be read as that person and fail to parse.
                    print(app.catalog.text(app.settings.default_lang, "console.bad_name", name=name[:40]))
                    continue
                user = name or user
                continue
            if line.startswith("/tsunagari"):
                line = f"{user}: {line}"
            try:
                step = parse_line(0, line)
            except ScriptError as error:
                print(f"  ? {error.message}")
                continue
            await _play(app, adapter, step)
            if step.verb == "say":
                adapter.zone = await _event_zone(app, step.channel or "#main") or adapter.zone
    finally:
        await app.close()


async def _play(app: App, adapter: ConsoleAdapter, step) -> None:  # noqa: ANN001
    if step.verb == "say":
        event = adapter.command(step.user, step.channel, step.text)
    elif step.verb == "click":
        event = adapter.click(step.user, step.text)
    elif step.verb == "submit":
        event = adapter.submit(step.user, step.text, step.values)
    else:
        print(app.catalog.text(app.settings.default_lang, "console.only_in_scripts", verb=step.verb))
        return
    if event is None:
        print(app.catalog.text(app.settings.default_lang, "console.nothing_to_press"))
        return
    await adapter.send(TENANT, await app.core.handle(event), origin=event)


def _read(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None
    finally:
        sys.stdout.flush()
