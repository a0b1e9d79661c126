"""The nudges ritual: a plan per event, consent (`nudges on|off|status`, stop, not now) and what each
nudge's buttons do: a thank-you note delivered to the other person, a 15-minute chat proposed and
accepted."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import col, delete, or_, select

from bot.actions import Button, DirectMessage, Form, Input, Message
from bot.commands import Arg, Parsed
from bot.errors import UserError
from bot.markup import bold, clock_time, mention, user_text
from bot.rituals.nudges.keep import record_once, say_yes
from bot.rituals.nudges.meetings import by_member, connections_at
from bot.rituals.nudges.messages import name_of
from bot.rituals.nudges.models import Nudge, NudgeAction
from bot.rituals.nudges.plans import load_plans, zone_of
from bot.rituals.nudges.schedule import TIMER_KIND, plan_event, reschedule, when_for
from bot.rituals.nudges.sender import sender_for
from bot.router import Ctx, Router
from bot.store.models import Event, Member, Timer

router = Router("nudges")

NOTE_MAX = 1000
MAX_SNOOZES = 3
STEP_KEYS = {"thanks": "nudges.step.thanks", "warm": "nudges.step.warm", "stage": "nudges.step.stage"}


# -- the plan ---------------------------------------------------------------------------------------------
@router.on("event_ended")
async def on_event_ended(ctx: Ctx, event: Event, plan: str) -> None:
    counts = await plan_event(ctx, event, plan)
    lang = ctx.event_locale(event)
    if not load_plans().steps(plan):
        ctx.post(Message(ctx.t_in(lang, "nudges.plan_off")), channel=event.channel_id)
    elif counts["pending"] or counts["skipped"]:
        ctx.post(Message(ctx.t_in(lang, f"nudges.plan.{plan}")), channel=event.channel_id)


@router.timer(TIMER_KIND)
async def on_due(ctx: Ctx, timer: Timer) -> None:
    # Delivers everything due, not only this row: one wake-up fans out all that fell due together.
    await sender_for(ctx.core).drain()


@router.on("member_forgotten")
async def on_forgotten(ctx: Ctx, member: Member) -> None:
    mine = select(Nudge.id).where(Nudge.member_id == member.id)
    await ctx.session.exec(
        delete(NudgeAction).where(or_(col(NudgeAction.nudge_id).in_(mine), NudgeAction.other_id == member.id))
    )
    await ctx.session.exec(delete(Nudge).where(Nudge.member_id == member.id))


# -- consent ----------------------------------------------------------------------------------------------
@router.command(
    "nudges",
    args=[Arg("mode", "word", choices=("on", "off", "status"))],
    needs_event=False,
    help_key="nudges.help.nudges",
)
async def nudges_command(ctx: Ctx, args: Parsed) -> None:
    mode = args["mode"] or "status"
    member = ctx.member
    if mode == "on":
        member.nudges_enabled = True
        await _resume(ctx, member)
        ctx.reply("nudges.on")
    elif mode == "off":
        await _stop(ctx, member)
        ctx.reply("nudges.off")
    else:
        await _status(ctx, member)


async def _stop(ctx: Ctx, member: Member) -> int:
    member.nudges_enabled = False
    rows = (
        await ctx.session.exec(select(Nudge).where(Nudge.member_id == member.id, Nudge.status == "pending"))
    ).all()
    timer_ids = [row.timer_id for row in rows if row.timer_id is not None]
    for row in rows:
        row.status, row.reason = "stopped", "opted_out"
    await ctx.cancel_timer_ids(timer_ids)
    return len(rows)


async def _resume(ctx: Ctx, member: Member) -> int:
    """Nudges stopped earlier whose moment is still ahead come back (a past one stays stopped)."""
    rows = (
        await ctx.session.exec(
            select(Nudge).where(
                Nudge.member_id == member.id,
                Nudge.status == "stopped",
                col(Nudge.due_at) > ctx.now,
                col(Nudge.expires_at) > ctx.now,
            )
        )
    ).all()
    for row in rows:
        row.reason = None
        await reschedule(ctx, row, row.due_at)
    return len(rows)


async def _status(ctx: Ctx, member: Member) -> None:
    waiting = (
        await ctx.session.exec(
            select(Nudge)
            .where(Nudge.member_id == member.id, Nudge.status == "pending")
            .order_by(col(Nudge.due_at))
        )
    ).all()
    state = ctx.t("nudges.status_on" if member.nudges_enabled else "nudges.status_off")
    if not waiting:
        ctx.reply_message(Message(state + "\n" + ctx.t("nudges.status_none")))
        return
    first = waiting[0]
    event = await ctx.session.get(Event, first.event_id)
    zone = zone_of(member.tz, member.tz_hint, event.tz if event else None)
    local = first.due_at.astimezone(zone)
    ctx.reply_message(
        Message(
            state
            + "\n"
            + ctx.t(
                "nudges.status_next",
                count=len(waiting),
                step=ctx.t(STEP_KEYS[first.step]),
                event=bold(user_text(event.name) if event else "?"),
                when=local.strftime("%Y-%m-%d %H:%M"),
                zone=zone.key,
            )
        )
    )


async def _own_nudge(ctx: Ctx, rest: list[str]) -> tuple[Nudge, Event]:
    """The nudge a button names, if it is the caller's and the plan is still running."""
    nudge_id = int(rest[0]) if rest and rest[0].isdigit() else None
    nudge = await ctx.session.get(Nudge, nudge_id) if nudge_id else None
    if nudge is None or nudge.tenant_id != ctx.tenant or nudge.member_id != ctx.member.id:
        raise UserError("core.error.stale_button")
    event = await ctx.session.get(Event, nudge.event_id)
    if event is None:
        raise UserError("core.error.stale_button")
    ctx.locale = await ctx.language_for(
        ctx.member, event
    )  # a DM has no event of its own: answer as the nudge spoke
    return nudge, event


