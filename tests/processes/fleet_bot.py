"""A long-running bot process on the REAL clock with the REAL SchedulerAlarm and leadership, for tests of
several processes sharing one database.

python -m tests.processes.fleet_bot DATABASE_URL

It reads commands from stdin, one per line, as the console user `probe` in #probe, and prints `ack <line>`
once each is handled; end of input or SIGTERM closes the bot normally (exit code 0). Log lines go to stderr
as `<epoch seconds> <pid> <LEVEL> <logger>: <message>`, so a test can read when a process became or
stopped being the leader. What the bot posts goes to stdout.

`fleet spread TAG START SECONDS COUNT PART PARTS` schedules timers n = PART, PART + PARTS, … < COUNT,
timer n due at START + SECONDS * n / COUNT (START in epoch seconds) with the key `TAG:n`, so several
processes can share one plan.
Their kind `fleet.ring` records each firing in the table `probe_firing` (the test creates it) inside the
transaction that marks the row done, then posts `fleet rang <timer id>`; with FLEET_RING_SECONDS set it takes that long before committing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text

from adapters.console.adapter import TENANT, ConsoleAdapter
from adapters.console.world import World
from bot.actions import Message
from bot.bootstrap import build
from bot.clock import SystemClock
from bot.commands import Arg
from bot.config import Settings
from bot.events import Caller, CommandInvoked
from bot.router import Router

fleet = Router("fleet")

PROBE_TABLE = (
    "CREATE TABLE probe_firing (timer_id INTEGER NOT NULL, pid INTEGER NOT NULL, "
    "fired_at TIMESTAMP WITH TIME ZONE NOT NULL)"
)


@fleet.command(
    "fleet spread",
    args=[Arg("tag"), Arg("start"), Arg("seconds"), Arg("count"), Arg("part"), Arg("parts")],
    needs_event=False,
)
async def spread(ctx, args) -> None:  # noqa: ANN001
    start, seconds, count = float(args["start"]), float(args["seconds"]), int(args["count"])
    part, parts = int(args["part"] or 0), int(args["parts"] or 1)
    for n in range(part, count, parts):
        due = datetime.fromtimestamp(start + seconds * n / count, UTC)
        await ctx.schedule("fleet.ring", due, {"n": n}, key=f"{args['tag']}:{n}")


@fleet.timer("fleet.ring")
async def ring(ctx, timer) -> None:  # noqa: ANN001
    await ctx.session.exec(
        text(
            "INSERT INTO probe_firing (timer_id, pid, fired_at) VALUES (:timer_id, :pid, :fired_at)"
        ).bindparams(timer_id=timer.id, pid=os.getpid(), fired_at=ctx.now)
    )
    if hold := float(os.environ.get("FLEET_RING_SECONDS", "0")):
        await asyncio.sleep(hold)  # a handler that takes a while, so a kill finds some in flight
    ctx.post(Message(f"fleet rang {timer.id}"), channel="#probe")


async def main(url: str) -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(created).3f %(process)d %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    clock = SystemClock()
    app = build(Settings().model_copy(update={"database_url": url}), clock=clock, extra_routers=[fleet])
    app.dispatcher.register(
        TENANT,
        ConsoleAdapter(World(lambda line: print(line, flush=True)), clock, ZoneInfo("UTC"), app.catalog),
    )
    await app.start()
    logging.getLogger("fleet").info("ready")

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def commands() -> None:
        caller = Caller(TENANT, "probe", "#probe")
        while raw := await reader.readline():
            line = raw.decode().strip()
            if not line:
                continue
            actions = await app.core.handle(CommandInvoked(caller, line))
            await app.dispatcher.send(TENANT, actions)
            print(f"ack {line}", flush=True)
        stop.set()

    reading = asyncio.create_task(commands())
    await stop.wait()
    reading.cancel()
    await app.close()
    logging.getLogger("fleet").info("closed")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
