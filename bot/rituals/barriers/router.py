"""The barrier board: participants share what makes connection hard, anonymously; the facilitator reveals
the cards together, shuffled, once enough are in; "me too" counts are anonymous; closing destroys the key.

Public numbers change in batches (refresh.py); people are recognised only through keyed tags whose key
dies with the board (crypto.py); what a card may say is in cards.py, and how it looks in messages.py.

Logging: only a scrub that gave up (no ids, no words); the core logs command names and ids only. Card
words appear only in the card row, in the reveal and in the author's own private replies.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select

from bot.actions import Message
from bot.commands import Arg, Opt, Parsed, Role
from bot.errors import UserError
from bot.i18n import LANGUAGES
from bot.rituals.barriers import crypto
from bot.rituals.barriers.boards import (
    board_by_id,
    card_by_number,
    cards_of,
    event_of,
    live_board,
    own_cards,
    require_board,
    vote_counts,
)
from bot.rituals.barriers.cards import CATEGORIES, clean_text, parse_category
from bot.rituals.barriers.messages import (
    board_message,
    board_ref,
    category_message,
    category_ref,
    export_message,
    grouped,
    mine_message,
    prompt_words,
    share_form,
    words,
)
from bot.rituals.barriers.models import BarrierBoard, BarrierCard, BarrierVote
from bot.rituals.barriers.refresh import REFRESH, changed, show_changes
from bot.rituals.barriers.scrub import checkpoint, rewrite_cards
from bot.router import Ctx, Router
from bot.store.db import insert_ignore
from bot.store.models import Event, Member, Timer

log = logging.getLogger(__name__)

router = Router("barriers", anonymous=True)

MIN_CARDS = 3
SCRUB_TRIES = 10


@router.timer("barriers.refresh")
async def refresh(ctx: Ctx, timer: Timer) -> None:
    board = await ctx.session.get(BarrierBoard, int(timer.payload.get("board", 0)))
    if board is None or board.status == "closed":
        return
    board.flush_at = None
    await show_changes(ctx, board)


# -- opening and sharing ----------------------------------------------------------------------------------
@router.command(
    "barriers open",
    args=[Arg("prompt", "text", max_length=500, metavar="PROMPT")],
    options=[Opt("min", "int", min=2, max=100, metavar="N")],
    role=Role.FACILITATOR,
    help_key="barriers.help.open",
)
async def open_board(ctx: Ctx, args: Parsed) -> None:
    if await live_board(ctx) is not None:
        raise UserError("barriers.error.already_open")
    board = await open_on(ctx, ctx.event, prompt=args["prompt"], min_cards=args["min"] or MIN_CARDS)
    ctx.reply("barriers.opened", min=board.min_cards)


async def open_or_adopt(ctx: Ctx, event: Event, *, prompt: str | None, min_cards: int) -> BarrierBoard:
    """For a run sheet: a board still open in the event is this step's; a revealed one is closed first."""
    board = await live_board(ctx, event)
    if board is not None and board.status == "open":
        return board
    if board is not None:
        await _close(ctx, board)
    return await open_on(ctx, event, prompt=prompt, min_cards=min_cards)


async def open_on(ctx: Ctx, event: Event, *, prompt: str | None, min_cards: int) -> BarrierBoard:
    board = BarrierBoard(
        tenant_id=ctx.tenant,
        event_id=event.id,
        prompt=prompt or ctx.t_in(event.lang, "barriers.default_prompt"),
        min_cards=min_cards,
        status="open",
        secret=crypto.new_secret(),
        opened_at=ctx.now,
    )
    ctx.session.add(board)
    try:
        await ctx.session.flush()
    except IntegrityError:  # another `barriers open` in this event won the race
        raise UserError("barriers.error.already_open") from None
    ctx.post(
        board_message(words(ctx.core.catalog, event.lang), board),
        channel=event.channel_id,
        ref=board_ref(board),
    )
    return board


@router.command(
    "barriers share",
    args=[Arg("text", "text", required=True, max_length=4000, metavar="TEXT")],
    options=[Opt("category", "str", max_length=60, metavar="|".join(CATEGORIES))],
    role=Role.PARTICIPANT,
    help_key="barriers.help.share",
)
async def share(ctx: Ctx, args: Parsed) -> None:
    board = await require_board(ctx)
    await _add_card(ctx, board, args["text"], args["category"])


@router.button("barriers:form")
async def open_share_form(ctx: Ctx, rest: list[str]) -> None:
    board = await board_by_id(ctx, rest[0] if rest else None)
    await ctx.require_participant(await event_of(ctx, board))
    if board.status != "open":
        raise UserError("barriers.error.sharing_closed")
    defaults = [ctx.t_in(lang, "barriers.default_prompt") for lang in LANGUAGES]
    ctx.open_form(share_form(ctx.t, board, defaults))


