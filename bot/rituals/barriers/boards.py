"""Finding a board and its cards, and recognising a person's own cards through the board's secret."""

from __future__ import annotations

from sqlalchemy import bindparam, func
from sqlmodel import col, select

from bot.errors import UserError
from bot.rituals.barriers import crypto
from bot.rituals.barriers.models import BarrierBoard, BarrierCard, BarrierVote
from bot.router import Ctx
from bot.store.models import Event, Member

# Read by every share and "Me too": built once (building a select costs more CPU than running it).
_LIVE_BOARD = (
    select(BarrierBoard)
    .where(BarrierBoard.event_id == bindparam("event"), BarrierBoard.status != "closed")
    .with_for_update()
)
_BOARD = select(BarrierBoard).where(BarrierBoard.id == bindparam("board")).with_for_update()


async def live_board(ctx: Ctx, event: Event | None = None) -> BarrierBoard | None:
    event = event or ctx.event
    if event is None:
        return None
    return (await ctx.session.exec(_LIVE_BOARD, params={"event": event.id})).first()


async def require_board(ctx: Ctx) -> BarrierBoard:
    board = await live_board(ctx)
    if board is None:
        raise UserError("barriers.error.no_board")
    return board


async def board_by_id(ctx: Ctx, raw: str | None) -> BarrierBoard:
    board = None
    if raw and raw.isdigit():
        board = (await ctx.session.exec(_BOARD, params={"board": int(raw)})).first()
    if board is None or board.tenant_id != ctx.tenant or board.status == "closed":
        raise UserError("core.error.stale_button")
    return board


async def event_of(ctx: Ctx, board: BarrierBoard) -> Event:
    if ctx.event is not None and ctx.event.id == board.event_id:
        return ctx.event
    return await ctx.session.get(Event, board.event_id)


async def cards_of(ctx: Ctx, board: BarrierBoard) -> list[BarrierCard]:
    """A board's cards in the order of their random ids: the only order a card has before the reveal."""
    rows = await ctx.session.exec(
        select(BarrierCard).where(BarrierCard.board_id == board.id).order_by(col(BarrierCard.id))
    )
    return list(rows.all())


async def card_by_number(ctx: Ctx, board: BarrierBoard, number: int) -> BarrierCard:
    """The card shown as #`number` (the parser has checked it is a number a column can hold)."""
    card = (
        await ctx.session.exec(
            select(BarrierCard).where(BarrierCard.board_id == board.id, BarrierCard.number == number)
        )
    ).first()
    if card is None:
        raise UserError("barriers.error.no_such_card", number=number, count=board.shown_count)
    return card


async def own_cards(ctx: Ctx, board: BarrierBoard, member: Member | None = None) -> list[BarrierCard]:
    """The caller's own cards: the ones whose author tag their id reproduces under the board's secret."""
    user = (member or ctx.member).user_id
    if board.secret is None:
        return []
    return [
        card
        for card in await cards_of(ctx, board)
        if crypto.same_tag(card.author, crypto.author_tag(board.secret, card.id, ctx.tenant, user))
    ]


async def vote_counts(ctx: Ctx, cards: list[BarrierCard]) -> dict[str, int]:
    if not cards:
        return {}
    rows = await ctx.session.exec(
        select(BarrierVote.card_id, func.count())
        .where(col(BarrierVote.card_id).in_([card.id for card in cards]))
        .group_by(BarrierVote.card_id)
    )
    return {card_id: count for card_id, count in rows.all()}
