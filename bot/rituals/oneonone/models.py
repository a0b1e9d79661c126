"""One-on-one tables: the pair and template of each session, and what each person typed in (their actions).

The timing lives in the step engine's run (`run_id`); these rows are what is kept afterwards.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.models import utc_column

ANSWER_MAX = 500


class OneOnOne(SQLModel, table=True):
    """A structured one-on-one. The partner (the one invited) speaks first, so it never opens as a lecture."""

    __tablename__ = "oneonone"
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=120)
    run_id: int = Field(foreign_key="step_run.id", unique=True)
    template: str = Field(max_length=40)
    starter_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    partner_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    followup_days: int | None = None
    created_at: datetime = utc_column()
    finished_at: datetime | None = utc_column(nullable=True)


class OneOnOneAnswer(SQLModel, table=True):
    """One field one person filled in at a collect step; the field named `action` is their action."""

    __tablename__ = "oneonone_answer"
    __table_args__ = (
        UniqueConstraint("oneonone_id", "member_id", "step_name", "field", name="uq_oneonone_answer"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=120)
    oneonone_id: int = Field(foreign_key="oneonone.id", index=True)
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    step_name: str = Field(max_length=40)
    field: str = Field(max_length=40)
    text: str = Field(max_length=ANSWER_MAX)
    created_at: datetime = utc_column()
