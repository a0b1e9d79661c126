"""After a board closes: make sure no old copy of its secret or its tags is left in SQLite's files.

`PRAGMA secure_delete=ON` (bot/store/db.py) zeroes overwritten and deleted rows inside the database
file's pages, but in WAL mode every earlier version of a page also sits in the `-wal` file until a
checkpoint copies the newest version back and the log is truncated. PostgreSQL keeps dead row versions
until VACUUM and its own WAL and backups; an operator must treat those as sensitive (see the ritual's
notes): nothing an ordinary query returns links a card to anyone once the board is closed.
"""

from __future__ import annotations

from bot.store.db import Store


async def checkpoint(store: Store) -> bool:
    """Checkpoint and truncate SQLite's write-ahead log; False if a reader kept it busy (try later)."""
    if not store.is_sqlite:
        return True
    async with store.engine.connect() as connection:
        row = (await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).first()
        await connection.commit()
    return row is None or row[0] == 0
