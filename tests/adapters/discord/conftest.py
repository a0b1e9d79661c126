"""The Discord world fixture: the real bot, the real core and a real database, Discord itself faked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from tests.fakes.discord_world import DiscordWorld


@pytest.fixture
async def world(database_url: str, start_time: datetime) -> AsyncIterator[DiscordWorld]:
    discord_world = DiscordWorld(database_url, start_time)
    await discord_world.boot()
    try:
        yield discord_world
    finally:
        await discord_world.close()
