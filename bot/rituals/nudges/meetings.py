"""Who met whom at an event, read from the connection ledger (pairs and one-on-ones record the links)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Integer, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import and_, col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import Connection, Event, Member, Participant

MAX_PEOPLE = 5  # a nudge names at most this many people: enough to act on, few enough to read


def _made_at(event: Event):  # noqa: ANN202 - a SQL condition
    """A connection that started at this event, or an older one renewed while it ran."""
    window = [col(Connection.last_met_at) >= event.created_at]
    if event.ended_at is not None:
        window.append(col(Connection.last_met_at) <= event.ended_at)
    return or_(Connection.event_id == event.id, and_(*window))


async def connections_at(
    session: AsyncSession, event: Event, members: set[int] | None = None
) -> list[Connection]:
    """The links made at `event` (only those touching `members`, when given).

    Only people who joined the event are nudged about it, or named to each other in its name: a link
    recorded with someone who never joined (an old `connections add`, a one-on-one started in the event's
    channel) never becomes a DM quoting the event. A link renewed during the event counts too, when both
    were in it. The database keeps to the event's people: a workspace running many events at once renews
    thousands of links in one window, and loading them all to keep fifty cost every event's end a stall
    that grew with the number of events beside it."""
    a, b = col(Connection.member_a_id), col(Connection.member_b_id)
    took_part = select(Participant.member_id).where(Participant.event_id == event.id)
    if session.bind.dialect.name == "postgresql":
        # The event's people first, then their links as `= ANY(array)` filters. As `IN (SELECT …)` the
        # planner joined the two, and with statistics taken before the evening's links existed (the usual
        # case: links are made all evening, ANALYZE runs when it runs) it estimated one link in the window
        # and rescanned the event's participants once per link: 120-260 ms an `event end` with 100 events
        # running, 6,000 links in their window. Arrays leave it no join to misjudge: one read of the window.
        ids = list((await session.exec(took_part)).all())
        if not ids:
            return []
        people = bindparam("people", ids, type_=ARRAY(Integer))
        among = [a == any_(people), b == any_(people)]
        if members is not None:
            mine = bindparam("mine", sorted(members), type_=ARRAY(Integer))
            among.append(or_(a == any_(mine), b == any_(mine)))
    else:
        # SQLite reads the subquery once into a temporary index and probes it per link.
        among = [a.in_(took_part), b.in_(took_part)]
        if members is not None:
            among.append(or_(a.in_(sorted(members)), b.in_(sorted(members))))
    query = select(Connection).where(Connection.tenant_id == event.tenant_id, _made_at(event), *among)
    return list((await session.exec(query.order_by(col(Connection.created_at), col(Connection.id)))).all())


def by_member(connections: list[Connection]) -> dict[int, list[tuple[Connection, int]]]:
    """member id -> [(connection, the other member's id)], in the order the links were made."""
    found: dict[int, list[tuple[Connection, int]]] = defaultdict(list)
    for row in connections:
        found[row.member_a_id].append((row, row.member_b_id))
        found[row.member_b_id].append((row, row.member_a_id))
    return found


async def members_by_id(session: AsyncSession, ids: set[int]) -> dict[int, Member]:
    if not ids:
        return {}
    rows = await session.exec(select(Member).where(col(Member.id).in_(sorted(ids))))
    return {row.id: row for row in rows.all()}
