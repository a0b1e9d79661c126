"""The `tsunagari` command line: run, console, demo, rehearse, report, db upgrade, discord sync|invite-url."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from importlib import resources
from pathlib import Path

from bot import logs, operator
from bot.config import Settings


def _logging(settings: Settings, quiet: bool = False) -> None:
    logs.configure(settings, quiet=quiet)


def _script(
    path: str | None, text: str | None, database: str | None, settings: Settings, *, narrate: bool = False
) -> int:
    from adapters.console.runner import ScriptError, run_script

    try:
        source = text if text is not None else Path(path).read_text("utf-8")
    except FileNotFoundError:
        return operator.say("no_script", path=path)
    except (OSError, UnicodeDecodeError) as error:  # a directory, no permission, not text
        return operator.say("unreadable_script", path=path, reason=getattr(error, "strerror", None) or error)
    try:
        asyncio.run(run_script(source, database_url=database, settings=settings, narrate=narrate))
    except ScriptError as error:
        print(f"\nFAILED {path or 'script'}:{error.line}: {error.message}", file=sys.stderr)
        return 1
    return 0


def _backup(settings: Settings, file: str | None) -> int:
    from bot.store import backup

    if not file:
        return operator.say("backup_needs_file")
    source = backup.sqlite_file(settings.database_url)
    if settings.database_url.startswith("postgresql"):
        print(operator.words("backup_postgres", command=backup.pg_dump_command(settings.database_url, file)))
        for tenant, channel in asyncio.run(_live_boards(settings.database_url)):
            print(operator.words("backup_holds_secret", channel=channel, tenant=tenant))
        return 0
    if source is None or not source.exists():
        return operator.say("backup_no_database", url=settings.database_url.split("?", 1)[0])
    target = Path(file)
    if target.exists():
        return operator.say("backup_exists", path=target)
    backup.backup_sqlite(source, target)
    print(operator.words("backup_done", path=target, source=source))
    for tenant, channel in backup.boards_with_secrets(target):
        print(operator.words("backup_holds_secret", channel=channel, tenant=tenant))
    return 0


async def _live_boards(url: str) -> list[tuple[str, str]]:
    from bot.store import backup
    from bot.store.db import Store

    store = Store(url)
    try:
        return await backup.live_boards_with_secrets(store)
    finally:
        await store.close()


def _health(settings: Settings) -> int:
    from datetime import UTC, datetime, timedelta

    from bot.store import backup
    from bot.store.db import Store

    # A timer is late once it has missed a few sweeps (the net under the alarms), and never under 2 min.
    grace = timedelta(seconds=max(120.0, 3 * settings.sweep_seconds))

    async def check() -> backup.Health:
        store = Store(settings.database_url)
        try:
            return await backup.health(store, now=datetime.now(UTC), grace=grace)
        finally:
            await store.close()

    found = asyncio.run(check())
    if not found.database:
        print(operator.words("health_no_database"), file=sys.stderr)
    elif found.overdue:
        late = f"{found.oldest:%Y-%m-%d %H:%M:%S} UTC" if found.oldest else "?"
        print(operator.words("health_timers_behind", count=found.overdue, oldest=late), file=sys.stderr)
    else:
        print(operator.words("health_ok"))
    return 0 if found.ok else 1


def _rehearse(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.console.rehearse import print_timeline, rehearse
    from bot.i18n import Catalog
    from bot.rituals.agenda import sheets

    catalog = Catalog.load([settings.prompts_dir] if settings.prompts_dir else [])
    if not 2 <= args.people <= 100:
        return operator.say("rehearse_people", value=args.people)
    path = Path(args.sheet)
    source = path if path.suffix in (".yaml", ".yml") or path.is_file() else None
    try:
        if source is not None:
            if not path.is_file():
                return operator.say("no_sheet_file", path=path)
            sheet = sheets.load_file(path)
        else:
            sheet = sheets.find(args.sheet.lower(), settings.prompts_dir)
    except sheets.SheetError as error:
        problem = catalog.text(operator.language(), f"agenda.problem.{error.problem}", **error.params)
        if error.line is None:
            return operator.say("bad_sheet_file", file=error.file, problem=problem)
        return operator.say("bad_sheet", file=error.file, line=error.line, problem=problem)
    if sheet is None:
        known = [s.name for s in sheets.every(settings.prompts_dir) if not isinstance(s, sheets.SheetError)]
        return operator.say("no_sheet", name=args.sheet, names=", ".join(known))
    lang = args.lang or operator.language()
    timeline = asyncio.run(rehearse(sheet, source, people=args.people, lang=lang, settings=settings))
    print_timeline(timeline, catalog)
    return 0 if timeline.finished else 1


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
    try:
        await app.start()
    except operator.TokenRefused as refused:
        logging.getLogger("tsunagari").error(
            "%s refused %s at start-up: %s", refused.platform, refused.setting, refused.detail
        )
        await app.close()
        return operator.say(
            "token_refused", platform=refused.platform, name=refused.setting, detail=refused.detail
        )
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


async def _report(args: argparse.Namespace, settings: Settings) -> int:
    from bot.i18n import Catalog
    from bot.reader import main_language
    from bot.rituals.report.files import NoSuchEvent, find_event, plain_text, write_report
    from bot.store.db import Store

    store = Store(args.database or settings.database_url)
    try:
        await store.upgrade()
        event = await find_event(store, event_id=args.event, channel=args.channel, tenant=args.tenant)
        catalog = Catalog.load([settings.prompts_dir] if settings.prompts_dir else [])
        written = await write_report(store, catalog, event, Path(args.out), lang=args.lang)
    except NoSuchEvent as missing:
        print(f"no such event: {missing}", file=sys.stderr)
        return 2
    finally:
        await store.close()
    lang = args.lang or main_language(event) or "en"
    print(plain_text(catalog, lang, written.report))
    print("\n" + catalog.text(lang, "report.files_written", folder=str(written.html.parent)))
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
    db.add_argument("action", choices=["upgrade", "backup"])
    db.add_argument("file", nargs="?", help="backup: the new file to write the copy to")
    commands.add_parser("health", help="exit 0 if the database answers and no timer is overdue, else 1")
    discord = commands.add_parser(
        "discord", help="Discord: register the slash command, print the invite link"
    )
    discord.add_argument("action", choices=["sync", "invite-url"])
    discord.add_argument("--guild", type=int, help="sync to this server only (shows at once)")
    discord.add_argument("--clear", action="store_true", help="with --guild: remove that server's own copy")
    report = commands.add_parser("report", help="write one event's insight report (report.html, report.csv)")
    which = report.add_mutually_exclusive_group(required=True)
    which.add_argument("--event", type=int, help="the event's id")
    which.add_argument("--channel", help="the channel id the event ran in (its latest event)")
    report.add_argument("--tenant", help="with --channel: the workspace or server (slack:T…, discord:…)")
    report.add_argument("--out", default="report", help="the folder to write to (default: ./report)")
    report.add_argument("--lang", choices=["en", "ja"], help="the report's language (default: the event's)")
    report.add_argument("--database", help="database URL (default: the bot's own, DATABASE_URL)")
    rehearse = commands.add_parser(
        "rehearse", help="play a run sheet on a virtual clock with made-up people and print its timeline"
    )
    rehearse.add_argument("sheet", help="a sheet's name (`agenda list`) or the path of a .yaml file")
    rehearse.add_argument("--people", type=int, default=24, help="how many made-up participants (default 24)")
    rehearse.add_argument("--lang", choices=["en", "ja"], help="the evening's language (default: yours)")
    args = parser.parse_args(argv)

    settings = operator.settings_or_none()
    if settings is None:
        return operator.CONFIG_ERROR
    if args.command == "discord":
        _logging(settings, quiet=True)
        from adapters.discord.cli import main as discord_main

        return discord_main(args.action, settings, guild_id=args.guild, clear=args.clear)
    if args.command == "db" and args.action == "backup":
        return _backup(settings, args.file)
    if args.command == "health":
        return _health(settings)
    if args.command == "db":
        _logging(settings)
        from bot.store.db import upgrade_sync

        upgrade_sync(settings.database_url)
        print("database is up to date")
        return 0
    if args.command == "report":
        _logging(settings, quiet=True)
        return asyncio.run(_report(args, settings))
    if args.command == "rehearse":
        _logging(settings, quiet=True)
        return _rehearse(args, settings)
    if args.command == "demo":
        _logging(settings, quiet=True)
        return _script(None, demo_script(), args.database, settings, narrate=True)
    if args.command == "console" and args.script:
        _logging(settings, quiet=True)
        return _script(args.script, None, args.database, settings)
    # `run` with no platform configured is the console: as quiet as `tsunagari console` itself.
    console = args.command == "console" or not (settings.slack_configured or settings.discord_configured)
    _logging(settings, quiet=console)
    try:
        return asyncio.run(_run(settings))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
