"""The `pairs` ritual: match the people present, preview and re-roll, introduce each group, record Links.

Also `away` and `back`: someone who has stepped away is not paired until they return.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from sqlmodel import col, delete, select

from bot import ledger
from bot.actions import Button, Message
from bot.commands import Opt, Parsed, Role
from bot.compute import ComputeTimeout
from bot.errors import UserError
from bot.events import Caller
from bot.markup import bold, user_text
from bot.rituals.pairing.intro import group_lines, introduction, summary
from bot.rituals.pairing.matcher import BRIDGE_ATTRIBUTES, Matching, plan_rounds
from bot.rituals.pairing.models import PairingRound, PairingSeat
from bot.rituals.pairing.rounds import (
    Roster,
    avoided,
    drop_rounds,
    latest_round_id,
    load_roster,
    next_number,
    plan_and_store,
    round_seed,
    seated_pairs,
    store_plan,
    stored_matching,
    unsent_rounds,
)
from bot.router import Ctx, Router
from bot.steps.words import length
from bot.store.models import Event, Facilitator, Member

if TYPE_CHECKING:
    from bot.core import Core

router = Router("pairs")

MAX_ROUNDS = 30
TALK_MIN, TALK_MAX = 30, 30 * 60  # as bot.rituals.talk.ritual's MIN_SECONDS, MAX_SECONDS
INLINE_WORK = 40
"""Person-rounds planned on the event loop; a larger plan goes to the core's worker."""
INLINE_PEOPLE = 150
"""People matched in one round on the event loop; a larger room goes to the worker."""


def _group_locale(
    ctx: Ctx, event: Event, members: list[Member], languages: tuple[str, ...], spoken: dict[int, str]
) -> str:
    """Everyone's own language if they share one; else a language they all speak; else the event's."""
    locales = {ctx.locale_of(member, event, spoken.get(member.id)) for member in members}
    if len(locales) == 1:
        return locales.pop()
    for lang in (event.lang, "en", "ja"):
        if lang in languages:
            return lang
    return event.lang


async def _send(
    ctx: Ctx,
    event: Event,
    row: PairingRound,
    *,
    roster: Roster | None = None,
    matching: Matching | None = None,
    talk_id: int | None = None,
) -> None:
    """Introduce each group of `row` (and, for a talk, start every group's round); `matching` is the round as just planned for `roster` (so a room of
    thousands is not described again on the event loop), else it is read back from the stored seats."""
    roster = roster or await load_roster(ctx, event)
    if len(roster.people) < 2:
        raise UserError("pairs.too_few", count=len(roster.people))
    if matching is None:
        matching = await stored_matching(ctx, row, roster)
    users = roster.users
    spoken = {
        member.id: ",".join(sorted(roster.people[key].languages)) for key, member in roster.members.items()
    }
    talk_seconds = await _talk_seconds(ctx, talk_id)
    met: list[tuple[int, int]] = []
    talking: list[tuple[list[Member], str]] = []
    for index, group in enumerate(matching.groups):
        members = [roster.members[key] for key in group.keys]
        locale = _group_locale(ctx, event, members, group.common_languages, spoken)
        talking.append((members, locale))

        def words(key: str, locale: str = locale, **params: object) -> str:
            if talk_seconds and key == "pairs.intro.prompt_intro":  # the talk's own length, not 3 minutes
                return ctx.t_in(locale, "talk.intro", length=length(ctx, locale, talk_seconds))
            return ctx.t_in(locale, key, **params)

        message = introduction(
            words,
            ctx.raw(locale, "pairs.intro.prompts") or [],
            group=group,
            users=users,
            profiles=roster.profiles,
            number=row.number,
            event_name=user_text(event.name),
            prompt_index=row.seed + index,
        )
        ctx.dm([m.user_id for m in members], message, near=event.channel_id)
        met.extend((roster.members[a].id, roster.members[b].id) for a, b in group.pairs)
    # Every group's Links in a few statements, not two or three a pair: a round of 50 people is 25 pairs.
    await ledger.record_links(
        ctx.session,
        tenant=ctx.tenant,
        pairs=met,
        origin="pairs",
        now=ctx.now,
        origin_id=row.id,
        event_id=event.id,
    )
    row.status, row.sent_at = "sent", ctx.now

    def channel_words(key: str, **params: object) -> str:
        return ctx.t_in(event.lang, key, **params)

    text = channel_words(
        "pairs.round_posted",
        number=row.number,
        name=bold(user_text(event.name)),
        summary=summary(channel_words, matching.groups),
    )
    ctx.post(
        Message(text + "\n" + group_lines(channel_words, users, matching.groups)), channel=event.channel_id
    )
    if talk_id is not None:
        from bot.rituals.talk.ritual import begin_groups  # the talk ritual builds on pairs

        await begin_groups(ctx, event, talk_id, talking)


