"""Discord voice mutes: the table of whom the bot server-muted for a round, so it unmutes exactly those.

Only the Discord adapter mutes anyone, so the table lives with it (its migration stays in
bot/store/migrations, `0005_voice_mutes`, and bot/store/tables.py registers it with the schema). A round is named by its `round_ref` ("turns:42", the step run's id); `stale` finds the rows of rounds that
are no longer live (ended or stopped while the bot was down), which an adapter unmutes at start-up.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel, col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.steps.models import LIVE, StepRun
from bot.store.models import UTCDateTime


class VoiceMute(SQLModel, table=True):
    """Someone the bot server-muted for a round (`round_ref`, "turns:42"), so it unmutes exactly them.

    A person muted by anyone else has no row here and is never unmuted by the bot.
    """

    __tablename__ = "voice_mute"
    tenant_id: str = Field(primary_key=True, max_length=120)
    round_ref: str = Field(primary_key=True, max_length=120)
    user_id: str = Field(primary_key=True, max_length=120)
    guild: str = Field(max_length=120)
    channel: str = Field(max_length=120)  # the voice room
    muted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


async def record(
    session: AsyncSession,
    *,
    tenant: str,
    round_ref: str,
    guild: str,
    channel: str,
    user: str,
    at: datetime,
) -> None:
    if await session.get(VoiceMute, (tenant, round_ref, user)) is None:
        session.add(
            VoiceMute(
                tenant_id=tenant, round_ref=round_ref, user_id=user, guild=guild, channel=channel, muted_at=at
            )
        )
    await session.commit()


async def of_round(session: AsyncSession, *, tenant: str, round_ref: str) -> list[VoiceMute]:
    rows = await session.exec(
        select(VoiceMute).where(VoiceMute.tenant_id == tenant, VoiceMute.round_ref == round_ref)
    )
    return list(rows.all())


async def of_user(session: AsyncSession, *, tenant: str, user: str) -> list[VoiceMute]:
    rows = await session.exec(
        select(VoiceMute).where(VoiceMute.tenant_id == tenant, VoiceMute.user_id == user)
    )
    return list(rows.all())


async def forget(session: AsyncSession, *, tenant: str, round_ref: str, user: str) -> None:
    await session.exec(
        delete(VoiceMute).where(
            col(VoiceMute.tenant_id) == tenant,
            col(VoiceMute.round_ref) == round_ref,
            col(VoiceMute.user_id) == user,
        )
    )
    await session.commit()


async def forget_user(session: AsyncSession, *, tenant: str, user: str) -> None:
    """forget-me: every row naming them, whichever round."""
    await session.exec(
        delete(VoiceMute).where(col(VoiceMute.tenant_id) == tenant, col(VoiceMute.user_id) == user)
    )
    await session.commit()


def run_id(round_ref: str) -> int | None:
    """The step run a round ref names ("turns:42" -> 42), or None for a ref of another shape."""
    _, _, tail = round_ref.rpartition(":")
    return int(tail) if tail.isdigit() else None


async def live(session: AsyncSession, round_ref: str) -> bool:
    ident = run_id(round_ref)
    run = await session.get(StepRun, ident) if ident is not None else None
    return run is not None and run.status in LIVE


async def stale(session: AsyncSession, *, tenant_prefix: str) -> list[VoiceMute]:
    """Rows (of tenants starting with `tenant_prefix`) whose round is over: those people are unmuted."""
    rows = await session.exec(select(VoiceMute).where(col(VoiceMute.tenant_id).startswith(tenant_prefix)))
    found = []
    for row in rows.all():
        if not await live(session, row.round_ref):
            found.append(row)
    return found