@router.form("barriers:share")
async def submit_share_form(ctx: Ctx, rest: list[str], values: Mapping[str, str]) -> None:
    board = await board_by_id(ctx, rest[0] if rest else None)
    await ctx.require_participant(await event_of(ctx, board))
    await _add_card(ctx, board, values.get("text", ""), values.get("category"))


async def _add_card(ctx: Ctx, board: BarrierBoard, raw_text: str, raw_category: str | None) -> None:
    if board.status != "open":
        raise UserError("barriers.error.sharing_closed")
    text = clean_text(raw_text)
    category = parse_category(raw_category, ctx.core.catalog)
    card_id = crypto.new_card_id()
    card = BarrierCard(
        id=card_id,
        tenant_id=ctx.tenant,
        board_id=board.id,
        category=category,
        text=text,
        author=crypto.author_tag(board.secret, card_id, ctx.tenant, ctx.member.user_id),
    )
    ctx.session.add(card)
    await ctx.session.flush()
    await changed(ctx, board)
    ctx.reply("barriers.shared", category=ctx.t(f"barriers.category.{category}"))


# -- withdrawing one's own card ---------------------------------------------------------------------------
@router.command(
    "barriers withdraw",
    args=[Arg("index", "number", metavar="N", min=1, error_key="barriers.error.bad_number")],
    role=Role.PARTICIPANT,
    help_key="barriers.help.withdraw",
)
async def withdraw(ctx: Ctx, args: Parsed) -> None:
    board = await require_board(ctx)
    if board.status != "open":
        raise UserError("barriers.error.withdraw_closed")
    mine = await own_cards(ctx, board)
    raw = args["index"]
    if raw is None:
        ctx.reply_message(mine_message(ctx.t, mine))
        return
    if raw > len(mine):
        raise UserError("barriers.error.not_yours", index=raw)
    await _withdraw(ctx, board, mine[raw - 1])


@router.button("barriers:mine")
async def list_mine(ctx: Ctx, rest: list[str]) -> None:
    board = await board_by_id(ctx, rest[0] if rest else None)
    if board.status != "open":
        raise UserError("barriers.error.withdraw_closed")
    ctx.reply_message(mine_message(ctx.t, await own_cards(ctx, board)))


@router.button("barriers:withdraw")
async def withdraw_button(ctx: Ctx, rest: list[str]) -> None:
    card = await ctx.session.get(BarrierCard, rest[0]) if rest else None
    if card is None or card.tenant_id != ctx.tenant:
        raise UserError("core.error.stale_button")
    board = await board_by_id(ctx, str(card.board_id))
    if board.status != "open":
        raise UserError("barriers.error.withdraw_closed")
    if card.id not in {mine.id for mine in await own_cards(ctx, board)}:
        raise UserError("core.error.stale_button")
    await _withdraw(ctx, board, card)


async def _withdraw(ctx: Ctx, board: BarrierBoard, card: BarrierCard) -> None:
    # With secure_delete on (bot/store/db.py) SQLite zeroes the deleted row in its page.
    await ctx.session.exec(delete(BarrierVote).where(BarrierVote.card_id == card.id))
    await ctx.session.exec(delete(BarrierCard).where(BarrierCard.id == card.id))
    await changed(ctx, board)
    ctx.reply("barriers.withdrawn")


# -- the reveal -------------------------------------------------------------------------------------------
@router.command("barriers reveal", role=Role.FACILITATOR, help_key="barriers.help.reveal")
async def reveal(ctx: Ctx, args: Parsed) -> None:
    board = await require_board(ctx)
    if board.status == "revealed":
        raise UserError("barriers.error.already_revealed", count=board.shown_count)
    if board.shown_count < board.min_cards:
        # Decided on the count the board shows, which changes only on the one-minute grid, never on the
        # live one: asking again and again must not tell the facilitator the moment the last card came in.
        # Cards withdrawn since the last refresh are simply not shown, even if fewer than --min remain.
        raise UserError("barriers.error.too_few", min=board.min_cards, shown=board.shown_count)
    await reveal_board(ctx, ctx.event, board)
    ctx.reply("barriers.reveal.facilitator")