async def _talk_seconds(ctx: Ctx, talk_id: int | None) -> int | None:
    if talk_id is None:
        return None
    from bot.rituals.talk.models import Talk

    talk = await ctx.session.get(Talk, talk_id)
    return talk.seconds if talk else None


async def _preview(ctx: Ctx, event: Event, row: PairingRound, planned: int) -> None:
    roster = await load_roster(ctx, event)
    matching = await stored_matching(ctx, row, roster)

    def words(key: str, **params: object) -> str:
        return ctx.t(key, **params)

    text = words("pairs.preview", number=row.number, summary=summary(words, matching.groups))
    text += "\n" + group_lines(words, roster.users, matching.groups)
    if planned:
        text += "\n" + words("pairs.planned", count=planned)
    buttons = (
        Button(words("pairs.preview_buttons.send"), f"pairs:send:{row.id}", "primary"),
        Button(words("pairs.preview_buttons.reroll"), f"pairs:reroll:{row.id}"),
    )
    ctx.reply_message(Message(text, buttons=buttons))


@router.command(
    "pairs",
    options=[
        Opt("size", "int", min=2, max=4, metavar="2|3|4"),
        Opt("bridge", "csv", choices=BRIDGE_ATTRIBUTES, metavar="org,region,generation,role"),
        Opt("rounds", "int", min=1, max=MAX_ROUNDS, metavar="N"),
        Opt("preview", "flag"),
        # Each group then has a timed talk in its own space, this long a person (bot/rituals/talk).
        Opt("talk", "duration", min=TALK_MIN, max=TALK_MAX, metavar="3m"),
    ],
    role=Role.FACILITATOR,
    help_key="pairs.help.pairs",
)
async def pairs(ctx: Ctx, args: Parsed) -> None:
    if args["talk"] is not None:
        from bot.rituals.talk.ritual import start_talk

        if (args["rounds"] or 1) > 1 or args["preview"]:
            raise UserError("talk.error.one_round")
        await start_talk(
            ctx,
            ctx.event,
            seconds=args["talk"],
            size=args["size"] or 2,
            bridge=tuple(args["bridge"] or BRIDGE_ATTRIBUTES),
            source="pairs",
        )
        return
    await _plan(
        ctx,
        ctx.event,
        size=args["size"] or 2,
        bridge=tuple(args["bridge"] or BRIDGE_ATTRIBUTES),
        rounds=args["rounds"] or 1,
        rerolls=0,
        preview=bool(args["preview"]),
    )


def heavy(people: int, rounds: int) -> bool:
    """Whether planning takes long enough to hold up other rooms if run on the event loop: measured, 9
    people x 3 rounds take ~35 ms and 12 x 30 ~0.3 s; one round of 200 people ~80 ms."""
    return (rounds > 1 and people * rounds > INLINE_WORK) or people > INLINE_PEOPLE


async def _plan(
    ctx: Ctx,
    event: Event,
    *,
    size: int,
    bridge: tuple[str, ...],
    rounds: int,
    rerolls: int,
    preview: bool,
    avoid: list[tuple[str, str]] | tuple = (),
    talk_id: int | None = None,
) -> None:
    """Plan and store `rounds` rounds, then send the first (or preview it). Light plans are made here;
    heavy ones in the core's worker, while the command has already answered (`_plan_later`)."""
    roster = await load_roster(ctx, event)
    if len(roster.people) < 2:
        raise UserError("pairs.too_few", count=len(roster.people))
    if heavy(len(roster.people), rounds):
        await _plan_later(
            ctx,
            event,
            roster,
            size=size,
            bridge=bridge,
            rounds=rounds,
            rerolls=rerolls,
            preview=preview,
            avoid=avoid,
            talk_id=talk_id,
        )
        return
    await drop_rounds(ctx, await unsent_rounds(ctx, event))
    rows = await plan_and_store(
        ctx,
        event,
        size=size,
        bridge=bridge,
        rounds=rounds,
        rerolls=rerolls,
        preview=preview,
        avoid=avoid,
        roster=roster,
    )
    await _present(ctx, event, rows, preview=preview, talk_id=talk_id)


