"""The `pairs` ritual: match the people present, preview and re-roll, introduce each group, record Links.

Also `away` and `back`: someone who has stepped away is not paired until they return.
"""

from __future__ import annotations

from sqlmodel import delete

from bot import ledger
from bot.actions import Button, Message
from bot.commands import Opt, Parsed, Role
from bot.errors import UserError
from bot.markup import bold
from bot.rituals.pairing.intro import group_lines, introduction, summary
from bot.rituals.pairing.matcher import BRIDGE_ATTRIBUTES
from bot.rituals.pairing.models import PairingRound, PairingSeat
from bot.rituals.pairing.rounds import (
    drop_rounds,
    load_roster,
    plan_and_store,
    seated_pairs,
    stored_matching,
    unsent_rounds,
)
from bot.router import Ctx, Router
from bot.store.models import Event, Member

router = Router("pairs")

MAX_ROUNDS = 30


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


async def _send(ctx: Ctx, event: Event, row: PairingRound) -> None:
    roster = await load_roster(ctx, event)
    if len(roster.people) < 2:
        raise UserError("pairs.too_few", count=len(roster.people))
    matching = await stored_matching(ctx, row, roster)
    users = roster.users
    spoken = {
        member.id: ",".join(sorted(roster.people[key].languages)) for key, member in roster.members.items()
    }
    met: list[tuple[int, int]] = []
    for index, group in enumerate(matching.groups):
        members = [roster.members[key] for key in group.keys]
        locale = _group_locale(ctx, event, members, group.common_languages, spoken)

        def words(key: str, locale: str = locale, **params: object) -> str:
            return ctx.t_in(locale, key, **params)

        message = introduction(
            words,
            ctx.raw(locale, "pairs.intro.prompts") or [],
            group=group,
            users=users,
            profiles=roster.profiles,
            number=row.number,
            event_name=event.name,
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
        name=bold(event.name),
        summary=summary(channel_words, matching.groups),
    )
    ctx.post(Message(text + "\n" + group_lines(channel_words, users, matching.groups)))


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
    ],
    role=Role.FACILITATOR,
    help_key="pairs.help.pairs",
)
async def pairs(ctx: Ctx, args: Parsed) -> None:
    event = ctx.event
    await drop_rounds(ctx, await unsent_rounds(ctx, event))
    rounds = args["rounds"] or 1
    rows = await plan_and_store(
        ctx,
        event,
        size=args["size"] or 2,
        bridge=tuple(args["bridge"] or BRIDGE_ATTRIBUTES),
        rounds=rounds,
        rerolls=0,
        preview=bool(args["preview"]),
    )
    if args["preview"]:
        await _preview(ctx, event, rows[0], planned=rounds - 1)
        return
    await _send(ctx, event, rows[0])
    if rounds > 1:
        ctx.reply("pairs.planned", count=rounds - 1)


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
    await drop_rounds(ctx, unsent)
    rows = await plan_and_store(
        ctx,
        event,
        size=size,
        bridge=bridge,
        rounds=len(unsent),
        rerolls=rerolls,
        preview=True,
        avoid=rejected,
    )
    await _preview(ctx, event, rows[0], planned=len(rows) - 1)


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
