"""Helpers for the barrier board's tests: people with distinctive ids and names, and raw looks at storage."""

from __future__ import annotations

import itertools
from pathlib import Path

from sqlalchemy import text
from sqlmodel import SQLModel

import bot.store.tables  # noqa: F401  (every table registered)
from adapters.console.adapter import TENANT
from bot.events import ButtonPressed, Caller, CommandInvoked, FormSubmitted
from tests.support import Chat

_ids = itertools.count(1)


async def act(chat: Chat, user: str, name: str, command: str, channel: str = "#main") -> list[str]:
    """`user` (whose display name is `name`) types `/tsunagari command`; returns the lines people saw."""
    before = len(chat.runner.world.shown)
    event = CommandInvoked(Caller(TENANT, user, channel, None, name), command, f"test-{next(_ids)}")
    await chat.runner.adapter.send(TENANT, await chat.app.core.handle(event), origin=event)
    return chat.lines_since(before)


async def press(chat: Chat, user: str, name: str, label: str) -> list[str]:
    before = len(chat.runner.world.shown)
    found = chat.runner.world.find_button(user, label)
    assert found is not None, f"{user} sees no button {label!r}"
    shown, action_id = found
    event = ButtonPressed(Caller(TENANT, user, shown.channel, None, name), action_id, f"test-{next(_ids)}")
    await chat.runner.adapter.send(TENANT, await chat.app.core.handle(event), origin=event)
    return chat.lines_since(before)


async def submit(chat: Chat, user: str, name: str, title: str, **values: str) -> list[str]:
    before = len(chat.runner.world.shown)
    shown = chat.runner.world.find_form(user, title)
    assert shown is not None, f"{user} has no open form {title!r}"
    event = FormSubmitted(
        Caller(TENANT, user, shown.channel, None, name), shown.form.form_id, values, f"test-{next(_ids)}"
    )
    await chat.runner.adapter.send(TENANT, await chat.app.core.handle(event), origin=event)
    return chat.lines_since(before)


async def dump(chat: Chat) -> dict[str, list[dict]]:
    """Every row of every table, as the database hands it back."""
    out: dict[str, list[dict]] = {}
    async with chat.app.store.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            rows = await connection.execute(text(f'SELECT * FROM "{table.name}"'))
            out[table.name] = [dict(row._mapping) for row in rows]
    return out


def stored_values(tables: dict[str, list[dict]]) -> list[bytes]:
    """Every non-empty stored value as bytes (text as UTF-8, numbers as their digits)."""
    values = []
    for rows in tables.values():
        for row in rows:
            for value in row.values():
                if value is None:
                    continue
                if isinstance(value, bytes | bytearray | memoryview):
                    values.append(bytes(value))
                else:
                    values.append(str(value).encode("utf-8"))
    return [value for value in values if value]


def sqlite_path(chat: Chat) -> Path | None:
    url = chat.settings.database_url
    return Path(url.split(":///", 1)[1]) if url.startswith("sqlite") else None


def sqlite_pages(path: Path) -> list[bytes]:
    """The database file's pages and every frame of its write-ahead log, as raw bytes."""
    data = path.read_bytes()
    size = int.from_bytes(data[16:18], "big")
    size = 65536 if size == 1 else size
    pages = [data[i : i + size] for i in range(0, len(data), size)]
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        log = wal.read_bytes()
        frame = 24 + size
        pages += [log[i + 24 : i + frame] for i in range(32, len(log), frame)]
    return pages


def raw_files(path: Path) -> bytes:
    blobs = [path.read_bytes()]
    for suffix in ("-wal", "-journal", "-shm"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            blobs.append(extra.read_bytes())
    return b"".join(blobs)
