"""The insight report of one event of 50 people in a community with 100 earlier events, charts included,
against one plain SQL count over the same rows.

    python bench/report.py [--people 50] [--events 100] [--postgres postgresql://postgres@127.0.0.1:5432/test]

Each event gets its participants (profiles, languages), a round of pairs, a round of 24 turns, a board of
cards with "me too", the links of its pairs with a stage history, the three nudges per person with thanks
and mutual yeses, all inserted in bulk. Then, on SQLite (and PostgreSQL when a server is named), it times
`build_report` (every figure, against the median of the earlier events), the three PNG charts, and the
baseline: one `SELECT count(*)` over the participants of all those events. 7 runs each: the fastest and
the median wall time, the median CPU time, and the SQL statements one report sends.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event as event_listener
from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bot.store.tables  # noqa: E402, F401  (every table)
from bot.i18n import Catalog  # noqa: E402
from bot.rituals.barriers.models import BarrierBoard, BarrierCard  # noqa: E402
from bot.rituals.nudges.models import Nudge, NudgeAction  # noqa: E402
from bot.rituals.pairing.models import PairingRound, PairingSeat  # noqa: E402
from bot.rituals.report.charts import render_charts  # noqa: E402
from bot.rituals.report.figures import build_report  # noqa: E402
from bot.steps.models import Step, StepRun  # noqa: E402
from bot.store.db import Store  # noqa: E402
from bot.store.history import ConnectionStageChange  # noqa: E402
from bot.store.models import Connection, Event, Member, Participant, Tenant  # noqa: E402

TENANT = "console"
ORGS = ["Fujitsu", "LinkedIn", "NPO", "City", "Startup", "University", "Musubi"]
REGIONS = ["Tokyo", "Osaka", "Fukuoka", "Sapporo", "Kyoto"]
GENERATIONS = ["20s", "30s", "40s", "50s", "60s"]
CATEGORIES = ["fear", "bias", "trust", "isolation", "dependence", "taboo"]


async def _fill(store: Store, people: int, events: int) -> int:
    """Bulk rows for `events` earlier events and one more; returns the last event's id."""
    rng = random.Random(16)
    start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    members = people * 3  # a community larger than one room: some come back, some are new
    ids = iter(range(1, 10**9))
    async with store.session() as session:
        conn = await session.connection()
        await conn.execute(insert(Tenant), [{"id": TENANT, "platform": "console", "created_at": start}])
        await conn.execute(
            insert(Member),
            [
                {"id": m, "tenant_id": TENANT, "user_id": f"u{m}", "created_at": start}
                for m in range(1, members + 1)
            ],
        )
        rows: dict[type, list[dict]] = {
            t: []
            for t in (
                Event,
                Participant,
                PairingRound,
                PairingSeat,
                StepRun,
                Step,
                BarrierBoard,
                BarrierCard,
                Connection,
                ConnectionStageChange,
                Nudge,
                NudgeAction,
            )
        }
        card_ids = iter(range(1, 10**9))
        for e in range(1, events + 2):
            began = start + timedelta(days=7 * e)
            ended = began + timedelta(hours=3)
            rows[Event].append(
                {
                    "id": e,
                    "tenant_id": TENANT,
                    "channel_id": f"#c{e}",
                    "name": f"Event {e}",
                    "lang": "en",
                    "tz": "Asia/Tokyo",
                    "status": "ended",
                    "created_at": began,
                    "ended_at": ended,
                }
            )
            room = rng.sample(range(1, members + 1), people)
            for m in room:
                rows[Participant].append(
                    {
                        "tenant_id": TENANT,
                        "event_id": e,
                        "member_id": m,
                        "status": "left" if rng.random() < 0.1 else "present",
                        "organisation": rng.choice(ORGS),
                        "region": rng.choice(REGIONS),
                        "generation": rng.choice(GENERATIONS),
                        "role": None,
                        "languages": rng.choice(["ja", "en", "ja,en"]),
                        "joined_at": began,
                    }
                )
            rows[PairingRound].append(
                {
                    "id": e,
                    "tenant_id": TENANT,
                    "event_id": e,
                    "number": 1,
                    "seed": e,
                    "status": "sent",
                    "created_at": began,
                    "size": 2,
                    "bridge": "org,region,generation,role",
                    "rerolls": 0,
                }
            )
            for i, m in enumerate(room):
                rows[PairingSeat].append(
                    {"tenant_id": TENANT, "round_id": e, "group_no": i // 2, "member_id": m}
                )
            rows[StepRun].append(
                {
                    "id": e,
                    "tenant_id": TENANT,
                    "ritual": "turns",
                    "event_id": e,
                    "status": "finished",
                    "created_at": began,
                    "options": {},
                    "lang": "en",
                    "current": 24,
                    "seq": 24,
                }
            )
            for i, m in enumerate(room[:24]):
                rows[Step].append(
                    {
                        "tenant_id": TENANT,
                        "run_id": e,
                        "position": i,
                        "kind": "turn",
                        "member_id": m,
                        "seconds": 180,
                        "spoken": rng.randint(60, 180),
                        "status": rng.choice(["timeup", "done", "next", "skipped"]),
                    }
                )
            rows[BarrierBoard].append(
                {
                    "id": e,
                    "tenant_id": TENANT,
                    "event_id": e,
                    "prompt": "?",
                    "min_cards": 3,
                    "status": "closed",
                    "opened_at": began,
                    "shown_count": 0,
                }
            )
            for _ in range(people):
                rows[BarrierCard].append(
                    {
                        "id": f"c{next(card_ids)}",
                        "tenant_id": TENANT,
                        "board_id": e,
                        "category": rng.choice(CATEGORIES),
                        "text": "a card",
                        "metoo": rng.randint(0, 8),
                        "hidden": False,
                    }
                )
            nudges: dict[int, int] = {}
            for m in room:
                for step in ("thanks", "warm", "stage"):
                    nid = next(ids)
                    if step == "thanks":
                        nudges[m] = nid
                    rows[Nudge].append(
                        {
                            "id": nid,
                            "tenant_id": TENANT,
                            "member_id": m,
                            "event_id": e,
                            "step": step,
                            "plan": "default",
                            "status": rng.choice(["sent", "sent", "stopped", "unreachable"]),
                            "due_at": ended,
                            "expires_at": ended,
                            "deliveries": 1,
                            "snoozes": rng.randint(0, 1),
                            "created_at": ended,
                            "attempts": 0,
                            "wake": 0,
                        }
                    )
            for i in range(0, people - 1, 2):
                a, b = sorted((room[i], room[i + 1]))
                cid = next(ids)
                rows[Connection].append(
                    {
                        "id": cid,
                        "tenant_id": TENANT,
                        "member_a_id": a,
                        "member_b_id": b,
                        "stage": "connection",
                        "origin": "pairs",
                        "event_id": e,
                        "times_met": 1,
                        "created_at": began,
                        "last_met_at": began,
                        "stage_changed_at": ended,
                    }
                )
                rows[ConnectionStageChange].append(
                    {
                        "tenant_id": TENANT,
                        "connection_id": cid,
                        "event_id": e,
                        "stage": rng.choice(["connection", "engagement"]),
                        "day": (ended + timedelta(days=rng.randint(1, 40))).date(),
                    }
                )
                if rng.random() < 0.6:
                    rows[NudgeAction].append(
                        {
                            "tenant_id": TENANT,
                            "nudge_id": nudges[a],
                            "other_id": b,
                            "verb": "thanked",
                            "at": ended + timedelta(hours=12),
                        }
                    )
                if rng.random() < 0.3:
                    rows[NudgeAction].append(
                        {
                            "tenant_id": TENANT,
                            "nudge_id": nudges[a],
                            "other_id": b,
                            "verb": "mutual",
                            "at": ended + timedelta(days=8),
                        }
                    )
        # Connections must be unique per pair: a pair met twice keeps its first row.
        seen: set[tuple[int, int]] = set()
        kept = []
        for row in rows[Connection]:
            if (row["member_a_id"], row["member_b_id"]) not in seen:
                seen.add((row["member_a_id"], row["member_b_id"]))
                kept.append(row)
        kept_ids = {row["id"] for row in kept}
        rows[Connection] = kept
        rows[ConnectionStageChange] = [
            r for r in rows[ConnectionStageChange] if r["connection_id"] in kept_ids
        ]
        for table, values in rows.items():
            for chunk in range(0, len(values), 2000):
                await conn.execute(insert(table), values[chunk : chunk + 2000])
        await session.commit()
    return events + 1


async def _time(call, runs: int = 7) -> tuple[float, float, float]:  # noqa: ANN001
    """(fastest, median) wall time and the median CPU time of the whole process (worker threads too):
    on a machine shared with other work, the fastest run and the CPU time say most about the code."""
    spent, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        await call()
        spent.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    return min(spent), statistics.median(spent), statistics.median(cpu)


async def bench(url: str, label: str, people: int, events: int) -> list[tuple[str, str, float]]:
    store = Store(url)
    await store.upgrade()
    target = await _fill(store, people, events)
    # Statistics, as autovacuum (PostgreSQL) gathers them soon after rows arrive: right after a bulk
    # insert the planner thinks every table is empty and joins nudges to their actions by nested loop
    # (4 s here instead of 10 ms), a state a live database does not stay in.
    async with store.engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
    catalog = Catalog.load()
    now = datetime(2030, 1, 1, tzinfo=UTC)
    async with store.session() as session:
        event = await session.get(Event, target)
    render_charts(catalog, "ja", await _report(store, event, now))  # the font loads once per process

    statements = [0]
    event_listener.listen(
        store.engine.sync_engine,
        "before_cursor_execute",
        lambda *_: statements.__setitem__(0, statements[0] + 1),
    )
    await _report(store, event, now)
    statements[0] = 0
    await _report(store, event, now)
    per_report = statements[0]

    async def count() -> None:
        async with store.session() as session:
            await session.execute(
                text("SELECT count(*) FROM participant WHERE tenant_id = :t"), {"t": TENANT}
            )

    async def figures() -> None:
        await _report(store, event, now)

    async def with_charts() -> None:
        report = await _report(store, event, now)
        await asyncio.get_running_loop().run_in_executor(None, render_charts, catalog, "ja", report)

    results = [
        (label, "one SELECT count(*) over the participants", 1, await _time(count)),
        (label, f"build_report ({events} events' medians)", per_report, await _time(figures)),
        (label, "build_report + 3 PNG charts (the chat's answer)", per_report, await _time(with_charts)),
    ]
    await store.close()
    return results


async def _report(store: Store, event: Event, now: datetime):  # noqa: ANN202
    async with store.session() as session:
        return await build_report(session, event, now=now)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; a database is made there and dropped")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        results += await bench(url, "SQLite", args.people, args.events)
    if args.postgres:
        from tests.support import create_pg_database, drop_pg_database

        name, url = await create_pg_database(args.postgres, "tsunagari_bench_")
        try:
            results += await bench(url, "PostgreSQL", args.people, args.events)
        finally:
            await drop_pg_database(args.postgres, name)
    print(f"report of one event of {args.people} people, {args.events} earlier events (7 runs each)")
    print(f"{'database':<11} {'what':<50} {'SQL':>4} {'fastest':>9} {'median':>9} {'CPU':>9}")
    for label, what, sql, (fastest, middle, cpu) in results:
        print(
            f"{label:<11} {what:<50} {sql:>4} {fastest * 1000:>7.1f}ms {middle * 1000:>7.1f}ms"
            f" {cpu * 1000:>7.1f}ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
