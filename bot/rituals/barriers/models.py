"""The barrier board's tables. A card row holds its words and category, never who wrote it or when.

Cards have a random id, and on SQLite live in a WITHOUT ROWID table (no rowid counts them in). Where a row
sits in the file still follows the order it was written (SQLite fills each page from its end, in the
table and in its indexes; PostgreSQL appends to its heap, in `ctid` order), so while the board is open
the rows sit in the order people shared in. At the reveal every card is deleted and written again with a
new random id, no author tag, in a fresh random order (scrub.py): from then on neither an id nor where a
row sits says who came when. Recognising a person (withdrawing their own card, one "me too" each) goes
through keyed hashes whose key is `BarrierBoard.secret`, which is destroyed when the board closes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, text
from sqlmodel import Field, SQLModel

from bot.store.models import utc_column


class BarrierBoard(SQLModel, table=True):
    """One board in an event. status: open (taking cards) -> revealed -> closed."""

    __tablename__ = "barrier_board"
    __table_args__ = (
        # One live board per event, even when two facilitators type `barriers open` at once.
        Index(
            "uq_barrier_board_live",
            "event_id",
            unique=True,
            sqlite_where=text("status != 'closed'"),
            postgresql_where=text("status != 'closed'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=120)
    event_id: int = Field(foreign_key="event.id", index=True)
    prompt: str = Field(max_length=500)
    min_cards: int = 3
    status: str = Field(default="open", max_length=16)
    # 32 random bytes, the key of every author and voter hash on this board; NULL once closed.
    secret: bytes | None = Field(default=None, sa_column=Column(LargeBinary(), nullable=True))
    shown_count: int = 0  # the count the board shows: it changes only when a batch is flushed
    flush_at: datetime | None = utc_column(nullable=True)  # the next refresh, when changes are waiting
    opened_at: datetime = utc_column()


class BarrierCard(SQLModel, table=True):
    """A card: words and a category. `author` is HMAC(board secret, card id + person), NULL after reveal."""

    __tablename__ = "barrier_card"
    __table_args__ = {"sqlite_with_rowid": False}
    id: str = Field(primary_key=True, max_length=24)  # random, and drawn again at the reveal
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=120)
    board_id: int = Field(foreign_key="barrier_board.id", index=True)
    category: str = Field(max_length=20)
    text: str = Field(max_length=1000)
    author: bytes | None = Field(default=None, sa_column=Column(LargeBinary(), nullable=True))
    number: int | None = None  # its place in the revealed, shuffled order
    hidden: bool = False
    metoo: int = 0  # the "me too" count as last shown; final once the board closes


class BarrierVote(SQLModel, table=True):
    """One "me too": the card and HMAC(board secret, card id + person). No time, no member.

    Deleted when the board closes, after its count is folded into `BarrierCard.metoo`.
    """

    __tablename__ = "barrier_vote"
    __table_args__ = {"sqlite_with_rowid": False}
    card_id: str = Field(foreign_key="barrier_card.id", primary_key=True, max_length=24)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=120)
    voter: bytes = Field(sa_column=Column(LargeBinary(), primary_key=True))
