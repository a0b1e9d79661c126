"""5,000 nudges due at once against a fake chat that allows a fixed rate and answers 429 beyond it.

    python bench/nudges.py [--count 5000] [--rate 250] [--burst 50]

The fake chat is an aiohttp server on 127.0.0.1, in a process of its own, with a GCRA limiter (`--rate` per second after a burst
of `--burst`); beyond it, 429 with a whole-second `Retry-After`, as Slack sends. The bot is the real
thing on a SQLite file: an event ends, the default plan's thank-you nudges fall due together, one sweep
delivers them through the nudge sender's paced queue. Two runs: paced by a token bucket sized to the
platform, and unpaced (Retry-After honoured, nothing else). Prints the time against the floor the rate
allows, the 429s hit, and whether every nudge arrived exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import ClientSession, TCPConnector, web
from sqlmodel import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import ledger  # noqa: E402
from bot.actions import Action, Delivery, DirectMessage  # noqa: E402
from bot.bootstrap import App, build  # noqa: E402
from bot.clock import VirtualClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.events import Caller, CommandInvoked  # noqa: E402
from bot.pacing import TokenBucket, rate_limited_detail  # noqa: E402
from bot.rituals.nudges.models import Nudge  # noqa: E402
from bot.rituals.nudges.sender import NudgeSender, install_sender  # noqa: E402
from bot.store.models import Event, Member  # noqa: E402

TENANT = "console"  # the dispatcher routes by platform prefix; the fake chat stands in for it


class FakeChat:
    """A chat API that allows `rate` messages a second after a burst of `burst`, and counts them."""

    def __init__(self, rate: float, burst: int) -> None:
        self.interval, self.tolerance = 1.0 / rate, (burst - 1) / rate
        self.tat = 0.0
        self.received: Counter = Counter()
        self.rejected = 0

    async def dm(self, request: web.Request) -> web.Response:
        now = time.monotonic()
        tat = max(self.tat, now)
        if tat - self.tolerance > now:
            self.rejected += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(max(1, math.ceil(tat - self.tolerance - now)))},
            )
        self.tat = tat + self.interval
        body = await request.json()
        self.received[(body["user"], body["key"])] += 1
        return web.json_response({"ok": True})

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "rejected": self.rejected,
                "delivered": len(self.received),
                "duplicates": sum(n - 1 for n in self.received.values()),
            }
        )


class HttpOutbox:
    """The smallest adapter: a DM is one POST; a 429 is reported back with its Retry-After."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = ClientSession(connector=TCPConnector(limit=64))

    async def send(self, tenant: str, actions: Sequence[Action], *, origin=None) -> list[Delivery]:  # noqa: ANN001
        out = []
        for action in actions:
            if not isinstance(action, DirectMessage):
                out.append(Delivery(action))
                continue
            key = action.message.buttons[-1].action_id  # nudges:stop:<nudge id>: one per nudge
            async with self.session.post(
                f"{self.base}/dm", json={"user": action.users[0], "key": key, "text": action.message.text}
            ) as response:
                if response.status == 429:
                    retry = float(response.headers.get("Retry-After", "1"))
                    out.append(Delivery(action, "failed", rate_limited_detail(retry)))
                elif response.status == 200:
                    out.append(Delivery(action))
                else:
                    out.append(Delivery(action, "failed", f"http {response.status}"))
        return out


async def prepare(folder: Path, count: int) -> tuple[App, datetime]:
    start = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    settings = Settings().model_copy(update={"database_url": f"sqlite+aiosqlite:///{folder / 'bench.db'}"})
    app = build(settings, clock=VirtualClock(start))
    await app.store.upgrade()
    host = Caller(TENANT, "host", "#main", "en", "host")
    await app.core.handle(CommandInvoked(host, 'event start "Bench Night" --tz UTC', "r1"))
    async with app.store.session() as session:
        event = (await session.exec(select(Event))).one()
        members = [
            Member(tenant_id=TENANT, user_id=f"u{i:05}", display_name=f"u{i:05}", created_at=start)
            for i in range(count)
        ]
        session.add_all(members)
        await session.flush()
        for a, b in zip(members[::2], members[1::2], strict=True):
            await ledger.record_link(
                session, tenant=TENANT, a=a.id, b=b.id, origin="pairs", now=start, event_id=event.id
            )
        await session.commit()
    # The light plan: a thank-you (due 3 h after the end, all at once) and a stage check a month later.
    await app.core.handle(CommandInvoked(host, "event end --plan light", "r2"))
    return app, start + timedelta(hours=4)