async def plan_for_talk(ctx: Ctx, event: Event, *, size: int, bridge: tuple[str, ...], talk_id: int) -> None:
    """One round, sent at once, whose groups then start the talk `talk_id` (bot/rituals/talk)."""
    await _plan(ctx, event, size=size, bridge=bridge, rounds=1, rerolls=0, preview=False, talk_id=talk_id)


async def _present(
    ctx: Ctx,
    event: Event,
    rows: list[PairingRound],
    *,
    preview: bool,
    roster: Roster | None = None,
    first: Matching | None = None,
    talk_id: int | None = None,
) -> None:
    if preview:
        await _preview(ctx, event, rows[0], planned=len(rows) - 1)
        return
    await _send(ctx, event, rows[0], roster=roster, matching=first, talk_id=talk_id)
    if len(rows) > 1:
        ctx.reply("pairs.planned", count=len(rows) - 1)


async def _plan_later(
    ctx: Ctx,
    event: Event,
    roster: Roster,
    *,
    size: int,
    bridge: tuple[str, ...],
    rounds: int,
    rerolls: int,
    preview: bool,
    avoid: list[tuple[str, str]] | tuple,
    talk_id: int | None = None,
) -> None:
    """Answer now; compute the plan in the worker with no transaction open; then store it and send the
    first round in one transaction, only if the event and its rounds are as they were. A process that
    dies meanwhile has written nothing: the earlier plan (if any) still stands."""
    first = await next_number(ctx, event, sent_only=True)
    marker = await latest_round_id(ctx, event)
    people = list(roster.people.values())
    history = [*roster.history, *avoided(avoid)]
    seed = round_seed(event.id, first, rerolls)
    # A talk started by a timer (a run sheet's step) has no caller: one of the event's facilitators is.
    user = ctx.member.user_id if ctx.member else await _a_facilitator(ctx, event)
    caller = Caller(ctx.tenant, user, ctx.channel if ctx.member else event.channel_id)
    event_id = event.id
    if ctx.member is None:
        pass
    elif rounds > 1:
        ctx.reply("pairs.planning", rounds=rounds, count=len(people))
    else:
        ctx.reply("pairs.matching", count=len(people))

    async def finish(ctx: Ctx, plan: tuple[Matching, ...]) -> None:
        now = ctx.event
        if now is None or now.id != event_id:
            raise UserError("pairs.planning_closed")
        await ctx.require_facilitator(now, what="pairs")
        if await latest_round_id(ctx, now) != marker:
            raise UserError("pairs.planning_superseded")
        await drop_rounds(ctx, await unsent_rounds(ctx, now))
        roster = await load_roster(ctx, now)
        rows = await store_plan(
            ctx,
            now,
            plan,
            roster,
            first=first,
            size=size,
            bridge=bridge,
            rerolls=rerolls,
            preview=preview,
        )
        # The same people with the same profiles: the worker's description of round 1 still holds.
        same = roster.people == {person.key: person for person in people}
        await _present(
            ctx, now, rows, preview=preview, roster=roster, first=plan[0] if same else None, talk_id=talk_id
        )

    async def job(core: Core) -> None:
        try:
            plan = await core.compute.run(
                plan_rounds, people, rounds=rounds, bridge=bridge, history=history, size=size, seed=seed
            )
        except ComputeTimeout:
            seconds = f"{core.compute.timeout:g}"
            await core.follow_up(caller, partial(_overran, seconds=seconds))
        else:
            await core.follow_up(caller, partial(finish, plan=plan))
        if talk_id is not None:  # a talk whose groups did not begin is marked failed, and says so
            from bot.rituals.talk.ritual import planning_failed

            await core.follow_up(caller, partial(planning_failed, talk_id=talk_id))

    ctx.later(job)


