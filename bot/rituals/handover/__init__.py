"""`handover @user`: an offer to pass the event on, which the receiver accepts or declines.

Nothing changes until they accept: the giver stays facilitator, and after the receiver accepts the giver
stays on as co-facilitator, so a mistyped name never leaves an event without its host. Only a participant
of the event can receive it; a newer offer replaces an older one, and an offer is withdrawn when its
receiver leaves or the event ends.
"""

from __future__ import annotations

from sqlmodel import col, delete, or_, select

from bot.actions import Button, Message
from bot.commands import Arg, Parsed, Role, record_id
from bot.errors import UserError
from bot.markup import bold, mention, user_text
from bot.rituals.handover.models import HandoverOffer
from bot.router import Ctx, Router
from bot.store.models import Event, Facilitator, Member, Participant

router = Router("handover")


async def open_offer(ctx: Ctx, event: Event) -> HandoverOffer | None:
    return (
        await ctx.session.exec(
            select(HandoverOffer).where(HandoverOffer.event_id == event.id, HandoverOffer.status == "offered")
        )
    ).first()


def ref(offer: HandoverOffer) -> str:
    return f"handover:{offer.id}"


async def settle(ctx: Ctx, offer: HandoverOffer, status: str, key: str, event: Event) -> None:
    """Close `offer` and turn the receiver's DM into what happened to it (its buttons go)."""
    offer.status = status
    receiver = await ctx.session.get(Member, offer.receiver_id)
    lang = await ctx.language_for(receiver, event)
    ctx.update(ref(offer), Message(ctx.t_in(lang, key, event=bold(user_text(event.name)))))


@router.command(
    "handover",
    args=[Arg("user", "user", required=True)],
    role=Role.FACILITATOR,
    help_key="event.help.handover",
)
async def handover(ctx: Ctx, args: Parsed) -> None:
    event = ctx.event
    member = await ctx.resolve_user(args["user"])
    if member.id == ctx.member.id:
        raise UserError("event.handover_self")
    if await ctx.is_facilitator(member=member):
        raise UserError("event.already_facilitator", user=mention(member.user_id))
    if await ctx.participant(member=member) is None:
        raise UserError("event.handover.not_participant", user=mention(member.user_id))
    lines = []
    earlier = await open_offer(ctx, event)
    if earlier is not None:
        await settle(ctx, earlier, "replaced", "event.handover.replaced", event)
        await ctx.session.flush()  # the open offer's place is free before the new one takes it
        previous = await ctx.session.get(Member, earlier.receiver_id)
        lines.append(ctx.t("event.handover.replacing", user=mention(previous.user_id)))
    offer = HandoverOffer(
        tenant_id=ctx.tenant,
        event_id=event.id,
        giver_id=ctx.member.id,
        receiver_id=member.id,
        status="offered",
        created_at=ctx.now,
    )
    ctx.session.add(offer)
    await ctx.session.flush()
    lang = await ctx.language_for(member, event)
    name = bold(user_text(event.name))
    text = "\n".join(
        [
            ctx.t_in(lang, "event.handover.offer", giver=mention(ctx.member.user_id), event=name),
            ctx.t_in(lang, "event.handover.offer_typed"),
        ]
    )
    buttons = (
        Button(ctx.t_in(lang, "event.handover.accept"), f"handover:accept:{offer.id}", "primary"),
        Button(ctx.t_in(lang, "event.handover.decline"), f"handover:decline:{offer.id}"),
    )
    ctx.dm([member.user_id], Message(text, buttons=buttons), ref=ref(offer), near=event.channel_id)
    lines.append(ctx.t("event.handover.offered", user=mention(member.user_id), event=name))
    ctx.reply_message(Message("\n".join(lines)))


# -- the receiver's answer ----------------------------------------------------------------------------------
async def offer_by_id(ctx: Ctx, rest: list[str]) -> HandoverOffer:
    offer_id = record_id(rest[0]) if len(rest) == 1 else None
    offer = await ctx.session.get(HandoverOffer, offer_id) if offer_id is not None else None
    if offer is None or offer.tenant_id != ctx.tenant:
        raise UserError("event.handover.gone")
    return offer


async def typed_offer(ctx: Ctx) -> HandoverOffer:
    """The caller's newest offer, open ones first: in this channel's event, else anywhere. An answer to
    one already settled is told what became of it (accepted, declined, replaced)."""
    query = select(HandoverOffer).where(
        HandoverOffer.tenant_id == ctx.tenant, HandoverOffer.receiver_id == ctx.member.id
    )
    if ctx.event is not None:
        query = query.where(HandoverOffer.event_id == ctx.event.id)
    newest = col(HandoverOffer.id).desc()
    offer = (await ctx.session.exec(query.where(HandoverOffer.status == "offered").order_by(newest))).first()
    offer = offer or (await ctx.session.exec(query.order_by(newest))).first()
    if offer is None:
        raise UserError("event.handover.none")
    return offer


