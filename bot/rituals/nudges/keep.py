"""Keep talking, without fear of rejection: the week-later nudge asks each person privately, for each
person they met, "would you like to keep talking?". A yes is stored as a private act of that person's own
nudge; only when both of a pair have said yes are both told, together, with a 15-minute chat proposed in
each one's own time zone. A yes that is not returned is never shown: no message, no count, no report
figure (the report counts only the mutual record)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.actions import Button, Message
from bot.errors import UserError
from bot.markup import bold, mention
from bot.rituals.nudges.models import Nudge, NudgeAction
from bot.rituals.nudges.plans import zone_of
from bot.router import Ctx
from bot.store.db import insert_ignore
from bot.store.models import Connection, Event, Member

log = logging.getLogger(__name__)

CHAT_MINUTES = 15
# A proposed time both can keep: within these hours in each one's own zone, first tried narrowly.
WINDOWS = ((10, 20), (9, 21), (8, 22))
LOOK_AHEAD_HOURS = 72


def proposed_time(now: datetime, a: ZoneInfo, b: ZoneInfo) -> datetime:
    """The first whole hour from tomorrow that is daytime for both (widening the day if their zones are
    far apart); at worst tomorrow at this hour."""
    start = (now + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    for low, high in WINDOWS:
        for hour in range(LOOK_AHEAD_HOURS):
            at = start + timedelta(hours=hour)
            if all(low <= at.astimezone(zone).hour < high for zone in (a, b)):
                return at
    return start


async def _said_yes(ctx: Ctx, event: Event, member_id: int, other_id: int) -> bool:
    found = await ctx.session.exec(
        select(NudgeAction.id)
        .join(Nudge, col(Nudge.id) == col(NudgeAction.nudge_id))
        .where(
            Nudge.event_id == event.id,
            Nudge.member_id == member_id,
            NudgeAction.other_id == other_id,
            NudgeAction.verb == "keep",
        )
    )
    return found.first() is not None


async def record_once(ctx: Ctx, nudge: Nudge, other: Member, verb: str) -> bool:
    """Record an act on a nudge; False if it was recorded already (a double click, a retried request)."""
    inserted = await insert_ignore(
        ctx.session,
        NudgeAction,
        {"tenant_id": ctx.tenant, "nudge_id": nudge.id, "other_id": other.id, "verb": verb, "at": ctx.now},
        ["nudge_id", "other_id", "verb"],
    )
    return inserted == 1


async def say_yes(ctx: Ctx, nudge: Nudge, event: Event, other: Member) -> None:
    """The caller would like to keep talking with `other`."""
    me = ctx.member
    low, high = sorted((me.id, other.id))
    # Both yeses of a pair pass through the pair's ledger row, locked (PostgreSQL; SQLite has one writer
    # anyway), so two people pressing at once still find each other's yes and are told exactly once.
    await ctx.session.exec(
        select(Connection.id)
        .where(
            Connection.tenant_id == ctx.tenant, Connection.member_a_id == low, Connection.member_b_id == high
        )
        .with_for_update()
    )
    await record_once(ctx, nudge, other, "keep")
    if not await _said_yes(ctx, event, other.id, me.id):
        # The same words whether the other has not answered yet or never will.
        ctx.reply("nudges.keep.noted", name=mention(other.user_id))
        return
    if not await record_once(ctx, nudge, other, "mutual"):
        raise UserError("nudges.keep.already", name=mention(other.user_id))
    log.info("a mutual keep-talking yes after event %s", event.id)
    await ctx.emit("chat_accepted", event=event, proposer=other, partner=me)
    guided = "oneonone" in ctx.core.specs
    lang = await ctx.language_for(
        other, event
    )  # the one who said yes first hears it in their language; a group DM has one
    zone_me = zone_of(me.tz, me.tz_hint, event.tz)
    zone_other = zone_of(other.tz, other.tz_hint, event.tz)
    at = proposed_time(ctx.now, zone_other, zone_me)
    hint = "nudges.keep.oneonone_hint" if guided else "nudges.keep.meet_hint"
    text = ctx.t_in(
        lang,
        "nudges.keep.mutual",
        first=mention(other.user_id),
        second=mention(me.user_id),
        event=bold(event.name),
        minutes=CHAT_MINUTES,
        time_first=at.astimezone(zone_other).strftime("%Y-%m-%d %H:%M"),
        zone_first=zone_other.key,
        time_second=at.astimezone(zone_me).strftime("%Y-%m-%d %H:%M"),
        zone_second=zone_me.key,
        hint=ctx.t_in(lang, hint),
    )
    buttons = (
        (Button(ctx.t_in(lang, "nudges.warm.start_oneonone"), f"oneonone:pair:{other.id}:{me.id}"),)
        if guided
        else ()
    )
    ctx.dm([other.user_id, me.user_id], Message(text, buttons=buttons))
