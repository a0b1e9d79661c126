"""Look-ups that must not grow with a community's history: cancelling a run's timers by key prefix and
finding `@name` read through an index, and the prefix means exactly that prefix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.bootstrap import build
from bot.clock import VirtualClock
from bot.config import Settings
from bot.router import Ctx
from bot.store.db import SQLITE_OR_CHUNK, insert_rows
from bot.store.models import Tenant, Timer

pytestmark = pytest.mark.db

NOW = datetime(2026, 1, 15, tzinfo=UTC)
KEYS = [
    "turns:1:3:end",
    "turns:1:3:warn",
    "turns:1:4:end",  # another seq of the same run: cancelled with the run
    "turns:10:1:end",  # run 10 shares the digits but not the prefix "turns:1:"
    "turns:1;odd",  # the character after ':' in byte order: just outside the range
    "turns:1",  # shorter than the prefix
    "barriers:refresh:1:5:aa",
    "turns_1:x",  # an underscore, which LIKE read as "any character"
]


@pytest.fixture
async def app(database_url: str):
    application = build(Settings().model_copy(update={"database_url": database_url}), clock=VirtualClock(NOW))
    await application.start()
    yield application
    await application.close()


async def test_cancelling_by_prefix_cancels_exactly_the_keys_that_start_with_it(app) -> None:  # noqa: ANN001
    async with app.store.session() as session:
        session.add(Tenant(id="slack:T1", platform="slack", created_at=NOW))
        session.add(Tenant(id="slack:T2", platform="slack", created_at=NOW))
        await session.flush()
        ctx = Ctx(app.core, session, "slack:T1", None, None, None, "en", NOW)
        for key in KEYS:
            await ctx.schedule("x", NOW + timedelta(minutes=1), {}, key=key)
        # The same key in another workspace is that workspace's own.
        other = Ctx(app.core, session, "slack:T2", None, None, None, "en", NOW)
        await other.schedule("x", NOW + timedelta(minutes=1), {}, key="turns:1:3:end")
        assert await ctx.cancel_timers("turns:1:") == 3
        assert await ctx.cancel_timers("turns_") == 1
        await session.commit()
    async with app.store.session() as session:
        rows = (await session.exec(select(Timer.tenant_id, Timer.key, Timer.status))).all()
    status = {(tenant, key): value for tenant, key, value in rows}
    assert {key for (tenant, key), value in status.items() if value == "cancelled"} == {
        "turns:1:3:end",
        "turns:1:3:warn",
        "turns:1:4:end",
        "turns_1:x",
    }
    assert status[("slack:T2", "turns:1:3:end")] == "pending"


async def _plan(app, sql: str, parameters: tuple | dict = ()) -> str:  # noqa: ANN001
    """The query plan of `sql` in the driver's own form, with its parameters bound."""
    async with app.store.engine.connect() as connection:
        if app.store.engine.dialect.name == "postgresql":
            # A small table is cheaper to scan whole; forbid that, so the plan shows whether an index
            # can serve the query at all, as it must once a workspace holds 100,000 timers.
            await connection.exec_driver_sql("SET enable_seqscan = off")
            rows = (await connection.exec_driver_sql("EXPLAIN " + sql, parameters)).all()
        else:
            rows = (await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters)).all()
    return "\n".join(str(row[-1]) for row in rows)


