"""Migration 0007: connections that had moved before the stage history existed get their present stage,
on the day it last moved, so a report of an older event does not read them as Links."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from alembic import command
from sqlalchemy import text

from bot.store.db import Store, alembic_config


def _upgrade(connection, revision: str) -> None:  # noqa: ANN001
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


@pytest.mark.db
async def test_connections_past_link_get_their_stage_on_the_day_it_moved(database_url: str) -> None:
    store = Store(database_url)
    try:
        async with store.engine.begin() as conn:
            await conn.run_sync(_upgrade, "0006_member_tz_hint")
            moved = datetime(2026, 1, 20, 15, tzinfo=UTC)
            if store.is_sqlite:
                moved = moved.replace(tzinfo=None)
            values = {"n": moved}
            await conn.execute(
                text("INSERT INTO tenant (id, platform, created_at) VALUES ('t', 'console', :n)"), values
            )
            for i in (1, 2, 3):
                await conn.execute(
                    text(
                        "INSERT INTO member (id, tenant_id, user_id, nudges_enabled, created_at) "
                        "VALUES (:i, 't', :u, true, :n)"
                    ),
                    {"i": i, "u": f"u{i}", "n": moved},
                )
            for a, b, stage in ((1, 2, "engagement"), (1, 3, "link")):
                await conn.execute(
                    text(
                        "INSERT INTO connection (tenant_id, member_a_id, member_b_id, stage, origin, times_met,"
                        " created_at, last_met_at, stage_changed_at)"
                        " VALUES ('t', :a, :b, :s, 'manual', 1, :n, :n, :n)"
                    ),
                    {"a": a, "b": b, "s": stage, "n": moved},
                )
            await conn.run_sync(_upgrade, "heads")
            rows = (await conn.execute(text("SELECT stage, day FROM connection_stage_change"))).all()
        assert [(stage, str(day)) for stage, day in rows] == [("engagement", str(date(2026, 1, 20)))]
    finally:
        await store.close()
