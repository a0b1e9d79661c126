"""The pairing ritual's tables: each round of pairs (with its seed, so it can be reproduced) and who sat where."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.models import utc_column


class PairingRound(SQLModel, table=True):
    """One round of pairs or breakout groups in an event.

    status: preview (shown to a facilitator only) -> sent; or planned (a later round of `--rounds N`)
    -> sent; or preview/planned -> dropped when a new `pairs` replaces it.
    """

    __tablename__ = "pairing_round"
    __table_args__ = (
        UniqueConstraint("event_id", "number", name="uq_pairing_round_number"),
        Index("ix_pairing_round_event_status", "event_id", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=120)
    event_id: int = Field(foreign_key="event.id", index=True)
    number: int
    seed: int
    size: int = 2
    bridge: str = Field(default="org,region,generation,role", max_length=100)
    rerolls: int = 0
    status: str = Field(default="preview", max_length=16)
    created_at: datetime = utc_column()
    sent_at: datetime | None = utc_column(nullable=True)


class PairingSeat(SQLModel, table=True):
    """One member's place in a round: everyone with the same `group_no` meets."""

    __tablename__ = "pairing_seat"
    __table_args__ = (UniqueConstraint("round_id", "member_id", name="uq_pairing_seat"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=120)
    round_id: int = Field(foreign_key="pairing_round.id", index=True)
    group_no: int
    member_id: int = Field(foreign_key="member.id", index=True)
