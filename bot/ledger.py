"""The connection ledger: who has met whom, and how far along Link → Connection → Engagement → Relationship."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import Integer, bindparam, literal_column, tuple_, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import col, delete, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.db import SQLITE_OR_CHUNK, insert_ignore, sqlite_keys_match
from bot.store.history import ConnectionStageChange
from bot.store.models import Connection

STAGES = ("link", "connection", "engagement", "relationship")


def ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


async def record_link(
    session: AsyncSession,
    *,
    tenant: str,
    a: int,
    b: int,
    origin: str,
    now: datetime,
    origin_id: int | None = None,
    event_id: int | None = None,
) -> Connection:
    """Two members met (a one-on-one): a new Link, or one more meeting on an existing connection."""
    if a == b:
        raise ValueError("a member cannot meet themselves")
    met = await record_links(
        session, tenant=tenant, pairs=[(a, b)], origin=origin, now=now, origin_id=origin_id, event_id=event_id
    )
    return met[ordered(a, b)]


async def record_links(
    session: AsyncSession,
    *,
    tenant: str,
    pairs: Iterable[tuple[int, int]],
    origin: str,
    now: datetime,
    origin_id: int | None = None,
    event_id: int | None = None,
) -> dict[tuple[int, int], Connection]:
    """`record_link` for many pairs at once (a pair round, everyone at a table), in a few statements
    rather than two or three per pair: one SELECT of the pairs already met, one INSERT of the new ones,
    one more SELECT to load those. A pair named twice counts as two meetings, as two calls would.

    The INSERT skips a pair another transaction has just recorded (the unique constraint on the pair);
    that pair is then read back and counted as one more meeting, as if it had been there all along.
    Returns every pair's row, keyed by the ordered pair of member ids."""
    counts: Counter[tuple[int, int]] = Counter()
    for a, b in pairs:
        if a == b:
            raise ValueError("a member cannot meet themselves")
        counts[ordered(a, b)] += 1
    if not counts:
        return {}
    rows = await _pairs(session, tenant, list(counts))
    new = [pair for pair in counts if pair not in rows]
    inserted: set[tuple[int, int]] = set()
    if new:
        inserted = await _insert_new(
            session,
            [
                {
                    "tenant_id": tenant,
                    "member_a_id": low,
                    "member_b_id": high,
                    "stage": "link",
                    "origin": origin,
                    "origin_id": origin_id,
                    "event_id": event_id,
                    "times_met": counts[low, high],
                    "created_at": now,
                    "last_met_at": now,
                    "stage_changed_at": now,
                }
                for low, high in new
            ],
        )
        rows.update(await _pairs(session, tenant, new))
    # Met before, or recorded by someone else a moment ago: one more meeting, counted in the database
    # (times_met = times_met + n), so two transactions meeting the same pair at once both count.
    again = {pair: count for pair, count in counts.items() if pair not in inserted}
    if again:
        table = Connection.__table__
        connection = await session.connection()
        await connection.execute(
            update(table)
            .where(table.c.id == bindparam("row"))
            .values(times_met=table.c.times_met + bindparam("meetings"), last_met_at=bindparam("met")),
            [{"row": rows[pair].id, "meetings": n, "met": now} for pair, n in again.items()],
        )
        rows.update(await _pairs(session, tenant, list(again), reload=True))
    return {pair: rows[pair] for pair in counts}


# A statement binds 2 parameters a pair to look up and 11 a row to insert: chunks of this many pairs stay
# far below SQLite's 32766 and PostgreSQL's 32767 parameters however many pairs there are.
_CHUNK = 1000

_PAIRS_PG = select(Connection).where(
    Connection.tenant_id == bindparam("tenant"),
    tuple_(col(Connection.member_a_id), col(Connection.member_b_id)).in_(
        select(
            func.unnest(bindparam("a", type_=ARRAY(Integer))),
            func.unnest(bindparam("b", type_=ARRAY(Integer))),
        )
    ),
)
"""PostgreSQL: the pairs as two array parameters, unnested. As `(a, b) IN (…)` each pair's two binds were
rendered (with their casts) on the event loop at every execution: 2,000 for a room of 2,000's links."""


