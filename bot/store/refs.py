"""Message refs: adapters remember where a named message was posted, so `Update` works after a restart."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import MessageRef


async def remember(session: AsyncSession, *, tenant: str, ref: str, channel: str, message_id: str) -> None:
    row = await session.get(MessageRef, (tenant, ref))
    if row is None:
        session.add(MessageRef(tenant_id=tenant, ref=ref, channel=channel, message_id=message_id))
    else:
        row.channel, row.message_id = channel, message_id
    await session.commit()


async def find(session: AsyncSession, *, tenant: str, ref: str) -> MessageRef | None:
    result = await session.exec(
        select(MessageRef).where(MessageRef.tenant_id == tenant, MessageRef.ref == ref)
    )
    return result.first()
