"""`tsunagari db backup FILE` and `tsunagari health`: a consistent copy of a live database, and a check a
supervisor can call.

SQLite is copied with its online backup API (the bot may keep running: the copy is one consistent
moment, write-ahead log included). PostgreSQL is backed up with its own tool; the command to run is
printed. A barrier board that is open or revealed keeps a secret (from which each card's author tag is
computed) until it closes: a copy taken meanwhile holds it, so the command names those boards' channels.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.store.db import Store


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (`sqlite+aiosqlite:///./tsunagari.db`), or None for another database."""
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[1] if ":///" in url else ""
    return Path(path.split("?", 1)[0]) if path and path != ":memory:" else None


def backup_sqlite(source: Path, target: Path) -> None:
    """Copy `source` to `target` (a new file) page by page while others may write to it."""
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    writer = sqlite3.connect(target)
    try:
        reader.execute("PRAGMA busy_timeout=5000")
        reader.backup(writer)
    finally:
        writer.close()
        reader.close()


_SECRET_HOLDERS = (
    "SELECT e.tenant_id, e.channel_id FROM barrier_board b JOIN event e ON e.id = b.event_id"
    " WHERE b.secret IS NOT NULL AND b.status != 'closed' ORDER BY e.tenant_id, e.channel_id"
)


def boards_with_secrets(path: Path) -> list[tuple[str, str]]:
    """(tenant, channel) of each barrier board a SQLite file holds the secret of."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = connection.execute(_SECRET_HOLDERS).fetchall()
    except sqlite3.OperationalError:  # a database from before the barrier board existed
        return []
    finally:
        connection.close()
    return [(str(tenant), str(channel)) for tenant, channel in rows]


async def live_boards_with_secrets(store: Store) -> list[tuple[str, str]]:
    """The same, read from the running database (PostgreSQL: what a dump taken now would hold)."""
    try:
        async with store.engine.connect() as connection:
            rows = (await connection.execute(text(_SECRET_HOLDERS))).all()
    except DBAPIError:  # no schema yet: no board either
        return []
    return [(str(tenant), str(channel)) for tenant, channel in rows]


def pg_dump_command(url: str, target: str) -> str:
    """The pg_dump line for a PostgreSQL URL, its password left out (pg_dump reads PGPASSWORD or ~/.pgpass)."""
    parts = urlsplit(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    netloc = f"{parts.username}@{host}" if parts.username else host
    plain = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return f"pg_dump --format=custom --file={target} '{plain}'"


@dataclass(frozen=True)
class Health:
    database: bool
    overdue: int = 0  # pending timers due longer ago than the grace
    oldest: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.database and self.overdue == 0


async def health(store: Store, *, now: datetime, grace: timedelta) -> Health:
    """Whether the database answers, and whether the timers keep up: a pending timer due more than
    `grace` ago means no process is firing them (or they fall behind)."""
    try:
        async with store.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            from bot.store.models import Timer  # the table's own column type reads SQLite's times back

            row = (
                await connection.execute(
                    Timer.__table__.select()
                    .with_only_columns(Timer.__table__.c.due_at)
                    .where(Timer.__table__.c.status == "pending", Timer.__table__.c.due_at < now - grace)
                    .order_by(Timer.__table__.c.due_at)
                )
            ).all()
    except Exception:  # unreachable, wrong password, no schema: all the same to a supervisor
        return Health(database=False)
    return Health(database=True, overdue=len(row), oldest=row[0][0] if row else None)
