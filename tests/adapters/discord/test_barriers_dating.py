"""After a board closes, nothing kept dates a share, a withdrawal or a "me too" more finely than the
board's one-minute grid: no row of any table, and no line the log wrote at the default level.

The board opens on a grid point; every anonymous act happens well inside a minute of that grid, on a
virtual clock, and its Discord interaction id is a real snowflake of that instant (the id carries its
millisecond). Every value of every table is then read back: times, numbers that could be Unix seconds,
milliseconds or snowflakes, and digit runs inside text and JSON. None may fall strictly inside a grid
minute in which an anonymous act happened (grid points themselves say nothing a reader of the board
did not see).
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest
from sqlalchemy import select, text
from sqlmodel import SQLModel

from tests import operator_log as _ol
from tests.fakes.discord_world import MAIN_ID, DiscordWorld

pytestmark = pytest.mark.db

OPENED = datetime(2026, 1, 15, 9, 0, 0, tzinfo=UTC)
DIGITS = re.compile(r"\d{9,20}")


class DatedWorld(DiscordWorld):
    """Interactions whose ids are snowflakes of the virtual clock's instant, as Discord's are."""

    _increment = itertools.count(1)

    def _inject(self, payload: dict[str, Any]) -> str:
        payload["id"] = str(discord.utils.time_snowflake(self.clock.now()) + next(self._increment))
        return super()._inject(payload)


def instants(value: Any) -> list[datetime]:
    """Every instant a stored value could be read as."""
    if isinstance(value, datetime):
        return [value if value.tzinfo else value.replace(tzinfo=UTC)]
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int):
        found = []
        if 10**9 <= value < 10**10:
            found.append(datetime.fromtimestamp(value, UTC))
        if 10**12 <= value < 10**13:
            found.append(datetime.fromtimestamp(value / 1000, UTC))
        if value >= 2**22:
            found.append(discord.utils.snowflake_time(value))
        return found
    if isinstance(value, float):
        return instants(int(value)) if value >= 10**9 else []
    if isinstance(value, dict):
        return [i for v in list(value.keys()) + list(value.values()) for i in instants(v)]
    if isinstance(value, list | tuple):
        return [i for v in value for i in instants(v)]
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if isinstance(value, str):
        found = [i for run in DIGITS.findall(value) for i in instants(int(run))]
        for stamp in re.findall(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?", value):
            found += instants(datetime.fromisoformat(stamp))
        return found
    return []


def inside(instant: datetime, minutes: set[int]) -> bool:
    """Whether `instant` falls strictly inside one of the grid minutes (counted from OPENED)."""
    offset = (instant - OPENED).total_seconds()
    return offset % 60 != 0 and int(offset // 60) in minutes


async def every_row(world: DiscordWorld) -> list[tuple[str, dict[str, Any]]]:
    rows = []
    async with world.app.store.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in (await connection.execute(select(table))).mappings():
                rows.append((table.name, dict(row)))
        if world.app.store.is_sqlite:  # tables outside the models (alembic's, and any other)
            names = [r[0] for r in await connection.execute(text("SELECT name FROM sqlite_master"))]
            known = {t.name for t in SQLModel.metadata.sorted_tables}
            for name in names:
                if name not in known and not name.startswith("sqlite_"):
                    try:
                        result = await connection.execute(text(f'SELECT * FROM "{name}"'))
                    except Exception:  # an index, not a table
                        continue
                    rows += [(name, dict(r)) for r in result.mappings()]
    return rows


async def test_after_close_no_row_and_no_log_line_dates_a_share_within_its_minute(database_url):
    world = DatedWorld(database_url, OPENED - timedelta(minutes=5))
    secret_minutes: set[int] = set()
    quiet_breaches: list[str] = []

    async def anonymously(at: timedelta, act) -> Any:  # noqa: ANN001
        """An anonymous act at OPENED + `at`: nothing may be logged while it is handled."""
        await world.wait(seconds=(OPENED + at - world.clock.now()).total_seconds())
        secret_minutes.add(int(at.total_seconds() // 60))
        before = len(log.entries)
        answers = await act()
        quiet_breaches.extend(log.entries[before:])
        return answers

    with _ol.operator_log(world.settings) as log:  # the default level, INFO
        await world.boot()
        try:
            await world.command("alice", "event start", name="Yorimichi")
            for person in ("bob", "carol", "dan"):
                await world.command(person, "join")
            await world.wait(seconds=(OPENED - world.clock.now()).total_seconds())
            await world.command("alice", "barriers open", min=3)  # on the grid: the board's minute 0
            [board] = [s for s in world.rest.in_channel(MAIN_ID) if "Cards in: 0" in s.text()]
            ids = board.custom_ids()
            share_form = next(c for c in ids if c.startswith("barriers:form:"))
            mine = next(c for c in ids if c.startswith("barriers:mine:"))

            await anonymously(
                timedelta(minutes=1, seconds=13),
                lambda: world.command(
                    "bob", "barriers share", text="afraid to look foolish", category="fear"
                ),
            )
            [modal] = await anonymously(
                timedelta(minutes=1, seconds=41), lambda: world.press("carol", share_form)
            )
            await anonymously(
                timedelta(minutes=1, seconds=44),
                lambda: world.submit(
                    "carol", modal.data["custom_id"], {"text": "nobody talks about it", "category": ["taboo"]}
                ),
            )
            await anonymously(
                timedelta(minutes=2, seconds=27),
                lambda: world.command("dan", "barriers share", text="my team only talks to itself"),
            )
            listed = await anonymously(timedelta(minutes=3, seconds=5), lambda: world.press("bob", mine))
            withdraw = next(c for a in listed for c in a.custom_ids() if c.startswith("barriers:withdraw:"))
            await anonymously(timedelta(minutes=3, seconds=9), lambda: world.press("bob", withdraw))
            await anonymously(
                timedelta(minutes=3, seconds=52),
                lambda: world.command(
                    "bob", "barriers share", text="I depend on one person", category="dependence"
                ),
            )
            await world.wait(seconds=(OPENED + timedelta(minutes=5) - world.clock.now()).total_seconds())
            await world.command("alice", "barriers reveal")  # on the grid
            cards = [s for s in world.rest.in_channel(MAIN_ID) if any("metoo" in c for c in s.custom_ids())]
            metoo = next(c for s in cards for c in s.custom_ids() if "metoo" in c)
            await anonymously(timedelta(minutes=5, seconds=38), lambda: world.press("carol", metoo))
            await anonymously(
                timedelta(minutes=6, seconds=19), lambda: world.command("dan", "barriers metoo", number="1")
            )
            await world.wait(seconds=(OPENED + timedelta(minutes=8) - world.clock.now()).total_seconds())
            await world.command("alice", "barriers close")  # on the grid
            await world.wait(minutes=2)  # the scrub after the close runs
            rows = await every_row(world)
        finally:
            await world.close()

    assert quiet_breaches == []
    dating = [
        (table, column, value)
        for table, row in rows
        for column, value in row.items()
        if any(inside(instant, secret_minutes) for instant in instants(value))
    ]
    assert dating == []
    assert {table for table, _ in rows} >= {"processed_request", "timer", "barrier_card", "barrier_board"}
    assert secret_minutes == {1, 2, 3, 5, 6}
