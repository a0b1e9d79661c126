"""The connection ledger, as its members see it: `connections` (your own, privately), `stage @user STAGE`,
the stage buttons a nudge carries, and `connections add` for a facilitator noting who met at a table."""

from __future__ import annotations

from itertools import combinations

from sqlmodel import col, select

from bot import ledger
from bot.actions import Field, Message
from bot.commands import Arg, Parsed, Role
from bot.errors import UserError
from bot.markup import bold, mention, user_text
from bot.rituals.nudges.plans import zone_of
from bot.router import Ctx, Router
from bot.store.models import Connection, Event, Member, Participant

router = Router("connections")

MAX_LISTED = 25
MAX_ADD = 12


def stage_names(ctx: Ctx) -> dict[str, str]:
    """Every way to write a stage, in either language, lower-cased -> the stage."""
    names: dict[str, str] = {}
    for stage in ledger.STAGES:
        names[stage] = stage
        for lang in ("en", "ja"):
            names[ctx.t_in(lang, f"connections.stage.{stage}").lower()] = stage
            for alias in ctx.raw(lang, f"connections.aliases.{stage}") or []:
                names[str(alias).lower()] = stage
    return names


def parse_stage(ctx: Ctx, text: str) -> str:
    stage = stage_names(ctx).get(text.strip().lower())
    if stage is None:
        choices = ", ".join(ctx.t(f"connections.stage.{s}") for s in ledger.STAGES)
        raise UserError("connections.bad_stage", value=text[:40], choices=choices)
    return stage


def _other_id(row: Connection, member_id: int) -> int:
    return row.member_b_id if row.member_a_id == member_id else row.member_a_id


@router.command("connections", needs_event=False, help_key="connections.help.connections")
async def show(ctx: Ctx, args: Parsed) -> None:
    rows = await ledger.of_member(ctx.session, tenant=ctx.tenant, member_id=ctx.member.id)
    if not rows:
        ctx.reply("connections.none")
        return
    others = {
        m.id: m
        for m in (
            await ctx.session.exec(
                select(Member).where(col(Member.id).in_([_other_id(r, ctx.member.id) for r in rows]))
            )
        ).all()
    }
    event_ids = {r.event_id for r in rows if r.event_id}
    events = (
        {e.id: e for e in (await ctx.session.exec(select(Event).where(col(Event.id).in_(event_ids)))).all()}
        if event_ids
        else {}
    )
    zone = zone_of(ctx.member.tz, ctx.member.tz_hint)
    fields = []
    for row in rows[:MAX_LISTED]:
        other = others.get(_other_id(row, ctx.member.id))
        if other is None:
            continue
        event = events.get(row.event_id)
        origin_key = f"connections.origin.{row.origin if row.origin in ('pairs', 'oneonone') else 'manual'}"
        origin = ctx.t(origin_key) + (
            ctx.t("connections.at_event", event=bold(user_text(event.name))) if event else ""
        )
        fields.append(
            Field(
                mention(other.user_id),
                ctx.t(
                    "connections.line",
                    stage=ctx.t(f"connections.stage.{row.stage}"),
                    origin=origin,
                    since=row.created_at.astimezone(zone).strftime("%Y-%m-%d"),
                    times=row.times_met,
                ),
            )
        )
    more = len(rows) - MAX_LISTED
    # The list's header sits right above its items; what follows the list comes after it, on its own.
    ctx.reply_message(Message(ctx.t("connections.yours", count=len(rows)), fields=tuple(fields)))
    after = [ctx.t("connections.more", count=more)] if more > 0 else []
    ctx.reply_message(Message("\n".join([*after, ctx.t("connections.how_to_move")])))


@router.command(
    "stage",
    args=[Arg("user", "user", required=True), Arg("stage", "word", required=True, metavar="STAGE")],
    needs_event=False,
    help_key="connections.help.stage",
)
async def stage(ctx: Ctx, args: Parsed) -> None:
    other = await ctx.resolve_user(args["user"])
    new = parse_stage(ctx, args["stage"])
    if other.id == ctx.member.id:
        raise UserError("connections.self")
    row = await ledger.between(ctx.session, tenant=ctx.tenant, a=ctx.member.id, b=other.id)
    if row is None:
        raise UserError("connections.none_with", name=mention(other.user_id))
    await _move(ctx, row, other, new)


async def _move(ctx: Ctx, row: Connection, other: Member, new: str) -> None:
    before = row.stage
    if not await ledger.move_stage(ctx.session, row, new, ctx.now):
        ctx.reply(
            "connections.unchanged", name=mention(other.user_id), stage=ctx.t(f"connections.stage.{new}")
        )
        return
    ctx.reply(
        "connections.moved",
        name=mention(other.user_id),
        stage=ctx.t(f"connections.stage.{new}"),
        before=ctx.t(f"connections.stage.{before}"),
    )


@router.button("connections:set")
async def set_button(ctx: Ctx, rest: list[str]) -> None:
    """A stage button (from the month-after nudge): only one of the two people may press it."""
    if len(rest) != 2 or not rest[0].isdigit() or rest[1] not in ledger.STAGES:
        raise UserError("core.error.stale_button")
    row = await ctx.session.get(Connection, int(rest[0]))
    if row is None or row.tenant_id != ctx.tenant or ctx.member.id not in (row.member_a_id, row.member_b_id):
        raise UserError("core.error.stale_button")
    other = await ctx.session.get(Member, _other_id(row, ctx.member.id))
    if other is None:
        raise UserError("core.error.stale_button")
    if row.event_id is not None:  # pressed in a DM, which has no event: answer as the nudge spoke
        ctx.locale = await ctx.language_for(ctx.member, await ctx.session.get(Event, row.event_id))
    await _move(ctx, row, other, rest[1])


@router.command(
    "connections add",
    args=[Arg("people", "users", required=True)],
    role=Role.FACILITATOR,
    help_key="connections.help.add",
)
async def add(ctx: Ctx, args: Parsed) -> None:
    """People who met outside a pair round (a table, a break): each pair among them gets a Link."""
    people = []
    for member in await ctx.resolve_users(args["people"][:MAX_ADD]):
        if member.id not in {p.id for p in people}:
            people.append(member)
    if len(people) < 2:
        raise UserError("connections.add_two")
    # A link is a promise of DMs later (the nudges quote the event's name): only people who joined this
    # event may be linked at it, or anyone could make the bot write to anyone under any event name.
    joined = set(
        (
            await ctx.session.exec(
                select(Participant.member_id).where(
                    Participant.event_id == ctx.event.id,
                    col(Participant.member_id).in_([p.id for p in people]),
                )
            )
        ).all()
    )
    strangers = [p for p in people if p.id not in joined]
    if strangers:
        raise UserError(
            "connections.not_participants",
            people=ctx.people_in(ctx.locale, [mention(p.user_id) for p in strangers]),
            event=bold(user_text(ctx.event.name)),
        )
    await ledger.record_links(
        ctx.session,
        tenant=ctx.tenant,
        pairs=[(a.id, b.id) for a, b in combinations(people, 2)],
        origin="manual",
        now=ctx.now,
        event_id=ctx.event.id,
    )
    ctx.reply(
        "connections.added",
        count=len(people) * (len(people) - 1) // 2,
        people=ctx.people_in(ctx.locale, [mention(p.user_id) for p in people]),
    )
