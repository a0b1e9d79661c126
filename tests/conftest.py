"""Shared fixtures: a real database per test (SQLite file; PostgreSQL too when TSUNAGARI_TEST_POSTGRES is set),
an app on a virtual clock, and a console World to talk to it."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support import Chat

POSTGRES = os.environ.get("TSUNAGARI_TEST_POSTGRES")  # e.g. postgresql://postgres@127.0.0.1:5432/test
BACKENDS = ["sqlite", "postgresql"] if POSTGRES else ["sqlite"]


def pytest_report_header(config: pytest.Config) -> str:
    return (
        "database backends: "
        + ", ".join(BACKENDS)
        + ("" if POSTGRES else " (set TSUNAGARI_TEST_POSTGRES for PostgreSQL)")
    )


async def _create_pg_database() -> tuple[str, str]:
    import asyncpg

    name = "tsunagari_test_" + uuid.uuid4().hex[:12]
    connection = await asyncpg.connect(POSTGRES)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base = POSTGRES.rsplit("/", 1)[0]
    return name, f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)


async def _drop_pg_database(name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database of its own for one test; the PostgreSQL server is shared, so the name is unique."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'tsunagari.db'}"
        return
    name, url = await _create_pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(name)


@pytest.fixture
def start_time() -> datetime:
    return datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
async def chat(database_url: str, start_time: datetime) -> AsyncIterator[Chat]:
    """The whole bot on a virtual clock behind the console adapter, migrated and started."""
    conversation = Chat(database_url, start_time)
    await conversation.start()
    try:
        yield conversation
    finally:
        await conversation.close()
