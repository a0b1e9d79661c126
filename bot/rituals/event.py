"""Events: binding a channel to a workshop, ending it, and sharing or passing on the facilitator role."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.actions import Message
from bot.commands import Arg, Opt, Parsed, Role
from bot.errors import UserError
from bot.markup import bold, mention, user_text
from bot.router import Ctx, Router
from bot.store.models import Event, Facilitator, Participant

router = Router("event")

NAME_MAX = 80


@router.command(
    "event start",
    args=[Arg("name", "text", required=True, max_length=NAME_MAX, metavar="NAME")],
    options=[Opt("lang", "lang", metavar="ja|en"), Opt("tz", "tz", metavar="ZONE")],
    needs_event=False,
    help_key="event.help.start",
)
async def start(ctx: Ctx, args: Parsed) -> None:
    if ctx.channel is None:
        raise UserError("core.error.no_channel")
    if ctx.event is not None:
        raise UserError("event.already", name=user_text(ctx.event.name))
    event = Event(
        tenant_id=ctx.tenant,
        channel_id=ctx.channel,
        name=args["name"],
        lang=args["lang"] or ctx.locale,
        tz=args["tz"] or ctx.member.tz or ctx.member.tz_hint or ctx.core.settings.default_tz,
        status="open",
        created_at=ctx.now,
    )
    ctx.session.add(event)
    try:
        await ctx.session.flush()
    except IntegrityError:  # another `event start` in this channel won the race
        raise UserError("event.already", name=user_text(args["name"])) from None
    ctx.session.add(Facilitator(tenant_id=ctx.tenant, event_id=event.id, member_id=ctx.member.id))
    ctx.event = event
    ctx.post(
        Message(
            ctx.t_in(
                event.lang,
                "event.started",
                name=bold(user_text(event.name)),
                facilitator=mention(ctx.member.user_id),
            ),
        )
    )


@router.command(
    "event end",
    options=[Opt("plan", "choice", choices=("light", "default", "off"))],
    role=Role.FACILITATOR,
    help_key="event.help.end",
)
async def end(ctx: Ctx, args: Parsed) -> None:
    event = ctx.event
    event.status = "ended"
    event.ended_at = ctx.now
    present = (
        await ctx.session.exec(
            select(Participant.id).where(Participant.event_id == event.id, Participant.status != "left")
        )
    ).all()
    await ctx.emit("event_ended", event=event, plan=args["plan"] or "default")
    ctx.post(
        Message(ctx.t_in(event.lang, "event.ended", name=bold(user_text(event.name)), count=len(present)))
    )


@router.command(
    "facilitators add",
    args=[Arg("user", "user", required=True)],
    role=Role.FACILITATOR,
    help_key="event.help.facilitators_add",
)
async def add_facilitator(ctx: Ctx, args: Parsed) -> None:
    member = await ctx.resolve_user(args["user"])
    if await ctx.is_facilitator(member=member):
        raise UserError("event.already_facilitator", user=mention(member.user_id))
    ctx.session.add(Facilitator(tenant_id=ctx.tenant, event_id=ctx.event.id, member_id=member.id))
    ctx.post(Message(ctx.t_in(ctx.event.lang, "event.facilitator_added", user=mention(member.user_id))))


@router.command(
    "handover",
    args=[Arg("user", "user", required=True)],
    role=Role.FACILITATOR,
    help_key="event.help.handover",
)
async def handover(ctx: Ctx, args: Parsed) -> None:
    member = await ctx.resolve_user(args["user"])
    if member.id == ctx.member.id:
        raise UserError("event.handover_self")
    if not await ctx.is_facilitator(member=member):
        ctx.session.add(Facilitator(tenant_id=ctx.tenant, event_id=ctx.event.id, member_id=member.id))
    mine = (
        await ctx.session.exec(
            select(Facilitator).where(
                Facilitator.event_id == ctx.event.id, Facilitator.member_id == ctx.member.id
            )
        )
    ).one()
    await ctx.session.delete(mine)
    ctx.post(
        Message(
            ctx.t_in(
                ctx.event.lang,
                "event.handed_over",
                user=mention(member.user_id),
                previous=mention(ctx.member.user_id),
                name=bold(user_text(ctx.event.name)),
            )
        )
    )