async def _pairs(
    session: AsyncSession, tenant: str, pairs: list[tuple[int, int]], *, reload: bool = False
) -> dict[tuple[int, int], Connection]:
    """These ordered pairs' rows, where they exist: one SELECT (per thousand pairs). `reload` refreshes
    rows the session already holds (after an UPDATE made in SQL)."""
    found: dict[tuple[int, int], Connection] = {}
    # PostgreSQL probes the pair index once per pair of `(a, b) IN (SELECT unnest(…), unnest(…))`. SQLite
    # probes it once per term of an OR that names the tenant in every term (sqlite_keys_match); with the
    # tenant outside the OR it read every connection of the workspace through a tenant index instead.
    dialect = session.bind.dialect
    sqlite = dialect.name == "sqlite"
    chunk = SQLITE_OR_CHUNK if sqlite else _CHUNK
    for start in range(0, len(pairs), chunk):
        part = pairs[start : start + chunk]
        if sqlite:
            keys = [(tenant, a, b) for a, b in part]
            wanted = sqlite_keys_match(dialect, ("tenant_id", "member_a_id", "member_b_id"), keys)
            statement, params = select(Connection).where(wanted), {}
        else:
            statement = _PAIRS_PG
            params = {"tenant": tenant, "a": [a for a, _ in part], "b": [b for _, b in part]}
        rows = await session.exec(statement, params=params, execution_options={"populate_existing": reload})
        found.update({(row.member_a_id, row.member_b_id): row for row in rows.all()})
    return found


async def _insert_new(session: AsyncSession, values: list[dict]) -> set[tuple[int, int]]:
    """INSERT … ON CONFLICT DO NOTHING of many rows (one statement per thousand); returns the pairs that
    went in, not those a concurrent transaction inserted first."""
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    inserted: set[tuple[int, int]] = set()
    if not session.bind.dialect.insert_returning:
        # SQLite before 3.35 has no INSERT … RETURNING: a row at a time, each saying whether it went in.
        for row in values:
            if await insert_ignore(session, Connection, row, ["tenant_id", "member_a_id", "member_b_id"]):
                inserted.add((row["member_a_id"], row["member_b_id"]))
        return inserted
    # One statement with the rows as executemany parameters: SQLAlchemy batches them into few INSERTs
    # from one cached compilation. A multi-row `.values([...])` is compiled afresh each time, bind by
    # bind, on the event loop: 0.7 s of CPU for the 1,000 pairs of a room of 2,000.
    statement = (
        insert(Connection)
        .on_conflict_do_nothing(index_elements=["tenant_id", "member_a_id", "member_b_id"])
        .returning(col(Connection.member_a_id), col(Connection.member_b_id))
    )
    connection = await session.connection()
    for start in range(0, len(values), _CHUNK):
        inserted.update(
            (a, b) for a, b in (await connection.execute(statement, values[start : start + _CHUNK])).all()
        )
    return inserted


async def history(
    session: AsyncSession, *, tenant: str, member_ids: list[int]
) -> dict[tuple[int, int], tuple[int, datetime]]:
    """Every recorded meeting among these members, keyed by the ordered pair of member ids: how many
    times they met and when last. Plain rows, not ORM objects: a room with a long history reads
    thousands, and building a Connection for each was most of the read's CPU on the event loop."""
    if not member_ids:
        return {}
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        rows = await connection.execute(_HISTORY_PG, {"tenant": tenant, "ids": list(member_ids)})
    else:
        # SQLite: the pair index walked on (tenant, a) for each member, b checked against the list: with b in
        # the index's search too it probed every (a, b) of the room, 2,500 probes for 50 people (1.0 ms
        # where this takes 0.5 at 1,000 earlier events; `+ 0` keeps b out of the search).
        rows = await connection.execute(
            select(*_HISTORY_COLUMNS).where(
                Connection.tenant_id == tenant,
                col(Connection.member_a_id).in_(member_ids),
                (col(Connection.member_b_id) + literal_column("0")).in_(member_ids),
            )
        )
    return {(a, b): (times, last) for a, b, times, last in rows.all()}