async def reveal_board(ctx: Ctx, event: Event, board: BarrierBoard) -> None:
    """Show every card together, shuffled (the caller has checked the shown count against the minimum);
    then `board_revealed(ctx, event, board)` is signalled (a run sheet moves on)."""
    cards = await cards_of(ctx, board)
    # One draw from the OS CSPRNG; categories keep the shuffled order inside them; numbers follow the
    # order people see, so a number says nothing about who or when.
    numbers: dict[str, int] = {}
    for _category, members in grouped(crypto.shuffled(cards)):
        for card in members:
            numbers[card.id] = len(numbers) + 1
    # Every card is written again with a new id, no author tag, in another random order: where a row sits
    # in the file, and its id, no longer follow the order people shared in (scrub.py).
    cards = await rewrite_cards(ctx.session, cards, numbers)
    board.status = "revealed"
    board.shown_count = len(cards)
    await ctx.session.flush()  # a refresh already armed stays: it will show the first "me too" counts
    # The old rows are gone; truncate SQLite's write-ahead log so no older copy of a page keeps them (cheap,
    # no lock on anyone's tables). PostgreSQL's rewrite of the tables' files (VACUUM FULL) locks the
    # barrier tables of every event while it runs, and "me too" presses everywhere queued behind it: it is
    # done once, at the close (`barriers close` or `event end`), when the secret goes and the board's
    # rows become what anyone holding the database could read back. Until then the live board's secret
    # and vote tags are there anyway (README: "While a board is open or revealed").
    if ctx.core.store.is_sqlite:
        await ctx.schedule("barriers.scrub", ctx.now, {"try": 0})
    t = words(ctx.core.catalog, event.lang)
    ctx.update(board_ref(board), board_message(t, board))
    ctx.post(
        Message(t("barriers.reveal.header", prompt=prompt_words(t, board), count=board.shown_count)),
        channel=event.channel_id,
    )
    for category, members in grouped(sorted(cards, key=lambda c: c.number)):
        ctx.post(
            category_message(t, category, members, voting=True),
            channel=event.channel_id,
            ref=category_ref(board, category),
        )
    await ctx.emit("board_revealed", event=event, board=board)


# -- me too -----------------------------------------------------------------------------------------------
@router.button("barriers:metoo")
async def metoo_button(ctx: Ctx, rest: list[str]) -> None:
    card = await ctx.session.get(BarrierCard, rest[0]) if rest else None
    if card is None or card.tenant_id != ctx.tenant:
        raise UserError("core.error.stale_button")
    board = await board_by_id(ctx, str(card.board_id))
    await _metoo(ctx, board, card)


@router.command(
    "barriers metoo",
    args=[Arg("number", "number", required=True, metavar="N", min=1, error_key="barriers.error.bad_number")],
    role=Role.PARTICIPANT,
    help_key="barriers.help.metoo",
)
async def metoo_command(ctx: Ctx, args: Parsed) -> None:
    board = await require_board(ctx)
    if board.status != "revealed":
        raise UserError("barriers.error.not_revealed")
    await _metoo(ctx, board, await card_by_number(ctx, board, args["number"]))


async def _metoo(ctx: Ctx, board: BarrierBoard, card: BarrierCard) -> None:
    await ctx.require_participant(await event_of(ctx, board))
    if board.status != "revealed":
        raise UserError("barriers.error.not_revealed")
    if card.hidden:
        raise UserError("barriers.error.hidden", number=card.number)
    voter = crypto.voter_tag(board.secret, card.id, ctx.tenant, ctx.member.user_id)
    added = await insert_ignore(
        ctx.session,
        BarrierVote,
        {"card_id": card.id, "tenant_id": ctx.tenant, "voter": voter},
        ["card_id", "voter"],
    )
    if not added:
        ctx.reply("barriers.metoo_already", number=card.number)
        return
    await changed(ctx, board)
    ctx.reply("barriers.metoo_counted", number=card.number)


# -- hiding -----------------------------------------------------------------------------------------------
@router.command(
    "barriers hide",
    args=[Arg("number", "number", required=True, metavar="N", min=1, error_key="barriers.error.bad_number")],
    role=Role.FACILITATOR,
    help_key="barriers.help.hide",
)
async def hide(ctx: Ctx, args: Parsed) -> None:
    board = await require_board(ctx)
    if board.status != "revealed":
        raise UserError("barriers.error.not_revealed")
    card = await card_by_number(ctx, board, args["number"])
    if card.hidden:
        ctx.reply("barriers.already_hidden", number=card.number)
        return
    card.hidden = True
    await ctx.session.flush()
    members = [c for c in await cards_of(ctx, board) if c.category == card.category]
    t = words(ctx.core.catalog, ctx.event.lang)
    ctx.update(category_ref(board, card.category), category_message(t, card.category, members, voting=True))
    ctx.reply("barriers.hidden", number=card.number)


