"""How fast Slack gets its ack: 500 signed slash commands at once to the HTTP endpoint.

Tsunagari (real core, SQLite, the Slack adapter serving HTTP) is measured beside a bare bolt app that only
acks, each served in a child process of its own; this process sends the burst and plays the Slack Web API
(tests/fakes/slack_api.py) that both call. The bare app is built as ours is: `process_before_response=True`
(its listener runs inside the request and acks when it returns; bolt's default would ack first and run the
listener in a task of its own), the same listen queue and the same aiohttp server. The two are measured in
turns, `--repeat` times (3), alternating which goes first (bare first in odd rounds, Tsunagari first in
even ones), so neither always meets a machine that is warmer or busier; the table gives min/median/max of
each run's median, p99 and max ack latency.

    python -m bench.slack_ack [--requests 500] [--people 25] [--repeat 3] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import statistics
import sys
import tempfile
import time

import aiohttp

from bench.machine import loadavg
from tests.fakes import slack_requests as sr
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack

TARGET_P99_MS = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- the servers (child processes) -------------------------------------------------------------------------


async def serve_tsunagari(port: int, api_url: str, database: str) -> None:
    from pydantic import SecretStr

    from adapters.slack.adapter import SlackAdapter
    from bot.bootstrap import build
    from bot.config import Settings

    settings = Settings().model_copy(
        update={
            "database_url": f"sqlite+aiosqlite:///{database}",
            "slack_bot_token": SecretStr(BOT_TOKEN),
            "slack_signing_secret": SecretStr(sr.SIGNING_SECRET),
            "slack_api_url": api_url,
            "slack_host": "127.0.0.1",
            "slack_port": port,
        }
    )
    app = build(settings)
    adapter = SlackAdapter(app.core, app.store, settings)  # as bot/bootstrap.py builds it
    app.dispatcher.register("slack", adapter)
    app.adapters.append(adapter)
    await app.start()
    # SIGTERM ends the app as `tsunagari run` ends it: app.close() also stops the compute worker, a child
    # of ours that would otherwise outlive us holding our stdout open (and the bench's wait() with it).
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    try:
        await stop.wait()
    finally:
        await app.close()


async def serve_bare(port: int, api_url: str) -> None:
    from aiohttp import web
    from slack_bolt.app.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.slack.adapter import BACKLOG

    app = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=api_url),
        signing_secret=sr.SIGNING_SECRET,
        process_before_response=True,  # as adapters/slack/adapter.py builds ours
    )

    @app.command("/tsunagari")
    async def only_ack(ack):  # noqa: ANN001 - bolt's argument injection
        await ack()

    runner = web.AppRunner(app.server(port=port, path="/slack/events", host="127.0.0.1").web_app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=BACKLOG).start()  # the same listen queue as ours
    print("ready", flush=True)
    await asyncio.Event().wait()


async def serve_fake(people: int) -> None:
    slack = await FakeSlack().start()
    slack.add_channel("C0MAIN", "main")
    for i in range(people):
        slack.add_user(f"U0P{i:04d}", f"person{i}")
    print(slack.port, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await slack.stop()


# ---- the burst ---------------------------------------------------------------------------------------------


async def burst(fake: str, url: str, requests: int, people: int, first: int) -> tuple[list[float], int]:
    bodies = [
        sr.signed(
            sr.slash_command_body(
                "help",
                user=f"U0P{i % people:04d}",
                response_url=f"{fake}/commands/T0001/{first + i}/hook",
            )
        )
        for i in range(requests)
    ]
    latencies: list[float] = []
    failures = 0
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        gate = asyncio.Event()

        async def one(body: str, headers: dict[str, str]) -> None:
            nonlocal failures
            await gate.wait()
            started = time.perf_counter()
            async with http.post(url, data=body, headers=headers) as answer:
                await answer.read()
                if answer.status != 200:
                    failures += 1
            latencies.append((time.perf_counter() - started) * 1000)

        tasks = [asyncio.create_task(one(b, h)) for b, h in bodies]
        await asyncio.sleep(0.2)  # every connection task is waiting at the gate
        gate.set()
        await asyncio.gather(*tasks)
    return latencies, failures


async def child(*args: str) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.slack_ack", *args, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
    if not line.strip():
        raise RuntimeError(f"bench child {args[:2]} did not start")
    return process, line.decode().strip()


async def replies(fake: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(f"{fake}/_fake/stats") as answer:
        return (await answer.json())["responses"]


async def measure(kind: str, requests: int, people: int, database_dir: str) -> dict[str, float]:
    """Three processes: the fake Slack, the app under test, and this one sending the burst."""
    fake_process, fake_port = await child("--serve", "fake", "--people", str(people))
    fake = f"http://127.0.0.1:{fake_port}"
    port = free_port()
    database = os.path.join(database_dir, f"{kind}.db")
    app_args = ["--serve", kind, "--port", str(port), "--api", f"{fake}/api/", "--database", database]
    app_process, _ = await child(*app_args)
    try:
        url = f"http://127.0.0.1:{port}/slack/events"
        await burst(fake, url, 10, people, 0)  # warm-up: auth.test, first connections, first users.info
        latencies, failures = await burst(fake, url, requests, people, 10)
        started = time.monotonic()
        delivered = await replies(fake)
        while kind == "tsunagari" and delivered < requests + 10 and time.monotonic() < started + 60:  # noqa: ASYNC110
            await asyncio.sleep(0.05)  # a bench, not a test: it polls the fake for the work after the acks
            delivered = await replies(fake)
        drained = time.monotonic() - started
    finally:
        for process in (app_process, fake_process):
            process.terminate()
            await process.wait()
    ordered = sorted(latencies)
    return {
        "median": statistics.median(ordered),
        "p99": ordered[max(0, int(len(ordered) * 0.99) - 1)],
        "max": ordered[-1],
        "failures": failures,
        "replies": delivered - 10 if kind == "tsunagari" else 0,
        "drained": drained,
    }


def spread(values: list[float]) -> str:
    return f"{min(values):6.1f} / {statistics.median(values):6.1f} / {max(values):6.1f}"


async def main(requests: int, people: int, repeat: int) -> int:
    runs: dict[str, list[dict[str, float]]] = {"bare": [], "tsunagari": []}
    print(
        f"{requests} signed /tsunagari commands sent at once ({people} people), {repeat} rounds; {loadavg()}"
    )
    with tempfile.TemporaryDirectory() as database_dir:
        for n in range(repeat):
            order = ("bare", "tsunagari") if n % 2 == 0 else ("tsunagari", "bare")
            folder = os.path.join(database_dir, str(n))  # a fresh database for each round
            os.makedirs(folder)
            for kind in order:
                row = await measure(kind, requests, people, folder)
                runs[kind].append(row)
                print(
                    f"  round {n + 1}, {kind:<9}: median {row['median']:6.1f}, p99 {row['p99']:6.1f}, "
                    f"max {row['max']:6.1f} ms; {loadavg()}",
                    flush=True,
                )
    print()
    print(f"ack latency in ms, min / median / max over {repeat} runs each (alternating which ran first)")
    print()
    print(
        "| app                                | median                 | p99                    "
        "| max                    | non-200 | replies delivered | after the acks |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    names = {
        "bare": "bare bolt app (ack only, pbr=True)",
        "tsunagari": "Tsunagari (ack, then work)",
    }
    for kind, name in names.items():
        rows = runs[kind]
        failures = sum(int(r["failures"]) for r in rows)
        replies = "-" if kind == "bare" else f"{min(int(r['replies']) for r in rows)}/{requests} (fewest)"
        drained = "-" if kind == "bare" else f"{max(r['drained'] for r in rows):.1f} s (most)"
        print(
            f"| {name:<34} | {spread([r['median'] for r in rows])} | {spread([r['p99'] for r in rows])} "
            f"| {spread([r['max'] for r in rows])} | {failures:7d} | {replies:>17} | {drained:>14} |"
        )
    ours = statistics.median(r["p99"] for r in runs["tsunagari"])
    bare = statistics.median(r["p99"] for r in runs["bare"])
    ratio = ours / bare if bare else float("inf")
    print()
    print(f"finished at {loadavg()}")
    print(f"median p99 target < {TARGET_P99_MS} ms: {'met' if ours < TARGET_P99_MS else 'MISSED'}; ", end="")
    print(
        f"Tsunagari median p99 / bare median p99 = {ratio:.2f} (target <= 2): {'met' if ratio <= 2 else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--people", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of both apps (at least 3 to quote)")
    parser.add_argument("--quick", action="store_true", help="50 requests, 1 round: checks the bench runs")
    parser.add_argument("--serve", choices=["bare", "tsunagari", "fake"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if options.serve == "fake":
        asyncio.run(serve_fake(options.people))
    elif options.serve == "bare":
        asyncio.run(serve_bare(options.port, options.api))
    elif options.serve == "tsunagari":
        asyncio.run(serve_tsunagari(options.port, options.api, options.database))
    else:
        if options.quick:
            options.requests, options.repeat = 50, 1
        sys.exit(asyncio.run(main(options.requests, options.people, options.repeat)))
