"""The async engine and sessions; SQLite gets WAL, a busy timeout and foreign keys on every connection."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from pydantic_core import PydanticUndefined
from sqlalchemy import TextClause, event, insert, select, text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

log = logging.getLogger(__name__)


class _NoRowData(logging.Filter):
    """Drops the driver's DEBUG records: aiosqlite prints every statement with its bound values and
    SQLAlchemy prints every result row there, and either can be what a participant typed."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_NO_ROW_DATA = _NoRowData()


def _silence_row_data() -> None:
    for name in ("aiosqlite", "sqlalchemy.engine.Engine"):
        logger = logging.getLogger(name)
        if _NO_ROW_DATA not in logger.filters:
            logger.addFilter(_NO_ROW_DATA)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API objects
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # Deleted or overwritten rows are zeroed in the file, not left in free space for anyone to read back.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Store:
    """Owns the engine; hands out sessions. Built once by the composition root."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        # hide_parameters: an error or echo must never print bound values, which can be what a person typed.
        kwargs: dict = {"echo": echo, "hide_parameters": True}
        _silence_row_data()
        if url.startswith("postgresql"):
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def upgrade(self) -> None:
        """Bring the schema to the newest migration (every branch head)."""
        async with self.engine.begin() as connection:
            await connection.run_sync(_upgrade)

    async def close(self) -> None:
        await self.engine.dispose()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("bot.store") / "migrations"))
    return config


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "heads")


def upgrade_sync(url: str) -> None:
    """For `tsunagari db upgrade`: one short-lived engine, migrated and closed."""

    async def run() -> None:
        store = Store(url)
        try:
            await store.upgrade()
        finally:
            await store.close()

    asyncio.run(run())


async def insert_ignore(session: AsyncSession, model: type, values: dict, conflict: list[str]) -> int:
    """INSERT … ON CONFLICT DO NOTHING on either database; returns how many rows went in (0 or 1).

    The statement is built once for each table and conflict and given `values` as its parameters: every
    command sends one (its delivery id), and building an insert costs more CPU than running it."""
    dialect = session.bind.dialect.name
    key = (dialect, model, tuple(conflict))
    statement = _INSERT_IGNORE.get(key)
    if statement is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        statement = insert(model.__table__).on_conflict_do_nothing(index_elements=conflict)
        _INSERT_IGNORE[key] = statement
    result = await session.exec(statement, params=values)
    return result.rowcount or 0


_INSERT_IGNORE: dict[tuple[str, type, tuple[str, ...]], Any] = {}


def row_defaults(model: type) -> dict[str, Any]:
    """A table model's field defaults (not the key), for inserting plain dicts without building models."""
    defaults = {}
    for name, info in model.model_fields.items():
        if name == "id":
            continue
        if info.default_factory is not None:
            defaults[name] = info.default_factory()
        elif info.default is not PydanticUndefined:
            defaults[name] = info.default
    return defaults


async def insert_many(session: AsyncSession, model: type, rows: list[dict[str, Any]]) -> None:
    """Insert rows whose ids nobody needs now, as one executemany of a statement compiled once.

    An ORM `insert(Model).values([...])` builds a multi-row VALUES statement, compiled afresh for each
    number of rows and bound value by value: for a talk's 50 steps that cost several times the CPU of the
    executemany. The rows must all name the same columns; they are not loaded into the session."""
    if not rows:
        return
    connection = await session.connection()
    await connection.execute(insert(model.__table__), rows)


SQLITE_OR_CHUNK = 200
"""Keys in one `sqlite_keys_match`: SQLite's parser nests each OR a level deeper, at most 1,000 levels."""


def sqlite_keys_match(dialect: Dialect, names: Sequence[str], keys: Sequence[Sequence[Any]]) -> TextClause:
    """`(a = ? AND b = ?) OR (a = ? AND b = ?) …`: rows whose columns `names` hold one of `keys`.

    SQLite plans an IN of row values (`(a, b) IN (VALUES …)`) as a scan of a whole index, and an IN of
    pairs beside another filter (`tenant_id = ? AND …`) through that filter's index alone: both read every
    row of the workspace, a cost that grows with its history (bench/load.py --history). An OR whose every
    term names all the columns of a unique index probes that index once a key. Built as text: an OR of
    SQLAlchemy expressions costs ~0.7 ms of CPU a key to compile. At most SQLITE_OR_CHUNK keys."""
    if not keys or len(keys) > SQLITE_OR_CHUNK:
        raise ValueError(f"1 to {SQLITE_OR_CHUNK} keys, not {len(keys)}")
    quoted = [dialect.identifier_preparer.quote(name) for name in names]
    terms = " OR ".join(
        "(" + " AND ".join(f"{column} = :k{n}_{c}" for c, column in enumerate(quoted)) + ")"
        for n in range(len(keys))
    )
    values = {f"k{n}_{c}": value for n, key in enumerate(keys) for c, value in enumerate(key)}
    return text(f"({terms})").bindparams(**values)


async def insert_rows(
    session: AsyncSession, model: type, rows: list[dict[str, Any]], *, key: Sequence[str] = ()
) -> list[int]:
    """Insert many rows at once and return their new ids, in the order given.

    For the few places that create hundreds of rows at once (an event's end plans a nudge and an alarm
    per person and step): building each as a model costs more than the database does. Each dict is
    completed with the model's defaults; the rows are not in the session's identity map.

    On PostgreSQL one ordered executemany (SQLAlchemy batches it into multi-row INSERT … RETURNING).
    SQLite cannot return ids in the order given, and SQLAlchemy would send a statement a row; when `key`
    names columns with a unique constraint over them, the rows go in as one executemany instead and their
    ids are read back by those columns (a multi-row VALUES statement compiles slower than both).
    """
    if not rows:
        return []
    table = model.__table__
    defaults = row_defaults(model)
    complete = [{**defaults, **row} for row in rows]
    connection = await session.connection()
    if key and connection.dialect.name == "sqlite":
        await insert_many(session, model, complete)
        columns = [table.c[name] for name in key]
        wanted = [tuple(row[name] for name in key) for row in complete]
        ids: dict[tuple, int] = {}
        for start in range(0, len(wanted), SQLITE_OR_CHUNK):
            part = wanted[start : start + SQLITE_OR_CHUNK]
            found = await connection.execute(
                select(table.c.id, *columns).where(sqlite_keys_match(connection.dialect, key, part))
            )
            ids.update({tuple(values): row_id for row_id, *values in found.all()})
        return [ids[values] for values in wanted]
    if not connection.dialect.insert_executemany_returning_sort_by_parameter_order:
        # SQLite before 3.35 has no INSERT … RETURNING: a row at a time, each telling its id.
        return [(await connection.execute(insert(table), row)).inserted_primary_key[0] for row in complete]
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    result = await connection.execute(statement, complete)
    return [row_id for (row_id,) in result.all()]
