"""Timed talk tables: one talk (a round of `pairs --talk` or a run sheet's talk step) and its groups.

Each group is a step run of ritual "talk" (the engine's tables hold its turns and timing); a talk row ties
the groups of one round together, so the channel hears "time to come back" once, when the last ends.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from bot.store.models import utc_column

OPEN = ("starting", "running")


class Talk(SQLModel, table=True):
    """status: starting (matching) -> running -> finished | stopped; or starting -> failed."""

    __tablename__ = "talk"
    __table_args__ = (
        # One talk at a time in an event, even when two facilitators start one at once.
        Index(
            "uq_talk_open_event",
            "event_id",
            unique=True,
            sqlite_where=text("status IN ('starting', 'running')"),
            postgresql_where=text("status IN ('starting', 'running')"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=120)
    event_id: int = Field(foreign_key="event.id", index=True)
    channel_id: str = Field(max_length=120)  # the event's channel: the come-back post goes here
    seconds: int  # each person's floor
    size: int = 2
    source: str = Field(default="pairs", max_length=20)  # pairs | agenda
    status: str = Field(default="starting", max_length=16)
    created_at: datetime = utc_column()
    finished_at: datetime | None = utc_column(nullable=True)


class TalkGroup(SQLModel, table=True):
    """One group of a talk: its step run, numbered as the round's groups are."""

    __tablename__ = "talk_group"
    id: int | None = Field(default=None, primary_key=True)
    talk_id: int = Field(foreign_key="talk.id", index=True)
    run_id: int = Field(foreign_key="step_run.id", unique=True)
    number: int
