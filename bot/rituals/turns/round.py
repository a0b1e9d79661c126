"""Starting a round of turns: who speaks, in what order, for how long, and the checks before anyone does.

A round is a step run of ritual "turns": one `turn` step per speaker. The order is shuffled by a seeded
RNG whose seed is stored with the round, so the order can be explained afterwards.
"""

from __future__ import annotations

import random

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.actions import Message
from bot.errors import UserError
from bot.markup import mention
from bot.router import Ctx
from bot.steps import engine
from bot.steps.models import LIVE, StepRun
from bot.steps.words import length
from bot.store.models import Event, Member, Participant

from .announce import ANNOUNCER

DEFAULT_SECONDS = 180
MIN_SECONDS = 30
MAX_SECONDS = 30 * 60
# Past this a round is an afternoon of listening (30 people at 3 minutes is 90 minutes): the facilitator
# is asked to split the room into groups, each with a round of its own, rather than sit through it.
MAX_SPEAKERS = 30


async def live_round(ctx: Ctx, channel: str | None) -> StepRun | None:
    if channel is None:
        return None
    return (
        await ctx.session.exec(
            select(StepRun).where(
                StepRun.tenant_id == ctx.tenant,
                StepRun.ritual == "turns",
                StepRun.channel_id == channel,
                col(StepRun.status).in_(LIVE),
            )
        )
    ).first()


_LIVE_ROUND = select(StepRun).where(
    StepRun.tenant_id == bindparam("tenant"),
    StepRun.ritual == "turns",
    StepRun.event_id == bindparam("event"),
    col(StepRun.status).in_(LIVE),
)
"""Asked on every join (a late joiner's turn) and most turn commands: built once."""


async def live_round_of_event(ctx: Ctx, event: Event) -> StepRun | None:
    return (await ctx.session.exec(_LIVE_ROUND, params={"tenant": ctx.tenant, "event": event.id})).first()


async def present_participants(ctx: Ctx, event: Event) -> list[Member]:
    rows = await ctx.session.exec(
        select(Member)
        .join(Participant, col(Participant.member_id) == Member.id)
        .where(Participant.event_id == event.id, Participant.status == "present")
        .order_by(col(Participant.joined_at), col(Participant.id))
    )
    return list(rows.all())


async def speakers(ctx: Ctx, event: Event, names: list[str]) -> tuple[list[Member], bool]:
    """The named people (each once, as named), or everyone present; and whether the round is open to
    late joiners (it is when nobody was named)."""
    if len(names) > MAX_SPEAKERS:
        raise too_many(len(names))
    if not names:
        return await present_participants(ctx, event), True
    chosen: dict[int, Member] = {}
    for member in await ctx.resolve_users(names):
        chosen.setdefault(member.id, member)
    return list(chosen.values()), False


def too_many(count: int) -> UserError:
    return UserError("turns.error.too_many", count=count, max=MAX_SPEAKERS)


async def start_round(
    ctx: Ctx,
    event: Event,
    members: list[Member],
    *,
    seconds: int = DEFAULT_SECONDS,
    order: str = "random",
    open_round: bool = True,
    mute_others: bool = False,
) -> StepRun:
    """Check, order and begin a round; the first speaker is announced at once."""
    running = await live_round(ctx, event.channel_id)
    if running is not None:
        raise UserError("turns.error.running")
    if not members:
        raise UserError("turns.error.nobody")
    if len(members) == 1:
        raise UserError("turns.error.alone", user=mention(members[0].user_id))
    if len(members) > MAX_SPEAKERS:
        raise too_many(len(members))
    seed = None
    if order == "random":
        seed = random.SystemRandom().randrange(2**31)
        members = shuffled(members, seed)
    try:
        run = await engine.create(
            ctx,
            ritual="turns",
            lang=event.lang,
            channel_id=event.channel_id,
            event_id=event.id,
            started_by=ctx.member.id if ctx.member else None,
            options={
                "order": order,
                "seed": seed,
                "open": open_round,
                "seconds": seconds,
                "mute_others": mute_others,
            },
        )
    except IntegrityError:  # another facilitator's round in this channel won the race
        raise UserError("turns.error.running") from None
    await engine.add_turns(ctx, run, [member.id for member in members], seconds=seconds)
    key = "turns.opening_random" if order == "random" else "turns.opening_given"
    ctx.post(
        Message(
            ctx.t_in(
                event.lang,
                key,
                count=len(members),
                length=length(ctx, event.lang, seconds),
                total=length(ctx, event.lang, seconds * len(members)),
                order=ctx.people_in(event.lang, [mention(m.user_id) for m in members]),
            )
        ),
        channel=event.channel_id,
    )
    await engine.begin(ctx, run, ANNOUNCER)
    return run


def shuffled(members: list[Member], seed: int) -> list[Member]:
    """The same members and seed always give the same order (members sorted by id first)."""
    ordered = sorted(members, key=lambda m: m.id)
    random.Random(seed).shuffle(ordered)
    return ordered
