"""The room at a glance: `event status`, and the list of what is live that `event end` asks about.

A facilitator sees the people (joined, away, languages, profiles) and every live ritual; a participant
sees their own place. Other rituals add their own lines through the `status_requested` signal, and their
own live parts to the end's confirmation through `end_requested` (bot/router.py).

A barrier board is shown by its count only, the count the board itself shows (`shown_count`, which moves
in batches): a status asked for right after someone shared must not tell anyone more than the board does.
"""

from __future__ import annotations

import math

from sqlmodel import col, func, select

from bot.actions import Message
from bot.commands import Parsed
from bot.errors import UserError
from bot.markup import bold, mention, user_text
from bot.rituals.barriers.models import BarrierBoard
from bot.rituals.oneonone.models import OneOnOne
from bot.rituals.pairing.models import PairingRound, PairingSeat
from bot.rituals.pairing.rounds import unsent_rounds
from bot.rituals.turns.announce import round_progress
from bot.rituals.turns.round import live_round_of_event
from bot.router import Ctx, Router
from bot.steps import engine
from bot.steps.models import LIVE, StepRun
from bot.store.models import Event, Member, Participant

router = Router("room")

PROFILE_FIELDS = ("organisation", "region", "generation", "role", "languages", "interests")
# Away people named one by one up to here; past it, the count says enough.
AWAY_NAMED = 10


def joined(ctx: Ctx, lang: str, items: list[str]) -> str:
    return ctx.t_in(lang, "room.comma").join(items)


def minutes_of(seconds: int) -> int:
    """Whole minutes, rounded up: "about 1 minute" rather than "about 0" for the last seconds."""
    return max(1, math.ceil(seconds / 60))


# -- the facilitator's view -------------------------------------------------------------------------------
async def people_lines(ctx: Ctx, event: Event, lang: str) -> list[str]:
    rows = (
        await ctx.session.exec(
            select(Participant, Member.user_id)
            .join(Member, col(Member.id) == Participant.member_id)
            .where(Participant.event_id == event.id, Participant.status != "left")
            .order_by(col(Participant.joined_at), col(Participant.id))
        )
    ).all()
    if not rows:
        return [ctx.t_in(lang, "room.nobody")]
    away = [user_id for participant, user_id in rows if participant.status == "away"]
    lines = [ctx.t_in(lang, "room.people", count=len(rows), present=len(rows) - len(away), away=len(away))]
    if away:
        named = ctx.people_in(lang, [mention(user_id) for user_id in away[:AWAY_NAMED]])
        if len(away) > AWAY_NAMED:
            lines.append(ctx.t_in(lang, "room.away_more", people=named, count=len(away) - AWAY_NAMED))
        else:
            lines.append(ctx.t_in(lang, "room.away", people=named))
    languages: dict[str, int] = {}
    unknown = 0
    filled = 0
    for participant, _ in rows:
        codes = [c.strip() for c in (participant.languages or "").split(",") if c.strip()]
        for code in dict.fromkeys(codes):
            languages[code] = languages.get(code, 0) + 1
        unknown += not codes
        filled += any(getattr(participant, name) for name in PROFILE_FIELDS)
    if languages:
        mix = [
            ctx.t_in(lang, "room.language", code=user_text(code), count=count)
            for code, count in sorted(languages.items(), key=lambda item: (-item[1], item[0]))
        ]
        if unknown:
            mix.append(ctx.t_in(lang, "room.language_unknown", count=unknown))
        lines.append(ctx.t_in(lang, "room.languages", mix=joined(ctx, lang, mix)))
    else:
        lines.append(ctx.t_in(lang, "room.no_languages"))
    lines.append(ctx.t_in(lang, "room.profiles", count=filled, total=len(rows)))
    return lines


