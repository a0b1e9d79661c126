"""How long the platform's delivery ids are remembered: long enough to recognise any retry, no longer."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import col, delete

from bot.store.db import Store
from bot.store.models import ProcessedRequest

log = logging.getLogger(__name__)

# Slack retries an event within minutes, and a button's retry comes at once: a day is far past any of them.
REMEMBER = timedelta(days=1)


async def forget_before(store: Store, when: datetime) -> int:
    """Delete delivery ids seen before `when`; returns how many went."""
    async with store.session() as session:
        result = await session.exec(delete(ProcessedRequest).where(col(ProcessedRequest.seen_at) < when))
        await session.commit()
    if result.rowcount:
        log.info("forgot %d delivery ids older than %s", result.rowcount, when.isoformat(timespec="seconds"))
    return result.rowcount or 0
