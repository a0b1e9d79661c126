"""The query planner's statistics, kept fresh where the PostgreSQL server keeps none.

PostgreSQL plans each statement from statistics that autovacuum gathers as rows arrive. With autovacuum
off (a server setting some installations change) a table is never analysed: the planner guesses a few
rows for every table and walks an index on the tenant alone, so every read of a pair's connection reads
the whole workspace's. Measured on 1,000 past events (bench/load.py --history): the roster's read of who
met whom took 3.2 ms instead of 0.6, and each pair look-up 1.5 ms instead of 0.2.

So the leader checks, every few minutes, whether the server gathers statistics; where it does not, it
analyses Tsunagari's own tables that changed enough since their last analysis, by autovacuum's own rule
(50 rows plus a tenth of the table), and says once in the log that autovacuum is off (which also means no
VACUUM: dead rows accumulate until an operator runs it). SQLite plans without statistics unless asked to
gather them, and the statements here are shaped for that (see docs/architecture.md): nothing is done there.

ANALYZE reads a sample of each table and takes a lock that blocks neither reads nor writes.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlmodel import SQLModel

from bot.store.db import Store

log = logging.getLogger(__name__)

ANALYZE_THRESHOLD = 50
ANALYZE_SCALE_FACTOR = 0.1
"""autovacuum_analyze_threshold and autovacuum_analyze_scale_factor's defaults: a table is analysed once
more rows than 50 plus a tenth of it changed since its last analysis."""

_CHANGED = text(
    """
    SELECT s.relname
    FROM pg_stat_user_tables AS s JOIN pg_class AS c ON c.oid = s.relid
    WHERE s.schemaname = current_schema()
      AND s.relname = ANY(:tables)
      AND (
        (s.last_analyze IS NULL AND s.last_autoanalyze IS NULL AND s.n_mod_since_analyze > 0)
        OR s.n_mod_since_analyze > :threshold + :scale * GREATEST(c.reltuples, 0)
      )
    ORDER BY s.relname
    """
)


class Statistics:
    """Owned by the leader's alarm: `refresh` every few minutes."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._warned = False

    async def _autovacuum_on(self) -> bool:
        async with self.store.engine.connect() as connection:
            return (await connection.execute(text("SELECT current_setting('autovacuum')"))).scalar() == "on"

    async def refresh(self, *, force: bool = False) -> list[str]:
        """On PostgreSQL, analyse the tables that changed enough since their last analysis, where the server
        does not (`force`: whatever the server does). Returns their names, in order; SQLite is left alone."""
        if self.store.is_sqlite:
            return []
        if not force:
            if await self._autovacuum_on():
                return []
            if not self._warned:
                self._warned = True
                log.warning(
                    "PostgreSQL's autovacuum is off on this server: the leader analyses Tsunagari's tables "
                    "itself, but nothing vacuums them; turn autovacuum on, or run VACUUM regularly"
                )
        tables = sorted(SQLModel.metadata.tables)
        async with self.store.engine.connect() as connection:
            changed = list(
                (
                    await connection.execute(
                        _CHANGED,
                        {"tables": tables, "threshold": ANALYZE_THRESHOLD, "scale": ANALYZE_SCALE_FACTOR},
                    )
                ).scalars()
            )
        if changed:
            # Outside a transaction block, as autovacuum's own: each table's statistics land as it is done.
            async with self.store.engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                names = ", ".join(f'"{name}"' for name in changed)  # our own table names, not input
                await autocommit.execute(text(f"ANALYZE {names}"))
            log.info("analysed %d tables whose rows changed: %s", len(changed), ", ".join(changed))
        return changed
