"""The platforms' delivery ids, remembered long enough to recognise any retry and no more precisely than needed.

What is kept is a keyed digest of the id, and the hour it came in: a retry of the same request finds its
row and does nothing, but no row dates a request more finely than its hour, and no id can be read back
(a Discord interaction id is a snowflake carrying its millisecond; a Slack `action_ts` is a time too).
The key comes from the platform secrets in the environment, which every process of one deployment shares
and a copy of the database does not hold; with none configured (the console) it is random per process.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta

from sqlmodel import col, delete

from bot.config import Settings
from bot.store.db import Store
from bot.store.models import ProcessedRequest

log = logging.getLogger(__name__)

# Slack retries an event within minutes, and a button's retry comes at once: a day is far past any of them.
REMEMBER = timedelta(days=1)
# How finely a row says when its request came.
GRAIN = timedelta(hours=1)
_LABEL = b"tsunagari processed_request v1\0"


def digest_key(settings: Settings) -> bytes:
    """The deployment's key for request digests: from its platform secrets, or random without any."""
    material = [
        secret.get_secret_value()
        for secret in (
            settings.slack_signing_secret,
            settings.slack_client_secret,
            settings.slack_bot_token,
            settings.slack_app_token,
            settings.discord_token,
        )
        if secret is not None
    ]
    if not material:
        return secrets.token_bytes(32)
    return hashlib.sha256(_LABEL + "\0".join(material).encode()).digest()


def digest(key: bytes, tenant: str, request_id: str) -> str:
    return hmac.new(key, f"{tenant}\0{request_id}".encode(), hashlib.sha256).hexdigest()


def coarse(when: datetime) -> datetime:
    """The start of `when`'s hour: all a row needs to expire on time."""
    return when.replace(minute=0, second=0, microsecond=0)


async def forget_before(store: Store, when: datetime) -> int:
    """Delete delivery ids whose hour ended before `when` (so each is kept at least REMEMBER)."""
    async with store.session() as session:
        result = await session.exec(
            delete(ProcessedRequest).where(col(ProcessedRequest.seen_at) < when - GRAIN)
        )
        await session.commit()
    if result.rowcount:
        log.info("forgot %d delivery ids", result.rowcount)
    return result.rowcount or 0
