"""The foundation's tables: tenants, members, events, facilitators, participants, timers, the ledger.

Every row carries its tenant (a Slack workspace, a Discord guild, the console). Times are stored in UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import JSON, Column, DateTime, Index, Text, UniqueConstraint, text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from bot.clock import as_utc


class UTCDateTime(TypeDecorator):
    """Aware UTC in and out: SQLite would otherwise hand back naive times and comparisons would drift."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ANN001, ANN201
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):  # noqa: ANN001, ANN201
        return None if value is None else as_utc(value)


def utc_column(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Tenant(SQLModel, table=True):
    __tablename__ = "tenant"
    id: str = Field(primary_key=True, max_length=120)
    platform: str = Field(max_length=20)
    created_at: datetime = utc_column()


class Member(SQLModel, table=True):
    """A person as the bot knows them in one tenant. `locale`/`tz` are their own settings, or None;
    `locale_hint`/`tz_hint` are what their platform reports, used when they set nothing (`zone_names`)."""

    __tablename__ = "member"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id", name="uq_member_user"),
        # `@name` mentions look a person up by name inside one workspace.
        Index("ix_member_tenant_display_name", "tenant_id", "display_name"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=120)
    user_id: str = Field(max_length=120)
    display_name: str | None = Field(default=None, max_length=120)
    locale: str | None = Field(default=None, max_length=8)
    locale_hint: str | None = Field(default=None, max_length=8)
    tz: str | None = Field(default=None, max_length=64)
    tz_hint: str | None = Field(default=None, max_length=64)
    nudges_enabled: bool = True
    created_at: datetime = utc_column()


class Event(SQLModel, table=True):
    """A workshop bound to one channel while it is open."""

    __tablename__ = "event"
    __table_args__ = (
        # Two `event start` racing in one channel: the database lets only one open event through.
        Index(
            "uq_event_open_channel",
            "tenant_id",
            "channel_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        # The open event of a channel, found with bound parameters (which cannot use the partial index).
        Index("ix_event_tenant_channel", "tenant_id", "channel_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=120)
    channel_id: str = Field(max_length=120)
    name: str = Field(max_length=200)
    lang: str = Field(default="en", max_length=8)
    tz: str = Field(default="UTC", max_length=64)
    status: str = Field(default="open", max_length=16)
    created_at: datetime = utc_column()
    ended_at: datetime | None = utc_column(nullable=True)


class Facilitator(SQLModel, table=True):
    __tablename__ = "facilitator"
    __table_args__ = (UniqueConstraint("event_id", "member_id", name="uq_facilitator"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=120)
    event_id: int = Field(foreign_key="event.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)


class Participant(SQLModel, table=True):
    """A member in an event, with the optional profile that pair matching bridges across."""

    __tablename__ = "participant"
    __table_args__ = (
        UniqueConstraint("event_id", "member_id", name="uq_participant"),
        # A person's latest participation (whose language and zone they read in), without sorting them all.
        Index("ix_participant_member_joined", "member_id", "joined_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=120)
    event_id: int = Field(foreign_key="event.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    status: str = Field(default="present", max_length=16)  # present | away | left
    organisation: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    generation: str | None = Field(default=None, max_length=100)
    role: str | None = Field(default=None, max_length=100)
    languages: str | None = Field(default=None, max_length=100)  # comma-separated codes: "ja,en"
    interests: str | None = Field(default=None, max_length=500)  # comma-separated
    joined_at: datetime = utc_column()
    left_at: datetime | None = utc_column(nullable=True)


class Timer(SQLModel, table=True):
    """Something that must happen later. The row is the truth; an alarm only wakes the process.

    status: pending -> running (claimed atomically) -> done | failed; or pending -> cancelled | skipped.
    A batched kind (Router.timer) goes pending -> done | failed in its handler's transaction.
    """

    __tablename__ = "timer"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key", name="uq_timer_key"),
        Index("ix_timer_pending_due", "status", "due_at"),
        # Cancelling a run's or board's pending timers by key prefix: a range on the key, compared byte
        # by byte (SQLite's default; COLLATE "C" on PostgreSQL), so it reads only those timers.
        Index(
            "ix_timer_tenant_status_key", "tenant_id", "status", "key", postgresql_ops={"key": 'COLLATE "C"'}
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=120)
    kind: str = Field(max_length=60)
    key: str | None = Field(default=None, max_length=200)
    member_id: int | None = Field(default=None, index=True)  # whom it concerns, so forget-me can drop it
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)
    due_at: datetime = utc_column()
    created_at: datetime = utc_column()
    fired_at: datetime | None = utc_column(nullable=True)


class TimerRef(NamedTuple):
    """What arming an alarm needs of a timer inserted in bulk, without loading the row as a model."""

    id: int
    due_at: datetime


class Connection(SQLModel, table=True):
    """One entry of the connection ledger: two members and how far they have come.

    member_a_id < member_b_id, so a pair has one row whoever is named first.
    """

    __tablename__ = "connection"
    __table_args__ = (
        UniqueConstraint("tenant_id", "member_a_id", "member_b_id", name="uq_connection_pair"),
        # The meetings of an event, at its end: its own links, or those met again in its window.
        Index("ix_connection_tenant_event", "tenant_id", "event_id"),
        Index("ix_connection_tenant_last_met", "tenant_id", "last_met_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=120)
    member_a_id: int = Field(foreign_key="member.id", index=True)
    member_b_id: int = Field(foreign_key="member.id", index=True)
    stage: str = Field(default="link", max_length=16)  # link | connection | engagement | relationship
    origin: str = Field(max_length=20)  # pairs | oneonone | manual
    origin_id: int | None = None
    event_id: int | None = Field(default=None, foreign_key="event.id")
    times_met: int = 1
    created_at: datetime = utc_column()
    last_met_at: datetime = utc_column()
    stage_changed_at: datetime = utc_column()


class ProcessedRequest(SQLModel, table=True):
    """Platform delivery ids already handled: a retried request acts once."""

    __tablename__ = "processed_request"
    tenant_id: str = Field(primary_key=True, max_length=120)
    request_id: str = Field(primary_key=True, max_length=200)
    seen_at: datetime = utc_column(index=True)


class MessageRef(SQLModel, table=True):
    """Where an adapter posted a message the core named (`ref`), so it can be updated after a restart."""

    __tablename__ = "message_ref"
    tenant_id: str = Field(primary_key=True, max_length=120)
    ref: str = Field(primary_key=True, max_length=200)
    channel: str = Field(max_length=120)
    # A message sent in several parts keeps every part's id here, comma-separated (any number of parts).
    message_id: str = Field(sa_type=Text)
