"""The handover's table: an offer to pass an event on, which changes nothing until its receiver accepts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from bot.store.models import utc_column


class HandoverOffer(SQLModel, table=True):
    """status: offered -> accepted | declined | replaced (a newer offer) | withdrawn (the receiver left,
    or the event ended). Rows naming a person are deleted when that person asks to be forgotten."""

    __tablename__ = "handover_offer"
    __table_args__ = (
        # One open offer per event: a second `handover` replaces the first.
        Index(
            "uq_handover_offer_open",
            "event_id",
            unique=True,
            sqlite_where=text("status = 'offered'"),
            postgresql_where=text("status = 'offered'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=120)
    event_id: int = Field(foreign_key="event.id", index=True)
    giver_id: int = Field(foreign_key="member.id", index=True)
    receiver_id: int = Field(foreign_key="member.id", index=True)
    status: str = Field(default="offered", max_length=16)
    created_at: datetime = utc_column()
