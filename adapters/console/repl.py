"""The interactive console: type as several people (`as bob`), on the real clock, with live timers."""

from __future__ import annotations

import asyncio
import sys
from zoneinfo import ZoneInfo

from adapters.console.adapter import TENANT, ConsoleAdapter
from adapters.console.script import ScriptError, parse_line
from adapters.console.world import World
from bot.bootstrap import App


async def repl(app: App, *, zone: str = "UTC", user: str = "alice") -> None:
    world = World(print)
    adapter = ConsoleAdapter(world, app.clock, ZoneInfo(zone), app.catalog)
    app.dispatcher.register(TENANT, adapter)
    await app.start()
    print(app.catalog.text(app.settings.default_lang, "console.intro"))
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, _read, f"{user}> ")
            if line is None or line.strip() in ("quit", "exit"):
                break
            line = line.strip()
            if not line:
                continue
            if line.startswith("as "):
                user = line[3:].strip() or user
                continue
            if line.startswith("/tsunagari"):
                line = f"{user}: {line}"
            try:
                step = parse_line(0, line)
            except ScriptError as error:
                print(f"  ? {error.message}")
                continue
            await _play(app, adapter, step)
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