async def _other(ctx: Ctx, nudge: Nudge, event: Event, rest: list[str]) -> Member:
    """The person a nudge's button names: someone the caller really met at that event."""
    other_id = int(rest[1]) if len(rest) > 1 and rest[1].isdigit() else None
    links = by_member(await connections_at(ctx.session, event)).get(nudge.member_id, [])
    if other_id is None or other_id not in {other for _, other in links}:
        raise UserError("core.error.stale_button")
    other = await ctx.session.get(Member, other_id)
    if other is None:
        raise UserError("core.error.stale_button")
    return other


@router.button("nudges:stop")
async def stop_button(ctx: Ctx, rest: list[str]) -> None:
    await _own_nudge(ctx, rest)
    await _stop(ctx, ctx.member)
    ctx.reply("nudges.off")


@router.button("nudges:snooze")
async def snooze_button(ctx: Ctx, rest: list[str]) -> None:
    nudge, event = await _own_nudge(ctx, rest)
    if nudge.status in ("stopped", "skipped", "unreachable"):
        raise UserError("nudges.snooze_closed")
    if nudge.status in ("pending", "sending") and nudge.snoozes:
        ctx.reply("nudges.snoozed_already")
        return
    if nudge.snoozes >= MAX_SNOOZES:
        ctx.reply("nudges.snoozed_enough")
        return
    plans = load_plans()
    due = when_for(ctx.member, event, ctx.now + plans.snooze, plans, now=ctx.now)
    nudge.snoozes += 1
    nudge.expires_at = max(nudge.expires_at, due + plans.snooze)  # a snooze the person asked for is honoured
    await reschedule(ctx, nudge, due)
    ctx.reply("nudges.snoozed", when=clock_time(due))


# -- thanks -----------------------------------------------------------------------------------------------
@router.button("nudges:thank")
async def thank_button(ctx: Ctx, rest: list[str]) -> None:
    nudge, event = await _own_nudge(ctx, rest)
    other = await _other(ctx, nudge, event, rest)
    ctx.open_form(
        Form(
            f"nudges:thank:{nudge.id}:{other.id}",
            ctx.t("nudges.thanks.form_title"),
            (
                Input(
                    "note",
                    ctx.t("nudges.thanks.form_label", name=name_of(other)),
                    "paragraph",
                    max_length=NOTE_MAX,
                    initial=ctx.t("nudges.thanks.note", event=event.name),
                ),
            ),
            ctx.t("nudges.thanks.form_submit"),
        )
    )


@router.form("nudges:thank")
async def thank_form(ctx: Ctx, rest: list[str], values: Mapping[str, str]) -> None:
    nudge, event = await _own_nudge(ctx, rest)
    other = await _other(ctx, nudge, event, rest)
    note = (values.get("note") or "").strip()
    if not note:
        raise UserError("nudges.thanks.empty")
    if len(note) > NOTE_MAX:
        raise UserError("core.error.too_long", field="note", max=NOTE_MAX, length=len(note))
    if not await record_once(ctx, nudge, other, "thanked"):
        raise UserError(
            "nudges.thanks.already", name=mention(other.user_id), event=bold(user_text(event.name))
        )
    lang = await ctx.language_for(other, event)
    header = ctx.t_in(
        lang, "nudges.thanks.delivered", sender=mention(ctx.member.user_id), event=bold(user_text(event.name))
    )
    quoted = "\n".join("> " + user_text(line) for line in note.split("\n"))
    await _deliver(ctx, other, Message(header + "\n" + quoted))
    ctx.reply("nudges.thanks.sent", name=mention(other.user_id))


async def _deliver(ctx: Ctx, other: Member, message: Message) -> None:
    """A note from one person to another goes out now, so the sender learns if it could not arrive
    (and nothing is recorded: they may try again once the other allows DMs)."""
    deliveries = await ctx.send_now([DirectMessage((other.user_id,), message)])
    if not deliveries or deliveries[0].status != "ok":
        raise UserError("nudges.undelivered", name=mention(other.user_id))


