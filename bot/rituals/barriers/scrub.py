"""What the storage keeps of a board once it is revealed or closed: no order of sharing, no old copies.

Rows sit in the file in the order they were written. SQLite fills each b-tree page from its end, so cell
offsets keep insertion order, in the card table and in its indexes alike, and a same-size update rewrites
a cell in place; PostgreSQL appends tuples, so `ctid` keeps it, and plain VACUUM moves nothing. So at the
reveal every card is deleted and written again, with a fresh random id, no author tag, in a fresh random
order (`rewrite_cards`): from then on where a row sits, and what it is called, comes from the shuffle.

Old copies: `PRAGMA secure_delete=ON` (bot/store/db.py) zeroes deleted and overwritten rows inside
SQLite's pages, but in WAL mode every earlier version of a page sits in the `-wal` file until a checkpoint
copies the newest back and the log is truncated (`checkpoint`). PostgreSQL keeps the deleted versions
(in sharing order, with their words and tags) as dead tuples, and even after VACUUM their bytes stay in
the pages' free space: `checkpoint` rewrites the board's tables into new files there. PostgreSQL's own
WAL, replicas and backups still hold history: see the README.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rituals.barriers import crypto
from bot.rituals.barriers.models import BarrierBoard, BarrierCard, BarrierVote
from bot.store.db import Store

log = logging.getLogger(__name__)

LOCK_WAIT = "200ms"  # how long the PostgreSQL rewrite may wait for its lock before it is tried again later
LOCK_NOT_AVAILABLE = "55P03"
REWRITE_LOCK = 0x7473756E61  # a PostgreSQL advisory lock key of its own ("tsuna")
# VACUUM VERBOSE's count of dead row versions it had to keep (PostgreSQL's English messages).
_KEPT = re.compile(r"(\d+) dead row versions? cannot be removed yet")
# The tables whose old row versions hold words, tags or a board's secret.
_VACUUMED = (BarrierCard.__tablename__, BarrierVote.__tablename__, BarrierBoard.__tablename__)


async def rewrite_cards(
    session: AsyncSession, cards: list[BarrierCard], numbers: Mapping[str, int]
) -> list[BarrierCard]:
    """Replace `cards` by copies with new random ids and no author, numbered by `numbers` (old id ->
    number), inserted in an order drawn afresh; votes follow their card. All in the caller's transaction.

    The old rows are deleted before any copy goes in, so SQLite empties their cells (zeroed) and fills
    the pages again from scratch in the new order, and PostgreSQL's new tuples land in that order.
    """
    if not cards:
        return []
    old_ids = [card.id for card in cards]
    fresh = {card_id: crypto.new_card_id() for card_id in old_ids}
    votes = (await session.exec(select(BarrierVote).where(col(BarrierVote.card_id).in_(old_ids)))).all()
    rows = [
        {
            "id": fresh[card.id],
            "tenant_id": card.tenant_id,
            "board_id": card.board_id,
            "category": card.category,
            "text": card.text,
            "author": None,
            "number": numbers.get(card.id, card.number),
            "hidden": card.hidden,
            "metoo": card.metoo,
        }
        for card in cards
    ]
    vote_rows = [
        {"card_id": fresh[vote.card_id], "tenant_id": vote.tenant_id, "voter": vote.voter} for vote in votes
    ]
    for stale in [*cards, *votes]:
        session.expunge(stale)
    await session.exec(delete(BarrierVote).where(col(BarrierVote.card_id).in_(old_ids)))
    await session.exec(delete(BarrierCard).where(col(BarrierCard.id).in_(old_ids)))
    connection = await session.connection()
    await connection.execute(insert(BarrierCard.__table__), crypto.shuffled(rows))
    if vote_rows:
        await connection.execute(insert(BarrierVote.__table__), crypto.shuffled(vote_rows))
    new_ids = list(fresh.values())
    loaded = await session.exec(select(BarrierCard).where(col(BarrierCard.id).in_(new_ids)))
    return list(loaded.all())


async def checkpoint(store: Store) -> bool:
    """Leave no old copy of a board's rows in the database's files; False if that must be tried later.

    SQLite: checkpoint and truncate the write-ahead log (False while a reader keeps it busy).
    PostgreSQL: plain VACUUM frees dead tuples but leaves their bytes in the page's free space, in the
    order they were written, so the board's tables are rewritten into new files with VACUUM FULL (the old
    files are deleted). That takes an exclusive lock on each table for the moment it runs (milliseconds for
    workshop-sized tables); rather than queue other events' commands behind a long transaction, it gives up
    after a short wait, and when a transaction still running kept old row versions alive it says so too
    (False either way: try again later).
    """
    if store.is_sqlite:
        async with store.engine.connect() as connection:
            row = (await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).first()
            await connection.commit()
        return row is None or row[0] == 0
    async with store.engine.connect() as connection:
        # VACUUM cannot run inside a transaction block.
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        driver = (await autocommit.get_raw_connection()).driver_connection
        notices: list = []

        def hear(_connection: object, message: object) -> None:
            notices.append(message)

        listening = hasattr(driver, "add_log_listener")  # asyncpg hands VACUUM VERBOSE's report to listeners
        if listening:
            driver.add_log_listener(hear)
        # One rewrite at a time across every process: boards revealed in the same minute would otherwise
        # queue their rewrites, and every barrier command behind them. The others try again a minute later.
        if not (await autocommit.exec_driver_sql(f"SELECT pg_try_advisory_lock({REWRITE_LOCK})")).scalar():
            if listening:
                driver.remove_log_listener(hear)
            return False
        await autocommit.exec_driver_sql(f"SET lock_timeout = '{LOCK_WAIT}'")
        try:
            for table in _VACUUMED:
                await autocommit.exec_driver_sql(f"VACUUM (FULL, VERBOSE) {table}")
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            log.info("barrier tables busy; the rewrite of their files is tried again later")
            return False
        finally:
            await autocommit.exec_driver_sql("RESET lock_timeout")
            await autocommit.exec_driver_sql(f"SELECT pg_advisory_unlock({REWRITE_LOCK})")
            if listening:
                driver.remove_log_listener(hear)
    # A row version that a transaction still running might read is copied into the new file too.
    kept = sum(int(found.group(1)) for message in notices if (found := _KEPT.search(message.detail or "")))
    if kept:
        log.info("%d old row versions were still in use; the rewrite is tried again later", kept)
        return False
    return True
