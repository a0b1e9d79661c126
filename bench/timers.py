"""How late does the floor pass on? A round of turns in real time, wired as bot/bootstrap.build wires the
running bot (SystemClock, APScheduler as the alarm, durable timer rows), with 2-second turns.

    python -m bench.timers [--speakers 10] [--seconds 2] [--database URL]

For each hand-off it prints how late, after the turn's planned end, the timer's handler started and the
next speaker's announcement reached the adapter; then the median and the worst. The target is under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import col, select

from bot.actions import Action, Delivery, Post
from bot.bootstrap import build
from bot.commands import Parsed, Role
from bot.config import Settings
from bot.events import Caller, CommandInvoked, InboundEvent
from bot.rituals.turns.round import present_participants, start_round
from bot.router import Ctx, Router
from bot.steps.models import Step, StepRun
from bot.store.models import Timer

TARGET_MS = 100
bench = Router("bench")
SECONDS = {"turn": 2}


@bench.command("bench round", role=Role.FACILITATOR)
async def bench_round(ctx: Ctx, args: Parsed) -> None:
    """The `turns` command with a turn shorter than people may ask for: the range stops at 30 s."""
    members = await present_participants(ctx, ctx.event)
    await start_round(ctx, ctx.event, members, seconds=SECONDS["turn"], order="given")


class Recorder:
    """An outbox that notes when each action reached it."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[datetime, Action]] = []
        self.over = asyncio.Event()

    async def send(
        self, tenant: str, actions: Sequence[Action], *, origin: InboundEvent | None = None
    ) -> list[Delivery]:
        now = datetime.now(UTC)
        for action in actions:
            self.arrivals.append((now, action))
            if isinstance(action, Post) and action.message.fields:  # the summary closes the round
                self.over.set()
        return [Delivery(action) for action in actions]

    def arrived(self, ref: str) -> datetime | None:
        return next((at for at, a in self.arrivals if isinstance(a, Post) and a.ref == ref), None)


async def run(speakers: int, seconds: int, database_url: str) -> list[tuple[int, float, float]]:
    SECONDS["turn"] = seconds
    settings = Settings().model_copy(update={"database_url": database_url, "log_level": "WARNING"})
    app = build(settings, extra_routers=[bench])
    recorder = Recorder()
    app.dispatcher.register("bench", recorder)
    await app.start()
    try:

        async def say(user: str, text: str) -> None:
            await recorder.send(
                "bench", await app.core.handle(CommandInvoked(Caller("bench", user, "#bench"), text))
            )

        await say("host", 'event start "Bench" --lang en')
        for n in range(speakers):
            await say(f"p{n:02d}", "join")
        await say("host", "bench round")
        await asyncio.wait_for(recorder.over.wait(), timeout=speakers * seconds + 30)
        async with app.store.session() as session:
            round_ = (await session.exec(select(StepRun).where(StepRun.ritual == "turns"))).one()
            steps = list(
                (
                    await session.exec(
                        select(Step).where(Step.run_id == round_.id).order_by(col(Step.position))
                    )
                ).all()
            )
            ends = list(
                (
                    await session.exec(
                        select(Timer).where(Timer.kind == "turns.end").order_by(col(Timer.due_at))
                    )
                ).all()
            )
    finally:
        await app.close()
    rows = []
    for n, timer in enumerate(ends):
        claimed = (timer.fired_at - timer.due_at).total_seconds() * 1000
        if n + 1 < len(steps):
            delivered_at = recorder.arrived(f"turns:{round_.id}:{steps[n + 1].position}")
        else:  # the last hand-off is to the summary
            delivered_at = max(at for at, _ in recorder.arrivals)
        rows.append((n + 1, claimed, (delivered_at - timer.due_at).total_seconds() * 1000))
    return rows


def report(rows: list[tuple[int, float, float]], speakers: int, seconds: int, database: str) -> None:
    print(f"turns of {seconds} s, {speakers} speakers, on {database}; real clock, APScheduler alarm")
    print(f"{'hand-off':>8} | {'timer ran late (ms)':>19} | {'announced late (ms)':>19}")
    print(f"{'-' * 8}-+-{'-' * 19}-+-{'-' * 19}")
    for n, ran, announced in rows:
        print(f"{n:>8} | {ran:>19.1f} | {announced:>19.1f}")
    ran, late = [r[1] for r in rows], [r[2] for r in rows]
    print(f"{'median':>8} | {statistics.median(ran):>19.1f} | {statistics.median(late):>19.1f}")
    print(f"{'worst':>8} | {max(ran):>19.1f} | {max(late):>19.1f}")
    print(f"hand-offs announced: {len(rows)} of {speakers} (the last one is to the summary)")
    verdict = "met" if max(late) < TARGET_MS and len(rows) == speakers else "MISSED"
    print(f"target: every hand-off announced under {TARGET_MS} ms late: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speakers", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=2)
    parser.add_argument("--database", help="a database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tsunagari-bench-") as folder:
        url = args.database or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        rows = asyncio.run(run(args.speakers, args.seconds, url))
    report(rows, args.speakers, args.seconds, url.split(":", 1)[0])


if __name__ == "__main__":
    main()