_HISTORY_COLUMNS = (
    Connection.member_a_id,
    Connection.member_b_id,
    Connection.times_met,
    Connection.last_met_at,
)

_IDS = bindparam("ids", type_=ARRAY(Integer))
_HISTORY_PG = select(*_HISTORY_COLUMNS).where(
    Connection.tenant_id == bindparam("tenant"),
    col(Connection.member_a_id) == func.any(_IDS),
    col(Connection.member_b_id) == func.any(_IDS),
)
"""On PostgreSQL the members go as one array parameter. As an expanding IN, each id was a bind rendered
(with its cast) on the event loop at every execution: 4,000 of them for a room of 2,000, ~40 ms."""


async def forget(session: AsyncSession, *, tenant: str, member_id: int) -> None:
    rows = (
        await session.exec(
            select(Connection).where(
                Connection.tenant_id == tenant,
                or_(Connection.member_a_id == member_id, Connection.member_b_id == member_id),
            )
        )
    ).all()
    if rows:
        # A forgotten person's connections go with their history: a report then counts them no more.
        await session.exec(
            delete(ConnectionStageChange).where(
                col(ConnectionStageChange.connection_id).in_([row.id for row in rows])
            )
        )
    for row in rows:
        await session.delete(row)


async def between(session: AsyncSession, *, tenant: str, a: int, b: int) -> Connection | None:
    low, high = ordered(a, b)
    return (
        await session.exec(
            select(Connection).where(
                Connection.tenant_id == tenant, Connection.member_a_id == low, Connection.member_b_id == high
            )
        )
    ).first()


async def of_member(session: AsyncSession, *, tenant: str, member_id: int) -> list[Connection]:
    """One member's connections, the newest stage change first."""
    rows = await session.exec(
        select(Connection)
        .where(
            Connection.tenant_id == tenant,
            or_(Connection.member_a_id == member_id, Connection.member_b_id == member_id),
        )
        .order_by(col(Connection.stage_changed_at).desc(), col(Connection.id))
    )
    return list(rows.all())


def set_stage(row: Connection, stage: str, now: datetime) -> bool:
    """Move a connection to `stage` (any direction: people drift apart too); False if it was there already."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    if row.stage == stage:
        return False
    row.stage, row.stage_changed_at = stage, now
    return True


async def move_stage(session: AsyncSession, row: Connection, stage: str, now: datetime) -> bool:
    """`set_stage`, and a line in the stage history (the UTC day only) when it moved, so a report can
    tell where the connection stood at day 1, week 1 and month 1; False if it was there already."""
    if not set_stage(row, stage, now):
        return False
    session.add(
        ConnectionStageChange(
            tenant_id=row.tenant_id,
            connection_id=row.id,
            event_id=row.event_id,
            stage=stage,
            day=now.astimezone(UTC).date(),
        )
    )
    return True


async def stages_on(session: AsyncSession, connections: list[Connection], day: date) -> dict[int, str]:
    """Where each of these connections stood at the end of `day` (UTC): its last move on or before that
    day, else Link (a connection is a Link from the day it is made). Keyed by connection id."""
    stages = {row.id: "link" for row in connections}
    ids = list(stages)
    for start in range(0, len(ids), _CHUNK):
        moves = await session.exec(
            select(ConnectionStageChange.connection_id, ConnectionStageChange.stage)
            .where(
                col(ConnectionStageChange.connection_id).in_(ids[start : start + _CHUNK]),
                col(ConnectionStageChange.day) <= day,
            )
            .order_by(col(ConnectionStageChange.day), col(ConnectionStageChange.id))
        )
        for connection_id, stage in moves.all():
            stages[connection_id] = stage  # in order: the last move of the day wins
    return stages


async def stage_counts(session: AsyncSession, *, tenant: str, event_id: int | None = None) -> dict[str, int]:
    """How many connections are at each stage (those begun at one event, or all): counts, never names."""
    query = select(Connection.stage, func.count()).where(Connection.tenant_id == tenant)
    if event_id is not None:
        query = query.where(Connection.event_id == event_id)
    found = dict((await session.exec(query.group_by(col(Connection.stage)))).all())
    return {stage: found.get(stage, 0) for stage in STAGES}
