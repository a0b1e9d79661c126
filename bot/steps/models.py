"""The engine's tables: a run (one round of turns, one one-on-one) and its steps, in order.

The run holds what a restart needs to carry on: which step is current, when it ends (or, paused, how many
seconds it had left), and `seq`, bumped by every transition so a stale timer or a racing click is ignored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bot.store.models import utc_column

LIVE = ("running", "paused")


class StepRun(SQLModel, table=True):
    """status: running <-> paused -> finished | stopped. `options` holds the ritual's own plain settings."""

    __tablename__ = "step_run"
    __table_args__ = (
        # One round of turns at a time in a channel, even when two facilitators start one at once.
        Index(
            "uq_step_run_live_turns",
            "tenant_id",
            "channel_id",
            unique=True,
            sqlite_where=text("ritual = 'turns' AND status IN ('running', 'paused')"),
            postgresql_where=text("ritual = 'turns' AND status IN ('running', 'paused')"),
        ),
        # One run sheet at a time in a channel.
        Index(
            "uq_step_run_live_agenda",
            "tenant_id",
            "channel_id",
            unique=True,
            sqlite_where=text("ritual = 'agenda' AND status IN ('running', 'paused')"),
            postgresql_where=text("ritual = 'agenda' AND status IN ('running', 'paused')"),
        ),
        # The live round of a channel, found with bound parameters (which cannot use the partial index).
        Index("ix_step_run_tenant_channel", "tenant_id", "channel_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=120)
    ritual: str = Field(max_length=20)  # turns | oneonone | agenda
    event_id: int | None = Field(default=None, foreign_key="event.id", index=True)
    channel_id: str | None = Field(default=None, max_length=120)  # where it posts (or the DM's `near`)
    lang: str = Field(default="en", max_length=8)
    status: str = Field(default="running", max_length=16)
    current: int = -1  # position of the active step
    seq: int = 0
    ends_at: datetime | None = utc_column(nullable=True)  # the active step's end, while running
    remaining: int | None = None  # seconds the active step had left, while paused
    resumed_at: datetime | None = utc_column(nullable=True)  # spoken time accrues from here
    started_by: int | None = Field(default=None, foreign_key="member.id")
    options: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = utc_column()
    finished_at: datetime | None = utc_column(nullable=True)


class Step(SQLModel, table=True):
    """kind: turn (one person has the floor) | prompt (a timed step for everyone) | collect (answers).

    status: pending -> active -> timeup | done | next | skipped | left | stopped.
    """

    __tablename__ = "step"
    __table_args__ = (UniqueConstraint("run_id", "position", name="uq_step_position"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=120)
    run_id: int = Field(foreign_key="step_run.id", index=True)
    position: int
    kind: str = Field(max_length=16)
    name: str | None = Field(default=None, max_length=40)  # the template's step name
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    seconds: int | None = None  # planned length, extensions included; None = until answered
    spoken: int = 0  # seconds actually used, pauses left out
    status: str = Field(default="pending", max_length=16)
    started_at: datetime | None = utc_column(nullable=True)
    ended_at: datetime | None = utc_column(nullable=True)
