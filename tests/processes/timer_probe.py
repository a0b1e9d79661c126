"""A whole bot process for tests of time across lifetimes.

python -m tests.processes.timer_probe DATABASE_URL ISO_TIME schedule|start [MINUTES] [COUNT]

`schedule` starts the bot at ISO_TIME (a virtual clock, so the test never sleeps), schedules COUNT probe
timers MINUTES ahead through a real command, and exits; `start` starts the bot at ISO_TIME, which fires
whatever fell due meanwhile, prints every line the bot posted, and exits.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from adapters.console.adapter import TENANT, ConsoleAdapter
from adapters.console.world import World
from bot.actions import Message
from bot.bootstrap import build
from bot.clock import VirtualClock
from bot.commands import Arg
from bot.config import Settings
from bot.events import Caller, CommandInvoked
from bot.router import Router

probe = Router("probe")


@probe.command("probe schedule", args=[Arg("minutes"), Arg("count")], needs_event=False)
async def schedule(ctx, args) -> None:  # noqa: ANN001
    for n in range(int(args["count"] or 1)):
        await ctx.schedule(
            "probe.ring", ctx.now + timedelta(minutes=int(args["minutes"] or 5)), {"n": n}, key=f"probe:{n}"
        )


@probe.command("probe cancel", needs_event=False)
async def cancel(ctx, args) -> None:  # noqa: ANN001
    ctx.post(Message(f"probe cancelled {await ctx.cancel_timers('probe:')}"), channel="#probe")


@probe.timer("probe.ring")
async def ring(ctx, timer) -> None:  # noqa: ANN001
    ctx.post(Message(f"probe rang {timer.payload['n']}"), channel="#probe")


async def main(url: str, when: str, mode: str, minutes: str = "5", count: str = "1") -> None:
    clock = VirtualClock(datetime.fromisoformat(when))
    app = build(Settings().model_copy(update={"database_url": url}), clock=clock, extra_routers=[probe])
    app.dispatcher.register(TENANT, ConsoleAdapter(World(print), clock, ZoneInfo("UTC"), app.catalog))
    await app.start()
    if mode == "schedule":
        await app.core.handle(
            CommandInvoked(Caller(TENANT, "probe", "#probe"), f"probe schedule {minutes} {count}")
        )
    await app.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
