"""People: joining with a profile, leaving, language and time zone, help, and forgetting a person."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import bindparam
from sqlmodel import col, delete, select

from bot import ledger
from bot.actions import Button, Field, Forget, Form, Input, Message
from bot.commands import Arg, Opt, Parsed, Role, parse_languages, parse_zone
from bot.errors import UserError
from bot.i18n import normalise_locale
from bot.markup import bold, user_text
from bot.reader import event_languages
from bot.router import Ctx, Router
from bot.store.models import Event, Facilitator, Member, Participant, Timer

router = Router("people")

PROFILE_FIELDS = ("organisation", "region", "generation", "role")
PROFILE_OPTIONS = {"org": "organisation", "region": "region", "generation": "generation", "role": "role"}


def _profile_lines(ctx: Ctx, participant: Participant) -> tuple[Field, ...]:
    fields = []
    for name in (*PROFILE_FIELDS, "languages", "interests"):
        value = getattr(participant, name)
        if value:
            # A form's label explains how to fill it in ("e.g. ja,en"); a display just names the field.
            fields.append(Field(ctx.t(f"people.shown.{name}"), user_text(value)))
    return tuple(fields)


def _profile_button(ctx: Ctx) -> Button:
    return Button(ctx.t("people.edit_profile"), f"people:profile:{ctx.event.id}")


def _assumed_languages(ctx: Ctx) -> str | None:
    """The languages a newcomer is taken to speak until they say (`--languages`): the event's one
    language; in a room of several, only the one their own setting or platform names, if any (that
    everyone speaks every language of a bilingual evening is just what it cannot assume)."""
    languages = event_languages(ctx.event)
    if len(languages) <= 1:
        return ctx.event.lang
    own = normalise_locale(ctx.member.locale) or normalise_locale(ctx.member.locale_hint)
    return own if own in languages else None


_THEIRS = select(Participant).where(
    Participant.event_id == bindparam("event"), Participant.member_id == bindparam("member")
)
"""A person's participation in an event, present or left: built once, for the evening's many joins."""


@router.command(
    "join",
    options=[
        Opt("org", metavar="X"),
        Opt("region", metavar="X"),
        Opt("generation", metavar="X"),
        Opt("role", metavar="X"),
        Opt("languages", "languages", metavar="ja,en"),
        Opt("interests", "csv", metavar="a,b"),
    ],
    help_key="people.help.join",
)
async def join(ctx: Ctx, args: Parsed) -> None:
    participant = (
        await ctx.session.exec(_THEIRS, params={"event": ctx.event.id, "member": ctx.member.id})
    ).first()
    arriving = participant is None or participant.status == "left"
    if participant is None:
        participant = Participant(
            tenant_id=ctx.tenant,
            event_id=ctx.event.id,
            member_id=ctx.member.id,
            joined_at=ctx.now,
            languages=_assumed_languages(ctx),
        )
        ctx.session.add(participant)
    elif participant.status == "left":
        participant.status, participant.left_at = "present", None
    changed = _apply_profile(participant, {PROFILE_OPTIONS.get(k, k): v for k, v in args.values.items()})
    await ctx.session.flush()
    # `--languages ja` may be what decides it: the profile in hand, not read back
    ctx.locale = ctx.locale_of(ctx.member, ctx.event, participant.languages)
    if arriving:
        await ctx.emit("participant_joined", event=ctx.event, participant=participant)
        key = "people.joined"
    else:
        key = "people.profile_updated" if changed else "people.already_joined"
    ctx.reply_message(
        Message(
            ctx.t(key, name=bold(user_text(ctx.event.name))),
            fields=_profile_lines(ctx, participant),
            buttons=(_profile_button(ctx),),
        )
    )


def _apply_profile(participant: Participant, values: Mapping[str, object]) -> bool:
    changed = False
    for name in (*PROFILE_FIELDS, "languages", "interests"):
        value = values.get(name)
        if value is None:
            continue
        if isinstance(value, list):
            value = ",".join(value)
        value = str(value).strip()[: 100 if name != "interests" else 500] or None
        if getattr(participant, name) != value:
            setattr(participant, name, value)
            changed = True
    return changed


@router.command("leave", role=Role.PARTICIPANT, help_key="people.help.leave")
async def leave(ctx: Ctx, args: Parsed) -> None:
    participant = await ctx.participant()
    if participant is None:
        raise UserError("people.not_joined")
    participant.status, participant.left_at = "left", ctx.now
    await ctx.emit("participant_left", event=ctx.event, participant=participant)
    ctx.reply("people.left", name=bold(user_text(ctx.event.name)))


@router.command("profile", help_key="people.help.profile")
async def profile(ctx: Ctx, args: Parsed) -> None:
    participant = await ctx.participant()
    if participant is None:
        raise UserError("people.not_joined")
    ctx.reply_message(
        Message(
            ctx.t("people.profile_show", name=bold(user_text(ctx.event.name))),
            fields=_profile_lines(ctx, participant),
            buttons=(_profile_button(ctx),),
        )
    )


@router.button("people:profile")
async def open_profile_form(ctx: Ctx, rest: list[str]) -> None:
    event = await _event_from_id(ctx, rest)
    participant = await ctx.participant(event)
    if participant is None:
        raise UserError("people.not_joined")
    # A form holds five inputs on every platform (Discord's modal limit), so interests are set with
    # `join --interests a,b` rather than here.
    inputs = tuple(
        Input(
            name,
            ctx.t(f"people.field.{name}"),
            required=False,
            max_length=100,
            initial=getattr(participant, name),
        )
        for name in (*PROFILE_FIELDS, "languages")
    )
    ctx.open_form(
        Form(f"people:profile:{event.id}", ctx.t("people.form_title"), inputs, ctx.t("people.form_submit"))
    )


@router.form("people:profile")
async def submit_profile(ctx: Ctx, rest: list[str], values: Mapping[str, str]) -> None:
    event = await _event_from_id(ctx, rest)
    participant = await ctx.participant(event)
    if participant is None:
        raise UserError("people.not_joined")
    cleaned = {k: values[k] for k in (*PROFILE_FIELDS, "languages", "interests") if k in values}
    if "languages" in cleaned:
        cleaned["languages"] = ",".join(parse_languages(cleaned["languages"]))
    _apply_profile(participant, cleaned)
    await ctx.session.flush()
    ctx.locale = await ctx.language_for(ctx.member, event)
    ctx.reply_message(
        Message(
            ctx.t("people.profile_updated", name=bold(user_text(event.name))),
            fields=_profile_lines(ctx, participant),
        )
    )


async def _event_from_id(ctx: Ctx, rest: list[str]) -> Event:
    event = await ctx.session.get(Event, int(rest[0])) if rest and rest[0].isdigit() else None
    if event is None or event.tenant_id != ctx.tenant or event.status != "open":
        raise UserError("core.error.stale_button")
    return event


@router.command("help", needs_event=False, help_key="people.help.help")
async def help_(ctx: Ctx, args: Parsed) -> None:
    facilitator = await ctx.is_facilitator()
    participant = await ctx.participant() is not None or facilitator
    lines = []
    for spec in ctx.core.specs.values():
        if spec.needs_event and ctx.event is None:
            continue
        if spec.role == Role.FACILITATOR and not facilitator:
            continue
        if spec.role == Role.PARTICIPANT and not participant:
            continue
        description = ctx.t(spec.help_key) if spec.help_key else ""
        usage = ctx.core.parser.usage(spec, ctx.tenant.split(":", 1)[0])  # Discord has its own form
        lines.append(f"`{usage}` — {description}")
    header = (
        ctx.t("people.help_in_event", name=bold(user_text(ctx.event.name)))
        if ctx.event
        else ctx.t("people.help_no_event")
    )
    ctx.reply_message(Message(header + "\n" + "\n".join(lines)))


@router.command(
    "lang",
    args=[Arg("lang", "lang", required=True, metavar="ja|en")],
    needs_event=False,
    help_key="people.help.lang",
)
async def lang(ctx: Ctx, args: Parsed) -> None:
    ctx.member.locale = args["lang"]  # `ja`, `jp`, `日本語` and `English` all read as a code
    ctx.locale = args["lang"]
    ctx.reply("people.lang_set")


@router.command(
    "tz",
    args=[Arg("zone", "word", required=True, metavar="ZONE")],
    needs_event=False,
    help_key="people.help.tz",
)
async def tz(ctx: Ctx, args: Parsed) -> None:
    ctx.member.tz = parse_zone(args["zone"])
    ctx.reply("people.tz_set", zone=ctx.member.tz)


@router.command(
    "forget-me",
    args=[Arg("confirm", "word", choices=("confirm",))],
    needs_event=False,
    help_key="people.help.forget_me",
)
async def forget_me(ctx: Ctx, args: Parsed) -> None:
    await _refuse_if_sole_facilitator(ctx)
    if args["confirm"] != "confirm":
        ctx.reply_message(
            Message(
                ctx.t("people.forget_confirm"),
                buttons=(Button(ctx.t("people.forget_button"), f"people:forget:{ctx.member.id}", "danger"),),
            )
        )
        return
    await _forget(ctx)


@router.button("people:forget")
async def forget_button(ctx: Ctx, rest: list[str]) -> None:
    if rest != [str(ctx.member.id)]:
        raise UserError("core.error.stale_button")
    await _forget(ctx)


async def _refuse_if_sole_facilitator(ctx: Ctx) -> None:
    """Forgetting the only host of an open event would strand its participants: hand over first."""
    member = ctx.member
    sole = []
    for event in (
        await ctx.session.exec(
            select(Event)
            .join(Facilitator, Facilitator.event_id == Event.id)
            .where(Facilitator.member_id == member.id, Event.status == "open")
        )
    ).all():
        others = (
            await ctx.session.exec(
                select(Facilitator.id).where(
                    Facilitator.event_id == event.id, Facilitator.member_id != member.id
                )
            )
        ).all()
        if not others:
            sole.append(ctx.t("core.list.event", name=bold(user_text(event.name))))
    if sole:
        raise UserError(
            "people.forget_sole_facilitator",
            events=ctx.core.catalog.listing(ctx.locale, sole),
        )


async def _forget(ctx: Ctx) -> None:
    member = ctx.member
    await _refuse_if_sole_facilitator(ctx)
    await ctx.emit("member_forgotten", member=member)
    await ledger.forget(ctx.session, tenant=ctx.tenant, member_id=member.id)
    for model in (Participant, Facilitator):
        await ctx.session.exec(delete(model).where(col(model.member_id) == member.id))
    await ctx.session.exec(
        delete(Timer).where(Timer.tenant_id == ctx.tenant, col(Timer.member_id) == member.id)
    )
    await ctx.session.exec(delete(Member).where(Member.id == member.id))
    ctx.reply("people.forgotten")
    ctx.actions.append(Forget(member.user_id))  # what the platform adapter keeps goes too
