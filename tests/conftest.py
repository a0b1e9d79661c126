"""Shared fixtures: a real database per test (SQLite file; PostgreSQL too when TSUNAGARI_TEST_POSTGRES is set),
an app on a virtual clock, and a console World to talk to it."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support import Chat, create_pg_database, drop_pg_database

POSTGRES = os.environ.get("TSUNAGARI_TEST_POSTGRES")  # e.g. postgresql://postgres@127.0.0.1:5432/test
BACKENDS = ["sqlite", "postgresql"] if POSTGRES else ["sqlite"]

# Property tests explore new random examples on every developer run. CI (`.ci/run` sets
# HYPOTHESIS_PROFILE=ci) draws the same examples every time, so whether a commit lands never depends on the
# luck of the draw; a failure prints the example and its reproduction blob.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_report_header(config: pytest.Config) -> str:
    return (
        "database backends: "
        + ", ".join(BACKENDS)
        + ("" if POSTGRES else " (set TSUNAGARI_TEST_POSTGRES for PostgreSQL)")
    )


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database of its own for one test; the PostgreSQL server is shared, so the name is unique."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'tsunagari.db'}"
        return
    if not POSTGRES:  # a test about PostgreSQL alone asks for it by name
        pytest.skip("a PostgreSQL-only test: set TSUNAGARI_TEST_POSTGRES to run it")
    name, url = await create_pg_database(POSTGRES)
    try:
        yield url
    finally:
        await drop_pg_database(POSTGRES, name)


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


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """A test that runs `tsunagari …` (bot/logs.py configures the root logger and caps libraries) must not
    leave that configuration to the tests after it: put back the root's handlers and every logger's level."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {
        name: logger.level
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            logger.setLevel(levels.get(name, logging.NOTSET))
