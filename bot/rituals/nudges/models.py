"""The nudge tables: one durable row per (member, event, step), and what people did with each nudge."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.models import utc_column

# pending -> sending (claimed atomically by one process) -> sent | unreachable | failed | pending (retry)
# pending -> skipped (its moment passed, the person opted out, nobody left to name) | stopped ("stop these")
# sending -> interrupted (the process died between the claim and the record: never sent twice)
OPEN = ("pending", "sending")


class Nudge(SQLModel, table=True):
    __tablename__ = "nudge"
    __table_args__ = (
        UniqueConstraint("member_id", "event_id", "step", name="uq_nudge_member_event_step"),
        Index("ix_nudge_status_due", "status", "due_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=120)
    member_id: int = Field(foreign_key="member.id", index=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    step: str = Field(max_length=20)  # thanks | warm | stage
    plan: str = Field(max_length=20)
    status: str = Field(default="pending", max_length=16)
    reason: str | None = Field(default=None, max_length=40)  # why skipped / failed / unreachable
    due_at: datetime = utc_column()  # when it is next to be delivered (already out of quiet hours)
    expires_at: datetime = utc_column()  # after this it is no longer useful: skipped, and recorded
    attempts: int = 0  # delivery attempts that failed on the platform's side
    deliveries: int = 0  # times it reached the person (a snoozed nudge comes back once more)
    snoozes: int = 0
    timer_id: int | None = None  # the core timer that wakes the sender for this row
    wake: int = 0  # how many wake-up timers this row has had (their keys are nudges:<id>:<wake>)
    claim_token: str | None = Field(default=None, index=True, max_length=40)
    claimed_at: datetime | None = utc_column(nullable=True)
    sent_at: datetime | None = utc_column(nullable=True)
    created_at: datetime = utc_column()


class NudgeAction(SQLModel, table=True):
    """A thank-you sent, a chat proposed, accepted or declined: once each per nudge and other person."""

    __tablename__ = "nudge_action"
    __table_args__ = (UniqueConstraint("nudge_id", "other_id", "verb", name="uq_nudge_action"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=120)
    nudge_id: int = Field(foreign_key="nudge.id", index=True)
    other_id: int = Field(foreign_key="member.id", index=True)
    verb: str = Field(max_length=16)  # thanked | proposed | accepted | declined | staged
    at: datetime = utc_column()
