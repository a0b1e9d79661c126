"""Batching: nothing public changes at the moment someone shares, withdraws or says "me too".

A change arms one refresh on a fixed one-minute grid counted from the board's opening (the first grid
point after the change); every change in that minute is shown together, at a time set by the grid and
not by anyone's typing, and a refresh that would show the same numbers shows nothing. An update says
"something changed in the last minute", never "Bob just pressed Share".
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlmodel import update

from bot.rituals.barriers.boards import cards_of, event_of, vote_counts
from bot.rituals.barriers.messages import (
    board_message,
    board_ref,
    category_message,
    category_ref,
    grouped,
    words,
)
from bot.rituals.barriers.models import BarrierBoard, BarrierCard
from bot.router import Ctx

REFRESH = timedelta(minutes=1)


def next_refresh(opened_at: datetime, now: datetime) -> datetime:
    """The first point of the board's one-minute grid strictly after `now`."""
    ticks = (now - opened_at) // REFRESH + 1
    return opened_at + ticks * REFRESH


async def changed(ctx: Ctx, board: BarrierBoard) -> None:
    """Something public will change: arm one refresh at the next grid point, unless one is waiting."""
    if board.flush_at is not None and board.flush_at > ctx.now:
        return
    due = next_refresh(board.opened_at, ctx.now)
    board.flush_at = due
    # The payload names the board only: no timer carries card words or anyone's identity. The row says
    # it was made at the grid point before the change, not at the second someone shared.
    await ctx.schedule(
        "barriers.refresh",
        due,
        {"board": board.id},
        key=f"barriers:refresh:{board.id}:{int(due.timestamp())}:{secrets.token_hex(4)}",
        created_at=due - REFRESH,
    )


async def show_changes(ctx: Ctx, board: BarrierBoard) -> None:
    event = await event_of(ctx, board)
    t = words(ctx.core.catalog, event.lang)
    # Rewrite every card of the board in this one transaction: on PostgreSQL each row's xmin (the id of
    # the transaction that wrote it) would otherwise date it and tie it to that request's other rows.
    await ctx.session.exec(
        update(BarrierCard).where(BarrierCard.board_id == board.id).values(hidden=BarrierCard.hidden)
    )
    if board.status == "open":
        count = len(await cards_of(ctx, board))
        if count != board.shown_count:
            board.shown_count = count
            ctx.update(board_ref(board), board_message(t, board))
        return
    cards = await cards_of(ctx, board)
    votes = await vote_counts(ctx, cards)
    dirty = set()
    for card in cards:
        if card.metoo != votes.get(card.id, 0):
            card.metoo = votes.get(card.id, 0)
            dirty.add(card.category)
    for category, members in grouped(cards):
        if category in dirty:
            ctx.update(category_ref(board, category), category_message(t, category, members, voting=True))
