"""Test support: drive the bot as people in a chat would, and look at what they saw and what was stored."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from adapters.console.runner import ScriptRunner
from adapters.console.script import Step
from bot.bootstrap import App
from bot.config import Settings
from bot.store.db import Store


class Chat:
    """A ScriptRunner kept open between steps, so a test can act, then inspect the database, then act again."""

    def __init__(self, database_url: str, start: datetime, zone: str = "UTC") -> None:
        self.settings = Settings().model_copy(update={"database_url": database_url, "default_lang": "en"})
        self.runner = ScriptRunner(self.settings, write=lambda line: None)
        self.runner.zone = ZoneInfo(zone)
        self.start_time = start

    async def start(self) -> None:
        await self.runner._boot(self.start_time)

    async def close(self) -> None:
        if self.runner.app is not None:
            await self.runner.app.close()

    @property
    def app(self) -> App:
        return self.runner.app

    async def say(self, user: str, text: str, channel: str = "#main") -> list[str]:
        """`user` types a command; returns the lines everyone saw as a result."""
        before = len(self.runner.world.shown)
        await self.runner.step(Step(0, "say", user=user, channel=channel, text=text))
        return self.lines_since(before)

    async def click(self, user: str, label: str) -> list[str]:
        before = len(self.runner.world.shown)
        await self.runner.step(Step(0, "click", user=user, text=label))
        return self.lines_since(before)

    async def submit(self, user: str, title: str, **values: str) -> list[str]:
        before = len(self.runner.world.shown)
        await self.runner.step(Step(0, "submit", user=user, text=title, values=values))
        return self.lines_since(before)

    async def wait(self, **delta: float) -> list[str]:
        before = len(self.runner.world.shown)
        await self.runner.step(Step(0, "wait", delta=timedelta(**delta)))
        return self.lines_since(before)

    async def restart(self) -> None:
        await self.runner.step(Step(0, "restart"))

    async def play(self, script: str) -> None:
        """Run script lines (expect included) in this same chat."""
        from adapters.console.script import parse_script

        for step in parse_script(script):
            await self.runner.step(step)

    def lines_since(self, index: int) -> list[str]:
        return [line for shown in self.runner.world.shown[index:] for line in shown.lines]

    @property
    def transcript(self) -> list[str]:
        return self.lines_since(0)


@contextmanager
def statements_sent(store: Store) -> Iterator[list[tuple[str, Any]]]:
    """Every SQL statement sent to the driver inside the block, as sent, with its parameters."""
    from sqlalchemy import event

    sent: list[tuple[str, Any]] = []

    def seen(_conn, _cursor, statement, parameters, _context, _many) -> None:  # noqa: ANN001
        sent.append((statement, parameters))

    engine = store.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", seen)


async def create_pg_database(server: str, prefix: str = "tsunagari_test_") -> tuple[str, str]:
    """A fresh, uniquely named database on a shared PostgreSQL server: (its name, its async URL)."""
    import asyncpg

    name = prefix + uuid.uuid4().hex[:12]
    connection = await asyncpg.connect(server)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base = server.rsplit("/", 1)[0]
    return name, f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)


async def drop_pg_database(server: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(server)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()
