"""The connection ledger: who has met whom, and how far along Link → Connection → Engagement → Relationship."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

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
    """Two members met (a pair, a one-on-one): a new Link, or one more meeting on an existing connection."""
    if a == b:
        raise ValueError("a member cannot meet themselves")
    low, high = ordered(a, b)
    row = (
        await session.exec(
            select(Connection).where(
                Connection.tenant_id == tenant, Connection.member_a_id == low, Connection.member_b_id == high
            )
        )
    ).first()
    if row is None:
        row = Connection(
            tenant_id=tenant,
            member_a_id=low,
            member_b_id=high,
            stage="link",
            origin=origin,
            origin_id=origin_id,
            event_id=event_id,
            times_met=1,
            created_at=now,
            last_met_at=now,
            stage_changed_at=now,
        )
        session.add(row)
    else:
        row.times_met += 1
        row.last_met_at = now
    await session.flush()
    return row


async def history(
    session: AsyncSession, *, tenant: str, member_ids: list[int]
) -> dict[tuple[int, int], Connection]:
    """Every recorded meeting among these members, keyed by the ordered pair of member ids."""
    if not member_ids:
        return {}
    rows = await session.exec(
        select(Connection).where(
            Connection.tenant_id == tenant,
            col(Connection.member_a_id).in_(member_ids),
            col(Connection.member_b_id).in_(member_ids),
        )
    )
    return {(row.member_a_id, row.member_b_id): row for row in rows.all()}


async def forget(session: AsyncSession, *, tenant: str, member_id: int) -> None:
    rows = await session.exec(
        select(Connection).where(
            Connection.tenant_id == tenant,
            or_(Connection.member_a_id == member_id, Connection.member_b_id == member_id),
        )
    )
    for row in rows.all():
        await session.delete(row)