async def serve(rate: float, burst: int) -> None:
    """The fake chat, in a process of its own (as a platform would be): prints its port, serves forever."""
    chat = FakeChat(rate, burst)
    server = web.Application()
    server.router.add_post("/dm", chat.dm)
    server.router.add_get("/stats", chat.stats)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()


async def run(label: str, count: int, rate: float, burst: int, paced: bool) -> dict:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--serve",
        "--rate",
        str(rate),
        "--burst",
        str(burst),
        stdout=asyncio.subprocess.PIPE,
    )
    port = int((await process.stdout.readline()).decode())
    base = f"http://127.0.0.1:{port}"
    outbox = HttpOutbox(base)
    with tempfile.TemporaryDirectory(prefix="tsunagari-bench-") as folder:
        app, due = await prepare(Path(folder), count)
        app.dispatcher.register(TENANT, outbox)
        # Paced: the platform's rate, half its burst (the rest absorbs jitter). Unpaced: only Retry-After.
        bucket = TokenBucket(rate, max(1, burst // 2)) if paced else TokenBucket(1e6, 10**6)
        sender = NudgeSender(app.core, batch=200, concurrency=16, buckets={"console": bucket})
        install_sender(app.core, sender)
        app.clock.set(due)
        began = time.monotonic()
        await app.timers.sweep()
        took = time.monotonic() - began
        async with app.store.session() as session:
            sent = (
                await session.exec(
                    select(func.count())
                    .select_from(Nudge)
                    .where(Nudge.step == "thanks", Nudge.status == "sent")
                )
            ).one()
        await app.store.close()
    async with outbox.session.get(f"{base}/stats") as response:
        chat = await response.json()
    await outbox.session.close()
    process.terminate()
    await process.wait()
    floor = max(0, count - burst) / rate
    return {
        "run": label,
        "nudges": count,
        "limit": f"{rate:g}/s, burst {burst}",
        "floor": floor,
        "took": took,
        "over": took / floor - 1 if floor else 0.0,
        "429s": chat["rejected"],
        "delivered": chat["delivered"],
        "duplicates": chat["duplicates"],
        "recorded_sent": sent,
    }


def table(rows: list[dict]) -> str:
    head = "| run | nudges | platform limit | floor (s) | took (s) | vs floor | 429s | delivered | duplicates | rows sent |"
    lines = [head, "|" + "---|" * 10]
    for r in rows:
        lines.append(
            f"| {r['run']} | {r['nudges']} | {r['limit']} | {r['floor']:.2f} | {r['took']:.2f} | "
            f"{r['over'] * 100:+.1f}% | {r['429s']} | {r['delivered']} | {r['duplicates']} | {r['recorded_sent']} |"
        )
    return "\n".join(lines)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=250.0)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--skip-unpaced", action="store_true")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        await serve(args.rate, args.burst)
        return 0
    if args.count % 2:
        parser.error("--count must be even (members meet in pairs)")
    rows = [await run("paced", args.count, args.rate, args.burst, paced=True)]
    if not args.skip_unpaced:
        rows.append(await run("unpaced, Retry-After only", args.count, args.rate, args.burst, paced=False))
    print(table(rows))
    ok = all(r["delivered"] == r["nudges"] == r["recorded_sent"] and r["duplicates"] == 0 for r in rows)
    print(
        f"\n{'OK' if ok else 'FAILED'}: every nudge delivered exactly once" + ("" if ok else " — see above")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