async def _a_facilitator(ctx: Ctx, event: Event) -> str:
    row = (
        await ctx.session.exec(
            select(Member.user_id)
            .join(Facilitator, col(Facilitator.member_id) == Member.id)
            .where(Facilitator.event_id == event.id)
            .order_by(col(Facilitator.id))
        )
    ).first()
    if row is None:
        raise UserError("core.error.facilitator_only", command="pairs")
    return row


async def _overran(ctx: Ctx, *, seconds: str) -> None:
    raise UserError("pairs.planning_timeout", seconds=seconds)


async def _preview_row(ctx: Ctx, rest: list[str] | None) -> tuple[Event, PairingRound]:
    """The preview a button names (or, typed, the event's current one), checked against the caller."""
    if rest is None:
        rows = [r for r in await unsent_rounds(ctx, ctx.event) if r.status == "preview"]
        if not rows:
            raise UserError("pairs.no_preview")
        return ctx.event, rows[0]
    row = await ctx.session.get(PairingRound, int(rest[0])) if rest and rest[0].isdigit() else None
    if row is None or row.tenant_id != ctx.tenant or row.status != "preview":
        raise UserError("pairs.stale")
    event = await ctx.session.get(Event, row.event_id)
    if event is None or event.status != "open":
        raise UserError("pairs.stale")
    await ctx.require_facilitator(event, what="pairs send")
    return event, row


async def _send_preview(ctx: Ctx, rest: list[str] | None) -> None:
    event, row = await _preview_row(ctx, rest)
    await _send(ctx, event, row)
    planned = [r for r in await unsent_rounds(ctx, event) if r.status == "planned"]
    ctx.reply("pairs.sent", number=row.number)
    if planned:
        ctx.reply("pairs.planned", count=len(planned))


async def _reroll(ctx: Ctx, rest: list[str] | None) -> None:
    event, row = await _preview_row(ctx, rest)
    size, bridge, rerolls = row.size, tuple(row.bridge.split(",")), row.rerolls + 1
    rejected = await seated_pairs(ctx, row)
    unsent = await unsent_rounds(ctx, event)
    await _plan(
        ctx,
        event,
        size=size,
        bridge=bridge,
        rounds=len(unsent),
        rerolls=rerolls,
        preview=True,
        avoid=rejected,
    )


@router.command("pairs send", role=Role.FACILITATOR, help_key="pairs.help.send")
async def send_command(ctx: Ctx, args: Parsed) -> None:
    await _send_preview(ctx, None)


@router.command("pairs reroll", role=Role.FACILITATOR, help_key="pairs.help.reroll")
async def reroll_command(ctx: Ctx, args: Parsed) -> None:
    await _reroll(ctx, None)


@router.button("pairs:send")
async def send_button(ctx: Ctx, rest: list[str]) -> None:
    await _send_preview(ctx, rest)


@router.button("pairs:reroll")
async def reroll_button(ctx: Ctx, rest: list[str]) -> None:
    await _reroll(ctx, rest)


@router.command("pairs next", role=Role.FACILITATOR, help_key="pairs.help.next")
async def next_round(ctx: Ctx, args: Parsed) -> None:
    unsent = await unsent_rounds(ctx, ctx.event)
    preview = [r for r in unsent if r.status == "preview"]
    if preview:
        raise UserError("pairs.preview_pending", number=preview[0].number)
    if not unsent:
        raise UserError("pairs.no_plan")
    await _send(ctx, ctx.event, unsent[0])
    if len(unsent) > 1:
        ctx.reply("pairs.planned", count=len(unsent) - 1)


@router.command("away", role=Role.PARTICIPANT, help_key="pairs.help.away")
async def away(ctx: Ctx, args: Parsed) -> None:
    participant = await ctx.participant()
    if participant is None:
        raise UserError("people.not_joined")
    if participant.status == "away":
        raise UserError("pairs.already_away")
    participant.status = "away"
    ctx.reply("pairs.away")


@router.command("back", role=Role.PARTICIPANT, help_key="pairs.help.back")
async def back(ctx: Ctx, args: Parsed) -> None:
    participant = await ctx.participant()
    if participant is None:
        raise UserError("people.not_joined")
    if participant.status != "away":
        ctx.reply("pairs.not_away")
        return
    participant.status = "present"
    ctx.reply("pairs.back")


@router.on("member_forgotten")
async def forget(ctx: Ctx, member: Member) -> None:
    await ctx.session.exec(delete(PairingSeat).where(PairingSeat.member_id == member.id))
