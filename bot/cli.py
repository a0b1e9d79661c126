"""The `tsunagari` command line: run, console, demo, db upgrade, discord sync|invite-url."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from bot.config import Settings


def _logging(settings: Settings, quiet: bool = False) -> None:
    level = logging.WARNING if quiet else getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if quiet:
        for noisy in ("apscheduler", "alembic", "aiosqlite"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def _script(path: str | None, text: str | None, database: str | None, settings: Settings) -> int:
    from adapters.console.runner import ScriptError, run_script

    source = text if text is not None else Path(path).read_text("utf-8")
    try:
        asyncio.run(run_script(source, database_url=database, settings=settings))
    except ScriptError as error:
        print(f"\nFAILED {path or 'script'}:{error.line}: {error.message}", file=sys.stderr)
        return 1
    return 0


def demo_script() -> str:
    return (resources.files("adapters.console") / "demo.tsu").read_text("utf-8")


async def _run(settings: Settings) -> int:
    from bot.bootstrap import add_platform_adapters, build

    app = build(settings)
    started = add_platform_adapters(app)
    if not started:
        from adapters.console.repl import repl

        await repl(app)
        return 0
    await app.start()
    logging.getLogger("tsunagari").info("running: %s", ", ".join(started))
    # SIGTERM (systemd, Kubernetes, docker stop) is a normal exit: the leader finishes its timers in flight
    # and releases its lock, instead of leaving them to the at-most-once crash path.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await app.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tsunagari", description="Tsunagari: turn connection into power.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start every adapter whose tokens are set (the console when none are)")
    console = commands.add_parser("console", help="chat with the bot in this terminal")
    console.add_argument("--script", help="play a script on a virtual clock and check its expect lines")
    console.add_argument(
        "--database", help="database URL for a script (default: a fresh temporary SQLite file)"
    )
    demo = commands.add_parser("demo", help="play the bundled bilingual demo workshop")
    demo.add_argument("--database", help="database URL (default: a fresh temporary SQLite file)")
    db = commands.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    discord = commands.add_parser(
        "discord", help="Discord: register the slash command, print the invite link"
    )
    discord.add_argument("action", choices=["sync", "invite-url"])
    discord.add_argument("--guild", type=int, help="sync to this server only (shows at once)")
    discord.add_argument("--clear", action="store_true", help="with --guild: remove that server's own copy")
    args = parser.parse_args(argv)

    try:
        settings = Settings()
    except ValidationError as error:
        # A wrong setting stops the bot at start-up, naming the setting, rather than being ignored.
        for problem in error.errors():
            name = ".".join(str(part) for part in problem["loc"])
            message = problem["msg"].removeprefix("Value error, ")
            print(f"tsunagari: bad setting {name}: {message}", file=sys.stderr)
        return 2
    if args.command == "discord":
        _logging(settings, quiet=True)
        from adapters.discord.cli import main as discord_main

        return discord_main(args.action, settings, guild_id=args.guild, clear=args.clear)
    if args.command == "db":
        _logging(settings)
        from bot.store.db import upgrade_sync

        upgrade_sync(settings.database_url)
        print("database is up to date")
        return 0
    if args.command == "demo":
        _logging(settings, quiet=True)
        return _script(None, demo_script(), args.database, settings)
    if args.command == "console" and args.script:
        _logging(settings, quiet=True)
        return _script(args.script, None, args.database, settings)
    _logging(settings, quiet=args.command == "console")
    try:
        return asyncio.run(_run(settings))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