# -- export -----------------------------------------------------------------------------------------------
@router.command("barriers export", role=Role.FACILITATOR, help_key="barriers.help.export")
async def export(ctx: Ctx, args: Parsed) -> None:
    """The newest revealed board of this event, live or closed: words, categories and shown counts only."""
    boards = await ctx.session.exec(
        select(BarrierBoard)
        .where(BarrierBoard.event_id == ctx.event.id, BarrierBoard.status != "open")
        .order_by(col(BarrierBoard.id).desc())
    )
    for board in boards.all():
        cards = await cards_of(ctx, board)
        if cards:  # a board closed before its reveal has none: look further back
            ctx.reply_message(export_message(ctx.t, cards))
            return
    raise UserError("barriers.error.no_export")


# -- closing: the key is destroyed ------------------------------------------------------------------------
@router.command("barriers close", role=Role.FACILITATOR, help_key="barriers.help.close")
async def close(ctx: Ctx, args: Parsed) -> None:
    await _close(ctx, await require_board(ctx))


@router.on("event_ended")
async def close_with_event(ctx: Ctx, event: Event, plan: str) -> None:
    board = await live_board(ctx, event)
    if board is not None:
        await _close(ctx, board)


async def _close(ctx: Ctx, board: BarrierBoard) -> None:
    event = await event_of(ctx, board)
    t = words(ctx.core.catalog, event.lang)
    cards = await cards_of(ctx, board)
    card_ids = [card.id for card in cards]
    if board.status == "open":
        # Never revealed: people shared on the promise of being shown together, so nobody reads them.
        if card_ids:
            await ctx.session.exec(delete(BarrierVote).where(col(BarrierVote.card_id).in_(card_ids)))
            await ctx.session.exec(delete(BarrierCard).where(BarrierCard.board_id == board.id))
        summary = t("barriers.closed.unrevealed", count=len(cards))
    else:
        votes = await vote_counts(ctx, cards)
        for card in cards:
            card.metoo = votes.get(card.id, 0)  # the final counts, folded in before the votes go
            card.author = None
        if card_ids:
            await ctx.session.exec(delete(BarrierVote).where(col(BarrierVote.card_id).in_(card_ids)))
        await ctx.session.flush()
        for category, members in grouped(sorted(cards, key=lambda c: c.number or 0)):
            ctx.update(category_ref(board, category), category_message(t, category, members, voting=False))
        summary = t("barriers.closed.revealed", count=len(cards))
    board.secret = None  # from here on no author or voter tag can be recomputed, by anyone
    board.status = "closed"
    board.flush_at = None
    await ctx.cancel_timers(f"barriers:refresh:{board.id}:")
    # Old copies of the secret can linger in SQLite's write-ahead log until it is checkpointed and
    # truncated, which must happen after this transaction commits: a timer does it, durably.
    await ctx.schedule("barriers.scrub", ctx.now, {"try": 0})
    ctx.update(board_ref(board), board_message(t, board))
    ctx.post(Message(summary), channel=event.channel_id)


@router.timer("barriers.scrub")
async def scrub(ctx: Ctx, timer: Timer) -> None:
    if await checkpoint(ctx.core.store):
        return
    tries = int(timer.payload.get("try", 0)) + 1
    if tries < SCRUB_TRIES:  # a reader held the log, a lock or old row versions: try again in a minute
        await ctx.schedule("barriers.scrub", ctx.now + REFRESH, {"try": tries})
    else:
        log.warning(
            "old copies of barrier rows may remain after %d tries: on PostgreSQL run "
            "VACUUM FULL barrier_card, barrier_vote, barrier_board; on SQLite PRAGMA wal_checkpoint(TRUNCATE)",
            tries,
        )


# -- forgetting a person ----------------------------------------------------------------------------------
@router.on("member_forgotten")
async def forget(ctx: Ctx, member: Member) -> None:
    """While a board is live its secret can still recognise someone: drop their cards and votes there."""
    boards = (
        await ctx.session.exec(
            select(BarrierBoard).where(BarrierBoard.tenant_id == ctx.tenant, BarrierBoard.status != "closed")
        )
    ).all()
    for board in boards:
        dropped = False
        if board.status == "open":
            for card in await own_cards(ctx, board, member):
                await ctx.session.exec(delete(BarrierCard).where(BarrierCard.id == card.id))
                dropped = True
        else:
            for card in await cards_of(ctx, board):
                voter = crypto.voter_tag(board.secret, card.id, ctx.tenant, member.user_id)
                result = await ctx.session.exec(
                    delete(BarrierVote).where(BarrierVote.card_id == card.id, BarrierVote.voter == voter)
                )
                dropped = dropped or bool(result.rowcount)
        if dropped:
            await changed(ctx, board)