async def turns_line(ctx: Ctx, event: Event, lang: str) -> str | None:
    run = await live_round_of_event(ctx, event)
    step = await engine.current_step(ctx, run) if run else None
    if run is None or step is None:
        return None
    number, count, seconds = await round_progress(ctx, run, step)
    key = "room.turns_paused" if run.status == "paused" else "room.turns"
    return ctx.t_in(lang, key, number=number, count=count, minutes=minutes_of(seconds))


async def live_board(ctx: Ctx, event: Event) -> BarrierBoard | None:
    return (
        await ctx.session.exec(
            select(BarrierBoard).where(BarrierBoard.event_id == event.id, BarrierBoard.status != "closed")
        )
    ).first()


async def board_line(ctx: Ctx, event: Event, lang: str) -> str | None:
    board = await live_board(ctx, event)
    if board is None:
        return None
    if board.status == "open":
        return ctx.t_in(lang, "room.board_open", count=board.shown_count, min=board.min_cards)
    return ctx.t_in(lang, "room.board_revealed", count=board.shown_count)


async def sent_round(ctx: Ctx, event: Event) -> PairingRound | None:
    """The pairs round people are sitting in now: the newest one sent."""
    return (
        await ctx.session.exec(
            select(PairingRound)
            .where(PairingRound.event_id == event.id, PairingRound.status == "sent")
            .order_by(col(PairingRound.number).desc())
        )
    ).first()


async def pairs_lines(ctx: Ctx, event: Event, lang: str) -> list[str]:
    lines = []
    row = await sent_round(ctx, event)
    if row is not None:
        groups = (
            await ctx.session.exec(
                select(func.count(func.distinct(PairingSeat.group_no))).where(PairingSeat.round_id == row.id)
            )
        ).one()
        lines.append(ctx.t_in(lang, "room.pairs", number=row.number, groups=groups))
    unsent = await unsent_rounds(ctx, event)
    if unsent:
        lines.append(ctx.t_in(lang, "room.pairs_waiting", count=len(unsent)))
    return lines


async def live_oneonones(ctx: Ctx, event: Event) -> int:
    return (
        await ctx.session.exec(
            select(func.count(StepRun.id)).where(
                StepRun.tenant_id == ctx.tenant,
                StepRun.ritual == "oneonone",
                StepRun.event_id == event.id,
                col(StepRun.status).in_(LIVE),
            )
        )
    ).one()


async def live_lines(ctx: Ctx, event: Event, lang: str) -> list[str]:
    live = [line for line in [await turns_line(ctx, event, lang), await board_line(ctx, event, lang)] if line]
    live += await pairs_lines(ctx, event, lang)
    oneonones = await live_oneonones(ctx, event)
    if oneonones:
        live.append(ctx.t_in(lang, "room.oneonones", count=oneonones))
    return live


# -- a participant's own place ----------------------------------------------------------------------------
async def own_turn_line(ctx: Ctx, event: Event, member: Member, lang: str) -> str | None:
    run = await live_round_of_event(ctx, event)
    step = await engine.current_step(ctx, run) if run else None
    if run is None or step is None:
        return None
    if step.member_id == member.id:
        left = engine.time_left(run, ctx.now) or 0
        return ctx.t_in(lang, "room.you_speak_now", minutes=minutes_of(left))
    waiting = await engine.pending_steps(ctx, run)
    ahead = 0
    wait = engine.time_left(run, ctx.now) or 0
    for pending in waiting:
        if pending.member_id == member.id:
            if not ahead:
                return ctx.t_in(lang, "room.you_next", minutes=minutes_of(wait))
            # Those before them, the one speaking now included.
            return ctx.t_in(lang, "room.you_wait", count=ahead + 1, minutes=minutes_of(wait))
        ahead += 1
        wait += pending.seconds or 0
    return ctx.t_in(lang, "room.you_listen")