async def answerable(ctx: Ctx, offer: HandoverOffer) -> Event | None:
    """The offer's event if the caller may still answer it; None when they already accepted it."""
    event = await ctx.session.get(Event, offer.event_id)
    receiver = await ctx.session.get(Member, offer.receiver_id)
    ctx.locale = await ctx.language_for(ctx.member, event)
    if offer.receiver_id != ctx.member.id:
        raise UserError("event.handover.not_yours", user=mention(receiver.user_id))
    name = bold(user_text(event.name))
    if offer.status == "accepted":
        ctx.reply("event.handover.already_accepted", event=name)
        return None
    if offer.status == "declined":
        raise UserError("event.handover.already_declined", event=name)
    if offer.status != "offered" or event.status != "open":
        raise UserError("event.handover.withdrawn", event=name)
    return event


async def accept(ctx: Ctx, offer: HandoverOffer) -> None:
    event = await answerable(ctx, offer)
    if event is None:
        return
    if not await ctx.is_facilitator(event):
        ctx.session.add(Facilitator(tenant_id=ctx.tenant, event_id=event.id, member_id=ctx.member.id))
    await settle(ctx, offer, "accepted", "event.handover.you_accepted", event)
    giver = await ctx.session.get(Member, offer.giver_id)
    ctx.post(
        Message(
            ctx.t_in(
                event.lang,
                "event.handed_over",
                user=mention(ctx.member.user_id),
                previous=mention(giver.user_id),
                name=bold(user_text(event.name)),
            )
        ),
        channel=event.channel_id,
    )


async def decline(ctx: Ctx, offer: HandoverOffer) -> None:
    event = await answerable(ctx, offer)
    if event is None:  # accepted already: the reply says so, and a decline now changes nothing
        return
    await settle(ctx, offer, "declined", "event.handover.you_declined", event)
    await tell_giver(ctx, offer, event, "event.handover.declined", ctx.member.user_id)


async def tell_giver(ctx: Ctx, offer: HandoverOffer, event: Event, key: str, receiver: str) -> None:
    """A DM to the giver, in their own language, about what became of their offer to `receiver`."""
    giver = await ctx.session.get(Member, offer.giver_id)
    lang = await ctx.language_for(giver, event)
    text = ctx.t_in(lang, key, user=mention(receiver), event=bold(user_text(event.name)))
    ctx.dm([giver.user_id], Message(text), near=event.channel_id)


@router.button("handover:accept")
async def accept_button(ctx: Ctx, rest: list[str]) -> None:
    await accept(ctx, await offer_by_id(ctx, rest))


@router.button("handover:decline")
async def decline_button(ctx: Ctx, rest: list[str]) -> None:
    await decline(ctx, await offer_by_id(ctx, rest))


@router.command("handover accept", needs_event=False, help_key="event.help.handover_accept")
async def accept_command(ctx: Ctx, args: Parsed) -> None:
    await accept(ctx, await typed_offer(ctx))


@router.command("handover decline", needs_event=False, help_key="event.help.handover_decline")
async def decline_command(ctx: Ctx, args: Parsed) -> None:
    await decline(ctx, await typed_offer(ctx))


# -- offers that can no longer be taken up --------------------------------------------------------------------
@router.on("participant_left")
async def receiver_left(ctx: Ctx, event: Event, participant: Participant) -> None:
    offer = await open_offer(ctx, event)
    if offer is None or offer.receiver_id != participant.member_id:
        return
    await settle(ctx, offer, "withdrawn", "event.handover.withdrawn_left", event)
    receiver = await ctx.session.get(Member, offer.receiver_id)
    await tell_giver(ctx, offer, event, "event.handover.receiver_left", receiver.user_id)


@router.on("event_ended")
async def event_ended(ctx: Ctx, event: Event, plan: str) -> None:
    offer = await open_offer(ctx, event)
    if offer is not None:
        await settle(ctx, offer, "withdrawn", "event.handover.withdrawn_ended", event)


@router.on("member_forgotten")
async def forget(ctx: Ctx, member: Member) -> None:
    """Offers record who gave and who was asked: those naming this person go."""
    await ctx.session.exec(
        delete(HandoverOffer).where(
            HandoverOffer.tenant_id == ctx.tenant,
            or_(HandoverOffer.giver_id == member.id, HandoverOffer.receiver_id == member.id),
        )
    )
