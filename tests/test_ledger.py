"""The connection ledger's batched `record_links` does what one `record_link` per pair would, on both
databases: new Links, one more meeting on an existing connection, a pair named twice or back to front,
and a new pair that another transaction records at the same moment."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot import ledger
from bot.store.db import Store
from bot.store.models import Connection, Member, Tenant
from tests.support import statements_sent

pytestmark = pytest.mark.db

TENANT = "console"
THEN = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
NOW = THEN + timedelta(days=3)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """A migrated database with one tenant and eight members, whose ids are returned by `people`."""
    store = Store(database_url)
    await store.upgrade()
    async with store.session() as session:
        session.add(Tenant(id=TENANT, platform="console", created_at=THEN))
        await session.flush()
        session.add_all(Member(tenant_id=TENANT, user_id=f"p{i}", created_at=THEN) for i in range(8))
        await session.commit()
    try:
        yield store
    finally:
        await store.close()


async def people(store: Store) -> list[int]:
    async with store.session() as session:
        return list((await session.exec(select(Member.id).order_by(col(Member.id)))).all())


async def rows(store: Store) -> dict[tuple[int, int], Connection]:
    async with store.session() as session:
        found = (await session.exec(select(Connection))).all()
        return {(row.member_a_id, row.member_b_id): row for row in found}


async def test_new_pairs_become_links_stored_low_id_first(store: Store) -> None:
    p = await people(store)
    async with store.session() as session:
        returned = await ledger.record_links(
            session,
            tenant=TENANT,
            pairs=[(p[1], p[0]), (p[2], p[3])],
            origin="pairs",
            now=NOW,
            origin_id=7,
        )
        await session.commit()
    assert list(returned) == [(p[0], p[1]), (p[2], p[3])]
    stored = await rows(store)
    assert set(stored) == {(p[0], p[1]), (p[2], p[3])}
    for row in stored.values():
        assert (row.stage, row.origin, row.origin_id, row.event_id, row.times_met) == (
            "link",
            "pairs",
            7,
            None,
            1,
        )
        assert row.created_at == row.last_met_at == row.stage_changed_at == NOW
    assert returned[p[0], p[1]].id == stored[p[0], p[1]].id


async def test_an_existing_pair_meets_once_more_and_keeps_its_stage_and_origin(store: Store) -> None:
    p = await people(store)
    async with store.session() as session:
        earlier = await ledger.record_link(
            session, tenant=TENANT, a=p[0], b=p[1], origin="oneonone", now=THEN
        )
        ledger.set_stage(earlier, "engagement", THEN)
        await session.commit()
    async with store.session() as session:
        await ledger.record_links(
            session, tenant=TENANT, pairs=[(p[1], p[0]), (p[4], p[5])], origin="pairs", now=NOW, origin_id=9
        )
        await session.commit()
    stored = await rows(store)
    met_again = stored[p[0], p[1]]
    assert (met_again.stage, met_again.origin, met_again.origin_id, met_again.times_met) == (
        "engagement",
        "oneonone",
        None,
        2,
    )
    assert (met_again.created_at, met_again.stage_changed_at, met_again.last_met_at) == (THEN, THEN, NOW)
    assert stored[p[4], p[5]].times_met == 1
    assert len(stored) == 2


async def test_a_pair_named_twice_counts_twice_whichever_way_round(store: Store) -> None:
    p = await people(store)
    async with store.session() as session:
        await ledger.record_link(session, tenant=TENANT, a=p[2], b=p[3], origin="pairs", now=THEN)
        await session.commit()
    async with store.session() as session:
        returned = await ledger.record_links(
            session,
            tenant=TENANT,
            pairs=[(p[0], p[1]), (p[1], p[0]), (p[3], p[2]), (p[2], p[3]), (p[3], p[2])],
            origin="manual",
            now=NOW,
        )
        # What it returns shows the meetings counted in SQL, as the transaction sees them.
        assert [row.times_met for row in returned.values()] == [2, 4]
        await session.commit()
    assert list(returned) == [(p[0], p[1]), (p[2], p[3])]
    stored = await rows(store)
    assert len(stored) == 2
    assert stored[p[0], p[1]].times_met == 2  # new: two meetings, not one row inserted twice
    assert stored[p[2], p[3]].times_met == 4  # one before, three now


async def test_the_batch_leaves_the_same_rows_as_one_call_a_pair(store: Store) -> None:
    p = await people(store)
    async with store.session() as session:
        await ledger.record_link(session, tenant=TENANT, a=p[0], b=p[1], origin="pairs", now=THEN)
        await session.commit()
    batch = [(p[1], p[0]), (p[2], p[3]), (p[5], p[4]), (p[4], p[5]), (p[6], p[7])]
    async with store.session() as session:
        for a, b in batch:
            await ledger.record_link(session, tenant=TENANT, a=a, b=b, origin="pairs", now=NOW, event_id=None)
        await session.commit()
    one_by_one = {pair: _fields(row) for pair, row in (await rows(store)).items()}
    async with store.session() as session:
        for row in (await session.exec(select(Connection))).all():
            await session.delete(row)
        await ledger.record_link(session, tenant=TENANT, a=p[0], b=p[1], origin="pairs", now=THEN)
        await session.commit()
    async with store.session() as session:
        await ledger.record_links(session, tenant=TENANT, pairs=batch, origin="pairs", now=NOW)
        await session.commit()
    assert {pair: _fields(row) for pair, row in (await rows(store)).items()} == one_by_one


def _fields(row: Connection) -> dict:
    return row.model_dump(exclude={"id"})


async def test_nothing_to_record_and_nobody_meets_themselves(store: Store) -> None:
    p = await people(store)
    async with store.session() as session:
        assert await ledger.record_links(session, tenant=TENANT, pairs=[], origin="pairs", now=NOW) == {}
        with pytest.raises(ValueError):
            await ledger.record_links(
                session, tenant=TENANT, pairs=[(p[0], p[1]), (p[2], p[2])], origin="pairs", now=NOW
            )
    assert await rows(store) == {}


async def race(store: Store, first: list[tuple[int, int]], second: list[tuple[int, int]]) -> None:
    """`first` is recorded in a transaction left open while `second` is recorded in another, which must
    wait for it (on PostgreSQL for the row, on SQLite for the write lock); then the first commits."""
    async with store.session() as session:
        await ledger.record_links(session, tenant=TENANT, pairs=first, origin="pairs", now=THEN)

        async def other() -> None:
            async with store.session() as other_session:
                await ledger.record_links(
                    other_session, tenant=TENANT, pairs=second, origin="manual", now=NOW
                )
                await other_session.commit()

        racing = asyncio.create_task(other())
        await asyncio.sleep(0.5)
        assert not racing.done(), "the second transaction did not wait for the first"
        await session.commit()
    await racing


async def test_a_new_pair_recorded_by_two_transactions_at_once_is_one_row_met_twice(store: Store) -> None:
    p = await people(store)
    # The second cannot see the first's uncommitted row, so it tries to insert the pair as well.
    await race(store, [(p[0], p[1])], [(p[1], p[0]), (p[2], p[3])])
    stored = await rows(store)
    assert len(stored) == 2
    both = stored[p[0], p[1]]
    assert (both.times_met, both.origin, both.created_at, both.last_met_at) == (2, "pairs", THEN, NOW)
    assert stored[p[2], p[3]].times_met == 1


async def test_an_existing_pair_met_by_two_transactions_at_once_counts_both_meetings(store: Store) -> None:
    """Each transaction adds its meetings in SQL (times_met = times_met + n): neither overwrites the other."""
    p = await people(store)
    async with store.session() as session:
        await ledger.record_links(session, tenant=TENANT, pairs=[(p[0], p[1])], origin="pairs", now=THEN)
        await session.commit()
    await race(store, [(p[0], p[1])], [(p[1], p[0]), (p[0], p[1])])
    assert (await rows(store))[p[0], p[1]].times_met == 4  # 1, then 1 more and 2 more


async def test_a_big_rooms_history_and_links_are_read_with_parameters_that_do_not_grow_with_it(
    store: Store,
) -> None:
    """The room's history and its pairs' rows come back whole; on PostgreSQL each read sends its ids as
    arrays, so the statement has the same few parameters for 8 people or 2,000 (an IN list's binds were
    rendered one by one on the event loop at every execution: ~40 ms for a room of 2,000)."""
    p = await people(store)
    pairs = [(p[0], p[1]), (p[2], p[3]), (p[4], p[5]), (p[6], p[7])]
    async with store.session() as session:
        await ledger.record_links(session, tenant=TENANT, pairs=pairs, origin="pairs", now=NOW)
        await session.commit()
    with statements_sent(store) as statements:
        async with store.session() as session:
            met = await ledger.history(session, tenant=TENANT, member_ids=p)
            again = await ledger.record_links(session, tenant=TENANT, pairs=pairs, origin="pairs", now=NOW)
            await session.commit()
    sent = [parameters for sql, parameters in statements if "FROM connection" in sql]
    assert set(met) == set(pairs) and all(times == 1 for times, _ in met.values())
    assert {pair: row.times_met for pair, row in again.items()} == dict.fromkeys(pairs, 2)
    if store.engine.dialect.name == "postgresql":
        history_params, pairs_params = sent[0], sent[1]
        assert len(history_params) == 2, history_params  # the tenant and one array of the 8 ids
        assert len(pairs_params) == 3, pairs_params  # the tenant and the pairs' two sides as arrays
