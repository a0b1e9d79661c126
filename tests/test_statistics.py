"""The planner's statistics where the PostgreSQL server gathers none (autovacuum off): the leader analyses
Tsunagari's tables that changed enough, and with those statistics the read of who met whom goes through an
index on the people, not through every connection of the workspace."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, text

from bot import ledger
from bot.clock import VirtualClock
from bot.scheduler import SchedulerAlarm, Timers
from bot.store.db import Store
from bot.store.statistics import Statistics

pytestmark = pytest.mark.db

NOW = datetime(2026, 1, 15, tzinfo=UTC)
TENANT = "slack:T1"


async def _fill(store: Store, members: int, first_connection: int, connections: int) -> None:
    """One workspace's members, and connections among them, as years of events leave them: in bulk."""
    async with store.engine.begin() as connection:
        if first_connection == 0:
            await connection.execute(
                text("INSERT INTO tenant (id, platform, created_at) VALUES (:t, 'slack', :now)"),
                {"t": TENANT, "now": NOW},
            )
            await connection.execute(
                text(
                    "INSERT INTO member (tenant_id, user_id, display_name, nudges_enabled, created_at)"
                    " SELECT :t, 'U' || n, 'person ' || n, true, :now FROM generate_series(1, CAST(:n AS integer)) AS n"
                ),
                {"t": TENANT, "now": NOW, "n": members},
            )
        # Pair k joins member (k mod members) with the k-th one after it: distinct pairs, ordered a < b.
        await connection.execute(
            text(
                "INSERT INTO connection (tenant_id, member_a_id, member_b_id, stage, origin, times_met,"
                " created_at, last_met_at, stage_changed_at)"
                " SELECT :t, LEAST(a, b), GREATEST(a, b), 'link', 'pairs', 1, :now, :now, :now FROM ("
                "   SELECT 1 + k % CAST(:m AS integer) AS a, 1 + (k % CAST(:m AS integer) + 1 + k / CAST(:m AS integer)) % CAST(:m AS integer) AS b"
                "   FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS k) AS pairs"
                " WHERE a <> b ON CONFLICT DO NOTHING"
            ),
            {
                "t": TENANT,
                "now": NOW,
                "m": members,
                "first": first_connection,
                "last": first_connection + connections - 1,
            },
        )
        # A backend hands its counts of changed rows to the server's statistics within a second or so;
        # the test reads them at once (PostgreSQL 15: flushed when this transaction ends).
        await connection.execute(text("SELECT pg_stat_force_next_flush()"))


async def _analysed(store: Store, table: str) -> int:
    async with store.engine.connect() as connection:
        return (
            await connection.execute(
                text("SELECT analyze_count + autoanalyze_count FROM pg_stat_user_tables WHERE relname = :t"),
                {"t": table},
            )
        ).scalar_one()


async def _history_plan(store: Store, member_ids: list[int]) -> str:
    """The plan PostgreSQL picks for the roster's read of who met whom among these members."""
    sent: list[tuple[str, object]] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        sent.append((statement, parameters))

    event.listen(store.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with store.session() as session:
            met = await ledger.history(session, tenant=TENANT, member_ids=member_ids)
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", seen)
    assert met, "the members met before"
    ((statement, parameters),) = sent
    async with store.engine.connect() as connection:
        rows = (await connection.exec_driver_sql("EXPLAIN " + statement, parameters)).all()
    return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_tables_are_analysed_by_autovacuums_rule_and_the_history_read_then_uses_the_people(
    database_url: str,
) -> None:
    store = Store(database_url)
    await store.upgrade()
    try:
        await _fill(store, members=600, first_connection=0, connections=20_000)
        statistics = Statistics(store)
        before = await _analysed(store, "connection")

        analysed = await statistics.refresh(force=True)
        assert {"connection", "member", "tenant"} <= set(analysed)
        assert await _analysed(store, "connection") == before + 1
        # Nothing changed since: nothing is analysed again.
        assert await statistics.refresh(force=True) == []

        # 100 more links are under autovacuum's threshold for 20,000 rows (50 + 2,000); 2,100 more are over.
        await _fill(store, members=600, first_connection=20_000, connections=100)
        assert await statistics.refresh(force=True) == []
        await _fill(store, members=600, first_connection=20_100, connections=2_100)
        assert await statistics.refresh(force=True) == ["connection"]

        # With statistics, the 50 people of a room are found through an index on the people: not every
        # connection of the workspace through an index on the tenant (what a never-analysed table got).
        plan = await _history_plan(store, list(range(1, 51)))
        conditions = [line.strip() for line in plan.splitlines() if "Index Cond" in line]
        assert conditions and all("member_" in condition for condition in conditions), plan
        assert "Seq Scan" not in plan, plan
    finally:
        await store.close()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_the_leader_analyses_only_where_the_server_does_not_and_says_so_once(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(database_url)
    await store.upgrade()
    try:
        await _fill(store, members=100, first_connection=0, connections=1_000)
        async with store.engine.connect() as connection:
            autovacuum = (await connection.execute(text("SHOW autovacuum"))).scalar_one()
        alarm = SchedulerAlarm(Timers(store, VirtualClock(NOW)))
        alarm.start()
        try:
            assert alarm.scheduler.get_job("statistics") is not None  # the leader looks every few minutes
        finally:
            await alarm.stop()
            alarm.shutdown()
        before = await _analysed(store, "connection")
        with caplog.at_level(logging.INFO, logger="bot.store.statistics"):
            await alarm._statistics()  # what the leader runs every few minutes
            await alarm._statistics()
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        if autovacuum == "off":
            assert await _analysed(store, "connection") == before + 1
            assert len(warnings) == 1 and "autovacuum is off" in warnings[0]
        else:  # the server's own autovacuum does it: the leader adds nothing
            assert await _analysed(store, "connection") == before
            assert warnings == []
    finally:
        await store.close()


async def test_sqlite_is_left_to_plan_as_the_statements_were_shaped_for(tmp_path) -> None:  # noqa: ANN001
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'tsunagari.db'}")
    await store.upgrade()
    try:
        assert await Statistics(store).refresh() == []
        async with store.engine.connect() as connection:
            tables = (await connection.exec_driver_sql("SELECT name FROM sqlite_master")).scalars().all()
        assert "sqlite_stat1" not in tables
    finally:
        await store.close()