# -- keep talking ------------------------------------------------------------------------------------------
@router.button("nudges:keep")
async def keep_button(ctx: Ctx, rest: list[str]) -> None:
    """ "Yes, I'd like to keep talking with them": private until they say yes too (bot/rituals/nudges/keep.py)."""
    nudge, event = await _own_nudge(ctx, rest)
    other = await _other(ctx, nudge, event, rest)
    await say_yes(ctx, nudge, event, other)


# -- keep it warm (the proposal buttons of week-later nudges sent before keep-talking) ----------------------
@router.button("nudges:propose")
async def propose_button(ctx: Ctx, rest: list[str]) -> None:
    nudge, event = await _own_nudge(ctx, rest)
    other = await _other(ctx, nudge, event, rest)
    if not await record_once(ctx, nudge, other, "proposed"):
        ctx.reply("nudges.warm.already_proposed", name=mention(other.user_id))
        return
    lang = await ctx.language_for(other, event)
    await _deliver(
        ctx,
        other,
        Message(
            ctx.t_in(
                lang,
                "nudges.warm.proposal",
                sender=mention(ctx.member.user_id),
                event=bold(user_text(event.name)),
            ),
            buttons=(
                Button(
                    ctx.t_in(lang, "nudges.warm.accept"), f"nudges:accept:{nudge.id}:{other.id}", "primary"
                ),
                Button(ctx.t_in(lang, "nudges.warm.decline"), f"nudges:decline:{nudge.id}:{other.id}"),
            ),
        ),
    )
    ctx.reply("nudges.warm.proposed", name=mention(other.user_id))


async def _proposal(ctx: Ctx, rest: list[str]) -> tuple[Nudge, Event, Member]:
    """A proposal's answer comes from the person it was made to; returns the nudge and its proposer."""
    nudge_id = int(rest[0]) if rest and rest[0].isdigit() else None
    other_id = int(rest[1]) if len(rest) > 1 and rest[1].isdigit() else None
    nudge = await ctx.session.get(Nudge, nudge_id) if nudge_id else None
    if nudge is None or nudge.tenant_id != ctx.tenant or other_id != ctx.member.id:
        raise UserError("core.error.stale_button")
    proposed = (
        await ctx.session.exec(
            select(NudgeAction.id).where(
                NudgeAction.nudge_id == nudge.id,
                NudgeAction.other_id == other_id,
                NudgeAction.verb == "proposed",
            )
        )
    ).first()
    proposer = await ctx.session.get(Member, nudge.member_id)
    event = await ctx.session.get(Event, nudge.event_id)
    if proposed is None or proposer is None or event is None:
        raise UserError("core.error.stale_button")
    ctx.locale = await ctx.language_for(ctx.member, event)
    answered = (
        await ctx.session.exec(
            select(NudgeAction.id).where(
                NudgeAction.nudge_id == nudge.id,
                NudgeAction.other_id == other_id,
                col(NudgeAction.verb).in_(("accepted", "declined")),
            )
        )
    ).first()
    if answered is not None:
        raise UserError("nudges.warm.answered")
    return nudge, event, proposer


@router.button("nudges:accept")
async def accept_button(ctx: Ctx, rest: list[str]) -> None:
    nudge, event, proposer = await _proposal(ctx, rest)
    if not await record_once(ctx, nudge, ctx.member, "accepted"):
        ctx.reply("nudges.warm.answered")
        return
    await ctx.emit("chat_accepted", event=event, proposer=proposer, partner=ctx.member)
    guided = "oneonone" in ctx.core.specs
    hint = "nudges.warm.oneonone_hint" if guided else "nudges.warm.meet_hint"
    lang = await ctx.language_for(proposer, event)
    text = ctx.t_in(
        lang,
        "nudges.warm.accepted",
        proposer=mention(proposer.user_id),
        partner=mention(ctx.member.user_id),
        hint=ctx.t_in(lang, hint, name=mention(ctx.member.user_id)),
    )
    # Either of the two can start the guided one-on-one from here when they are both ready.
    buttons = (
        (
            Button(
                ctx.t_in(lang, "nudges.warm.start_oneonone"), f"oneonone:pair:{proposer.id}:{ctx.member.id}"
            ),
        )
        if guided
        else ()
    )
    ctx.dm([proposer.user_id, ctx.member.user_id], Message(text, buttons=buttons))


@router.button("nudges:decline")
async def decline_button(ctx: Ctx, rest: list[str]) -> None:
    nudge, event, proposer = await _proposal(ctx, rest)
    if not await record_once(ctx, nudge, ctx.member, "declined"):
        ctx.reply("nudges.warm.answered")
        return
    lang = await ctx.language_for(proposer, event)
    ctx.dm(
        [proposer.user_id],
        Message(ctx.t_in(lang, "nudges.warm.declined_you", name=mention(ctx.member.user_id))),
    )
    ctx.reply("nudges.warm.declined", name=mention(proposer.user_id))