async def own_group_line(ctx: Ctx, event: Event, member: Member, lang: str) -> str | None:
    row = await sent_round(ctx, event)
    if row is None:
        return None
    group = (
        await ctx.session.exec(
            select(PairingSeat.group_no).where(
                PairingSeat.round_id == row.id, PairingSeat.member_id == member.id
            )
        )
    ).first()
    if group is None:
        return ctx.t_in(lang, "room.you_not_paired", number=row.number)
    others = (
        await ctx.session.exec(
            select(Member.user_id)
            .join(PairingSeat, col(PairingSeat.member_id) == Member.id)
            .where(
                PairingSeat.round_id == row.id,
                PairingSeat.group_no == group,
                PairingSeat.member_id != member.id,
            )
            .order_by(col(Member.id))
        )
    ).all()
    if not others:
        return None
    people = ctx.people_in(lang, [mention(u) for u in others])
    return ctx.t_in(lang, "room.your_group", number=row.number, people=people)


async def participant_lines(ctx: Ctx, event: Event, participant: Participant, lang: str) -> list[str]:
    member = ctx.member
    lines = [ctx.t_in(lang, "room.you_away" if participant.status == "away" else "room.you_here")]
    for line in (
        await own_turn_line(ctx, event, member, lang),
        await own_group_line(ctx, event, member, lang),
    ):
        if line:
            lines.append(line)
    session = (
        await ctx.session.exec(
            select(OneOnOne.id)
            .join(StepRun, col(StepRun.id) == OneOnOne.run_id)
            .where(
                StepRun.event_id == event.id,
                col(StepRun.status).in_(LIVE),
                (OneOnOne.starter_id == member.id) | (OneOnOne.partner_id == member.id),
            )
        )
    ).first()
    if session is not None:
        lines.append(ctx.t_in(lang, "room.you_oneonone"))
    return lines


# -- the command --------------------------------------------------------------------------------------------
@router.command("event status", help_key="room.help.status")
async def status(ctx: Ctx, args: Parsed) -> None:
    event, lang = ctx.event, ctx.locale
    facilitator = await ctx.is_facilitator()
    participant = await ctx.participant()
    if not facilitator and participant is None:
        raise UserError("core.error.join_first")
    head = ctx.t_in(lang, "room.title", event=bold(user_text(event.name)))
    live: list[str] = []
    if facilitator:
        live = await live_lines(ctx, event, lang)
        lines = await people_lines(ctx, event, lang) + live
    else:
        lines = await participant_lines(ctx, event, participant, lang)
    before = len(lines)
    # Other rituals (a run sheet, small-group talk) add their own lines, in the reader's language.
    await ctx.emit("status_requested", event=event, viewer=ctx.member, lines=lines)
    if facilitator and not live and len(lines) == before:
        lines.append(ctx.t_in(lang, "room.nothing_live"))
    ctx.reply_message(Message("\n".join([head, *lines])))


# -- what `event end` would stop ------------------------------------------------------------------------------
async def what_is_live(ctx: Ctx, event: Event, lang: str) -> list[str]:
    """One line for each live part of the event that ending it stops (or leaves running), in `lang`;
    other rituals add theirs through `end_requested`."""
    live = []
    run = await live_round_of_event(ctx, event)
    if run is not None:
        step = await engine.current_step(ctx, run)
        if step is not None:
            number, count, _ = await round_progress(ctx, run, step)
            live.append(ctx.t_in(lang, "room.end.turns", number=number, count=count))
    board = await live_board(ctx, event)
    if board is not None:
        key = "room.end.board_open" if board.status == "open" else "room.end.board_revealed"
        live.append(ctx.t_in(lang, key, count=board.shown_count))
    unsent = await unsent_rounds(ctx, event)
    if unsent:
        live.append(ctx.t_in(lang, "room.end.pairs", count=len(unsent)))
    oneonones = await live_oneonones(ctx, event)
    if oneonones:
        live.append(ctx.t_in(lang, "room.end.oneonones", count=oneonones))
    await ctx.emit("end_requested", event=event, live=live)
    return live
