"""Events: binding a channel to a workshop, ending it, and sharing or passing on the facilitator role."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select, update

from bot.actions import Button, Message
from bot.commands import Arg, Opt, Parsed, Role, known_zone, parse_event_languages, parse_zone
from bot.errors import UserError
from bot.markup import bold, mention, user_text
from bot.reader import event_zone
from bot.router import Ctx, Router
from bot.steps.models import StepRun
from bot.store.models import Event, Facilitator, Participant

router = Router("event")

NAME_MAX = 80


@router.command(
    "event start",
    args=[Arg("name", "text", required=True, max_length=NAME_MAX, metavar="NAME")],
    options=[Opt("lang", "langs", metavar="ja|en|ja,en"), Opt("tz", "tz", metavar="ZONE")],
    needs_event=False,
    help_key="event.help.start",
)
async def start(ctx: Ctx, args: Parsed) -> None:
    if ctx.channel is None:
        raise UserError("core.error.no_channel")
    if ctx.event is not None:
        raise UserError("event.already", name=user_text(ctx.event.name))
    lang = args["lang"] or ctx.locale
    zone, why = _event_zone(ctx, args["tz"], event_languages_of(lang))
    event = Event(
        tenant_id=ctx.tenant,
        channel_id=ctx.channel,
        name=args["name"],
        lang=lang,
        tz=zone,
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
    started = ctx.t_in(
        event.lang, "event.started", name=bold(user_text(event.name)), facilitator=mention(ctx.member.user_id)
    )
    # Nudges keep quiet hours in this zone for everyone who has none of their own: say which it is.
    zone_line = ctx.t_in(
        event.lang, "event.zone", zone=event.tz, why=ctx.t_in(event.lang, f"event.zone_why.{why}")
    )
    ctx.post(Message(started + "\n" + zone_line, buttons=_language_buttons(ctx, event)))


def event_languages_of(lang: str) -> tuple[str, ...]:
    return tuple(part for part in lang.split(",") if part)


def _language_buttons(ctx: Ctx, event: Event) -> tuple[Button, ...]:
    """For whoever runs the room: make it bilingual, or one language again, without typing the command.
    Offered with the start post only; `event lang` does the same at any time."""
    languages = event_languages_of(event.lang)
    if len(languages) > 1:
        return ()
    other = "en" if languages[:1] == ("ja",) else "ja"
    both = f"{languages[0]},{other}" if languages else "en,ja"
    return (Button(ctx.t_in(both, "event.lang_button"), f"event:lang:{event.id}:{both.replace(',', '-')}"),)


@router.command(
    "event lang",
    args=[Arg("lang", "langs", required=True, metavar="ja|en|ja,en")],
    role=Role.FACILITATOR,
    help_key="event.help.lang",
)
async def set_languages(ctx: Ctx, args: Parsed) -> None:
    await _switch_languages(ctx, ctx.event, args["lang"])


@router.button("event:lang")
async def language_button(ctx: Ctx, rest: list[str]) -> None:
    event = ctx.event
    if event is None or len(rest) != 2 or rest[0] != str(event.id):
        raise UserError("core.error.stale_button")
    await ctx.require_facilitator(event, what="event lang")
    await _switch_languages(ctx, event, parse_event_languages(rest[1].replace("-", ",")))


async def _switch_languages(ctx: Ctx, event: Event, lang: str) -> None:
    """From now on every post in the channel is in `lang` ("ja,en": in both, in that order); replies
    and DMs stay in each person's own language."""
    if lang == event.lang:
        ctx.reply("event.lang_same", languages=_language_names(ctx, ctx.locale, lang))
        return
    event.lang = lang
    # A round of turns running in the channel posts its next hand-off in the new languages too (a
    # one-on-one keeps its pair's own language: it is not a channel post).
    await ctx.session.exec(
        update(StepRun)
        .where(
            col(StepRun.event_id) == event.id,
            col(StepRun.ritual) == "turns",
            col(StepRun.status).in_(("running", "paused")),
        )
        .values(lang=lang)
    )
    names = _language_names(ctx, lang, lang)
    ctx.post(Message(ctx.t_in(lang, "event.lang_set", name=bold(user_text(event.name)), languages=names)))


def _language_names(ctx: Ctx, words: str, lang: str) -> str:
    """ "日本語、英語" / "Japanese, English": the languages of `lang`, in order, named in `words`."""
    separator = ctx.t_in(words, "event.language_list")
    return separator.join(ctx.t_in(words, f"event.language.{code}") for code in event_languages_of(lang))


def _event_zone(ctx: Ctx, given: str | None, languages: tuple[str, ...]) -> tuple[str, str]:
    """The zone a new event runs in, and why: `--tz`, the bot's setting, the facilitator's own zone,
    the zone of the event's language (ja: Asia/Tokyo), else UTC."""
    if given:
        return given, "given"
    if ctx.core.settings.default_tz:
        return ctx.core.settings.default_tz, "setting"
    own = ctx.member.tz or known_zone(ctx.member.tz_hint)
    if own:
        return own, "yours"
    zone = event_zone(given=None, setting=None, languages=languages)
    return zone, "language" if zone != "UTC" else "default"


@router.command(
    "event tz",
    args=[Arg("zone", "word", required=True, metavar="ZONE")],
    role=Role.FACILITATOR,
    help_key="event.help.tz",
)
async def set_zone(ctx: Ctx, args: Parsed) -> None:
    ctx.event.tz = parse_zone(args["zone"])
    ctx.post(
        Message(
            ctx.t_in(
                ctx.event.lang, "event.zone_set", zone=ctx.event.tz, name=bold(user_text(ctx.event.name))
            )
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
