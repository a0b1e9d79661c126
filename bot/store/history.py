"""The connection ledger's history: one row each time a connection's stage moves, so a report can tell
where the links of an event stood a day, a week and a month after it (the ledger keeps only the present).

A row holds the connection, its stage and the UTC day it moved: no member and no clock time, because a
report needs "by which day", and a finer time would only tell an operator more than the report needs.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Column, Date, Index
from sqlmodel import Field, SQLModel


class ConnectionStageChange(SQLModel, table=True):
    __tablename__ = "connection_stage_change"
    __table_args__ = (Index("ix_connection_stage_change_event", "event_id", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=120)
    connection_id: int = Field(foreign_key="connection.id", index=True)
    # The connection's event, copied so a report reads one event's history without a join.
    event_id: int | None = Field(default=None, foreign_key="event.id")
    stage: str = Field(max_length=16)
    day: date = Field(sa_column=Column(Date(), nullable=False))