async def test_the_timer_cancel_query_walks_an_index_on_the_key(app) -> None:  # noqa: ANN001
    sent: list[tuple[str, object]] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        # One UPDATE … RETURNING where the database has it (a SELECT, then an UPDATE by id, where not):
        # the statement that finds the timers by their key is the one whose plan matters.
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE")) and "key" in statement:
            sent.append((statement, parameters))

    event.listen(app.store.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with app.store.session() as session:
            ctx = Ctx(app.core, session, "slack:T1", None, None, None, "en", NOW)
            await ctx.cancel_timers("turns:1:")
    finally:
        event.remove(app.store.engine.sync_engine, "before_cursor_execute", seen)
    ((statement, parameters),) = sent
    plan = await _plan(app, statement, parameters)
    # The index narrows to the prefix's range of keys, not to every pending timer of the workspace.
    assert "ix_timer_tenant_status_key" in plan, plan
    assert "key" in plan.split("ix_timer_tenant_status_key", 1)[1], plan


async def test_a_name_mention_is_found_through_an_index(app) -> None:  # noqa: ANN001
    plan = await _plan(
        app,
        "SELECT id FROM member WHERE tenant_id = 'slack:T1' AND display_name = 'alice'",
    )
    assert "ix_member_tenant_display_name" in plan, plan


# -- every statement of a workshop's commands reads through an index that narrows it -----------------------
# What a statement may read whole, by design: the report reads every earlier event (for its medians); the
# alarm's sweep and a nudge's claim look at what is due across workspaces through their own indexes.
WHOLE_BY_DESIGN = ("FROM tenant",)


def _reads_everything(dialect: str, plan: str) -> list[str]:
    """The steps of `plan` that read a table whole, or every row of the workspace through the tenant index
    alone: the reads that grow with a community's history."""
    steps = plan.splitlines()
    if dialect == "sqlite":
        return [
            step
            for step in steps
            # A scan of a covering index reads every entry of it, as a scan of the table reads every row;
            # any index searched on the tenant alone reads every row of the workspace.
            if (step.startswith("SCAN ") and "CONSTANT ROW" not in step) or step.endswith("(tenant_id=?)")
        ]
    found = []
    for n, step in enumerate(steps):
        if "Seq Scan on" in step:
            found.append(step)
        elif "_tenant_id on " in step:
            condition = steps[n + 1] if n + 1 < len(steps) else ""
            if "Index Cond" in condition and condition.count("=") + condition.count("ANY") <= 1:
                found.append(step + " " + condition.strip())
    return found


async def test_a_workshops_commands_read_no_table_whole_nor_a_whole_workspace(chat) -> None:  # noqa: ANN001
    """Event start, joins, a round of turns ended by presses, a board, pairs and the end: each statement
    they send finds its rows through an index on what it looks for (a channel, a run, a pair, an event),
    never by reading every event, run or connection the workspace ever had."""
    engine = chat.app.store.engine
    sent: list[tuple[str, object]] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if not executemany and statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        names = ["bob", "carol", "dave", "erin", "frank", "gina"]
        await chat.say("alice", '/tsunagari event start "Flat" --lang en')
        for name in names:
            await chat.say(name, "/tsunagari join --org Acme --languages en")
        await chat.say("alice", "/tsunagari turns " + " ".join(f"@{n}" for n in names[:3]))
        for name in names[:3]:
            await chat.click(name, "Done")
        await chat.say("alice", "/tsunagari barriers open --min 3")
        for name in names[:3]:
            await chat.say(name, f'/tsunagari barriers share "what holds {name} back"')
        await chat.wait(minutes=1)
        await chat.say("alice", "/tsunagari barriers reveal")
        await chat.click("bob", "Me too #1")
        await chat.say("alice", "/tsunagari pairs")
        await chat.say("alice", "/tsunagari event end")
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert len(sent) > 100, "the workshop's statements were seen"
    dialect = engine.dialect.name
    offenders: dict[str, list[str]] = {}
    for statement, parameters in sent:
        if any(part in statement for part in WHOLE_BY_DESIGN):
            continue
        found = _reads_everything(dialect, await _plan(chat.app, statement, parameters))
        if found:
            words = " ".join(statement.split())
            offenders[words[words.find(" FROM ") + 1 :][:200]] = found
    assert offenders == {}, "\n".join(f"{k[:160]} :: {v}" for k, v in offenders.items())


async def test_pairs_among_people_who_all_met_before_reads_and_matches_once(chat) -> None:  # noqa: ANN001
    """In a community where everyone has met, `pairs` sends the round it just planned: it does not read
    the room and its history again, describe the stored round afresh and (since every pair is a repeat
    by then) match the room a second time before sending it."""
    engine = chat.app.store.engine
    names = ["bob", "carol", "dave", "erin"]
    counted: list[list[str]] = []

    async def evening(number: int) -> None:
        channel = f"#room{number}"
        await chat.say("alice", f'/tsunagari event start "Evening {number}" --lang en', channel=channel)
        for name in names:
            await chat.say(name, "/tsunagari join --org Acme --languages en", channel=channel)
        sent: list[str] = []

        def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
            sent.append(" ".join(statement.split()))

        event.listen(engine.sync_engine, "before_cursor_execute", seen)
        try:
            lines = await chat.say("alice", "/tsunagari pairs", channel=channel)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", seen)
        assert any("Round 1" in line for line in lines), lines
        counted.append(sent)
        await chat.say("alice", "/tsunagari event end", channel=channel)

    for number in range(1, 5):  # 4 people, 3 pairings of them: by the fourth evening all 6 pairs met
        await evening(number)
    first, last = counted[0], counted[-1]
    reads = [
        [s for s in sent if s.startswith("SELECT") and " FROM participant JOIN member " in s]
        for sent in counted
    ]
    assert len(reads[-1]) == len(reads[0]) == 1, "the room is read once"
    seats = [
        [s for s in sent if s.startswith(("DELETE FROM pairing_seat", "INSERT INTO pairing_seat"))]
        for sent in counted
    ]
    assert len(seats[-1]) == len(seats[0]), "the round is seated once, not matched again and re-seated"
    # Beyond that, only the links differ: new ones are inserted the first time, met ones counted again.
    assert len(last) <= len(first) + 2, (len(first), len(last))


def _nodes(plan: dict):  # noqa: ANN202 - the nodes of an EXPLAIN (FORMAT JSON) plan, depth first
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_event_end_reads_its_links_once_however_many_other_rooms_made_links_meanwhile(chat) -> None:  # noqa: ANN001
    """61 events at once in one workspace (this room and 60 others): autovacuum last analysed the tables while people were still
    arriving (two a room, no links yet), and the rooms have since made 1,500 links. `event end` reads
    this room's links among them through each table once, not the room's participants again for every
    link the other rooms made (what it did in bench/load.py: 120-260 ms an end, 100 events running)."""
    engine = chat.app.store.engine
    names = ["bob", "carol", "dave", "erin", "frank", "gina"]
    rooms = 60

    async def sql(statement: str, *parameters: object):  # noqa: ANN202
        async with engine.begin() as connection:
            result = await connection.exec_driver_sql(statement, parameters)
            return result.all() if result.returns_rows else []

    async def join(people: list[str], first: int, last: int) -> None:
        for name in people:
            await chat.say(name, "/tsunagari join --org Acme --languages en")
        # The other rooms' people, numbered first..last: person n sits in room n % rooms.
        await sql(
            "INSERT INTO member (tenant_id, user_id, display_name, nudges_enabled, created_at) "
            "SELECT $1, 'other' || n, 'other' || n, true, $2 FROM generate_series($3::int, $4::int) AS n",
            tenant,
            now,
            first,
            last,
        )
        await sql(
            "INSERT INTO participant (tenant_id, event_id, member_id, status, joined_at) "
            "SELECT $1, event.id, member.id, 'present', $2 FROM member JOIN event ON event.tenant_id = $1 "
            "AND event.name = 'Room ' || (substr(member.user_id, 6)::int % $3) "
            "WHERE member.user_id LIKE 'other%' AND substr(member.user_id, 6)::int BETWEEN $4 AND $5",
            tenant,
            now,
            rooms,
            first,
            last,
        )

    await chat.say("alice", '/tsunagari event start "Busy night" --lang en')
    for n in range(rooms):
        await chat.say("alice", f'/tsunagari event start "Room {n}" --lang en', channel=f"#room{n}")
    ((tenant, now),) = await sql("SELECT tenant_id, max(created_at) FROM event GROUP BY tenant_id")
    await join(names[:2], 1, 2 * rooms)
    for table in ("connection", "participant", "member"):  # autovacuum has not come round again
        await sql(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
    await sql("ANALYZE")
    await join(names[2:], 2 * rooms + 1, 50 * rooms)
    assert any("Round 1" in line for line in await chat.say("alice", "/tsunagari pairs"))
    # Each other room pairs its people: 25 links a room, all in this evening's window.
    await sql(
        "INSERT INTO connection (tenant_id, member_a_id, member_b_id, stage, origin, times_met, event_id, "
        "created_at, last_met_at, stage_changed_at) "
        "SELECT $1, min(member_id), max(member_id), 'link', 'pairs', 1, event_id, $2, $2, $2 FROM "
        "(SELECT event_id, member_id, (row_number() OVER (PARTITION BY event_id ORDER BY member_id) - 1) / 2 AS pair "
        "FROM participant WHERE member_id IN (SELECT id FROM member WHERE user_id LIKE 'other%')) AS seated "
        "GROUP BY event_id, pair HAVING count(*) = 2",
        tenant,
        now,
    )
    ((links,),) = await sql("SELECT count(*) FROM connection")
    assert links > rooms * 20, links
    sent: list[tuple[str, object]] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if (
            statement.lstrip().startswith("SELECT")
            and " FROM connection " in " ".join(statement.split()) + " "
        ):
            sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        lines = await chat.say("alice", "/tsunagari event end")
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert any("Busy night" in line for line in lines), lines
    assert sent, "event end read the room's links"
    async with engine.connect() as connection:
        for statement, parameters in sent:
            ((plan,),) = (
                await connection.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
            ).all()
            loops = [
                (node["Node Type"], node.get("Relation Name"), node["Actual Loops"])
                for node in _nodes(plan[0]["Plan"])
            ]
            # Each table is read once, or once for each pair of the room's people: never once a link.
            assert max(n for *_, n in loops) <= (len(names) + 1) ** 2, (
                " ".join(statement.split())[:300],
                loops,
            )


async def test_many_rows_inserted_at_once_come_back_with_their_own_ids_in_order(app) -> None:  # noqa: ANN001
    """An event's end inserts a timer a person and step at once (`insert_rows`); on SQLite their ids are
    read back by key, through the unique index, in statements of at most SQLITE_OR_CHUNK keys. 450 rows
    (three statements, the last part-full), keyed on a column whose name SQL reserves ("key"), some keys
    sharing a prefix: each id is the row of its own key, in the order given."""
    count = 2 * SQLITE_OR_CHUNK + 50
    rows = [
        {"tenant_id": "t1", "kind": "nudge", "key": f"nudge:{n % 7}:{n}", "due_at": NOW, "created_at": NOW}
        for n in reversed(range(count))
    ]
    async with app.store.session() as session:
        session.add(Tenant(id="t1", platform="console", created_at=NOW))
        session.add(Timer(tenant_id="t1", kind="nudge", key="nudge:already", due_at=NOW, created_at=NOW))
        await session.flush()
        ids = await insert_rows(session, Timer, rows, key=("tenant_id", "key"))
        await session.commit()
    async with app.store.session() as session:
        stored = {t.id: t.key for t in (await session.exec(select(Timer))).all()}
    assert len(set(ids)) == count
    assert [stored[i] for i in ids] == [row["key"] for row in rows]
