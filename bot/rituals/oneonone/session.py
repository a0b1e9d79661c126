"""The one-on-one ritual's routes: starting a session from a template, its controls, the answers people
write, the follow-up, and forgetting someone.

A session is a step run of ritual "oneonone" in a private space for the two (a group DM beside the
channel it was started from). The pair is recorded in the connection ledger when it starts.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import col, delete, or_, select

from bot import ledger
from bot.actions import Choice, Form, Input, Message
from bot.commands import Arg, Opt, Parsed
from bot.errors import UserError
from bot.markup import clock_time, mention
from bot.router import Ctx, Router
from bot.steps import engine
from bot.steps.models import LIVE, Step, StepRun
from bot.steps.words import length
from bot.store.models import Member, Timer

from .guide import EXTEND_SECONDS, GUIDE, answer_fields, answers, pair, session_of, tell, template_of
from .models import ANSWER_MAX, OneOnOne, OneOnOneAnswer
from .templates import StepSpec, fill, find, names

router = Router("oneonone")
engine.timer_routes(router, "oneonone", GUIDE)

MIN_SECONDS, MAX_SECONDS = 30, 30 * 60


# -- starting -----------------------------------------------------------------------------------------------
@router.command(
    "oneonone",
    args=[Arg("partner", "user", required=True, metavar="@partner")],
    options=[
        Opt("template", "str", max_length=40, metavar="NAME"),
        Opt("minutes", "duration", min=MIN_SECONDS, max=MAX_SECONDS, metavar="3"),
    ],
    needs_event=False,
    help_key="oneonone.help.start",
)
async def start(ctx: Ctx, args: Parsed) -> None:
    partner = await ctx.resolve_user(args["partner"])
    await open_session(ctx, partner, args["template"], args["minutes"])


@router.button("oneonone:pair")
async def pair_button(ctx: Ctx, rest: list[str]) -> None:
    """The "Start our one-on-one" button on a message to two people (an accepted chat): either may press it."""
    ids = [int(part) for part in rest[:2] if part.isdigit()]
    if len(ids) != 2 or ctx.member.id not in ids:
        raise UserError("core.error.stale_button")
    partner = await ctx.session.get(Member, ids[1] if ids[0] == ctx.member.id else ids[0])
    if partner is None or partner.tenant_id != ctx.tenant:
        raise UserError("core.error.stale_button")
    await open_session(ctx, partner, None, None)


async def open_session(ctx: Ctx, partner: Member, template_name: str | None, minutes: int | None) -> None:
    """A one-on-one between the caller and `partner`, in a group DM of the two."""
    if partner.id == ctx.member.id:
        raise UserError("oneonone.error.self")
    extra = ctx.core.settings.prompts_dir
    name = (template_name or "reflect").lower()
    template = find(name, ctx.locale, extra)
    if template is None:
        raise UserError(
            "oneonone.error.unknown_template", name=name, names=", ".join(names(ctx.locale, extra))
        )
    # Said to the one who asked: about themselves as "you", about their partner by name.
    if await live_session_of(ctx, ctx.member) is not None:
        raise UserError("oneonone.error.you_busy")
    if await live_session_of(ctx, partner) is not None:
        raise UserError("oneonone.error.busy", user=mention(partner.user_id))
    # Tied to the channel's event only when both joined it: the link then counts for the event's nudges,
    # which must never reach someone about an event they did not join.
    event_id = None
    if ctx.event is not None and all([await ctx.participant(member=m) for m in (ctx.member, partner)]):
        event_id = ctx.event.id
    run = await engine.create(
        ctx,
        ritual="oneonone",
        lang=ctx.locale,
        channel_id=ctx.channel,
        event_id=event_id,
        started_by=ctx.member.id,
        options={"template": template.name},
    )
    session = OneOnOne(
        tenant_id=ctx.tenant,
        run_id=run.id,
        template=template.name,
        starter_id=ctx.member.id,
        partner_id=partner.id,
        followup_days=template.followup_days,
        created_at=ctx.now,
    )
    ctx.session.add(session)
    await ctx.session.flush()
    turn_seconds = minutes or round(template.minutes * 60)
    for spec in template.steps:
        seconds = round(spec.minutes * 60) if spec.minutes else None
        if spec.kind == "turns":
            for member in (partner, ctx.member):  # the one invited speaks first
                await engine.add_step(
                    ctx,
                    run,
                    kind="turn",
                    member_id=member.id,
                    seconds=seconds or turn_seconds,
                    name=spec.name,
                )
        else:
            if spec.kind == "prompt":
                seconds = seconds or turn_seconds
            await engine.add_step(ctx, run, kind=spec.kind, seconds=seconds, name=spec.name)
    await ledger.record_link(
        ctx.session,
        tenant=ctx.tenant,
        a=ctx.member.id,
        b=partner.id,
        origin="oneonone",
        now=ctx.now,
        origin_id=session.id,
        event_id=event_id,
    )
    ctx.reply("oneonone.started", partner=mention(partner.user_id), title=template.title)
    # The introduction says the turn length this session was started with (`--minutes`), not the file's.
    intro = fill(
        template.summary, first=mention(partner.user_id), length=length(ctx, ctx.locale, turn_seconds)
    )
    await tell(ctx, run, session, Message(intro, title=template.title))
    await engine.begin(ctx, run, GUIDE)


async def live_session_of(ctx: Ctx, member: Member) -> tuple[StepRun, OneOnOne] | None:
    row = (
        await ctx.session.exec(
            select(StepRun, OneOnOne)
            .join(OneOnOne, col(OneOnOne.run_id) == StepRun.id)
            .where(
                StepRun.tenant_id == ctx.tenant,
                col(StepRun.status).in_(LIVE),
                or_(OneOnOne.starter_id == member.id, OneOnOne.partner_id == member.id),
            )
        )
    ).first()
    return (row[0], row[1]) if row else None


async def mine(ctx: Ctx) -> tuple[StepRun, OneOnOne, Step]:
    found = await live_session_of(ctx, ctx.member)
    step = await engine.current_step(ctx, found[0]) if found else None
    if found is None or step is None:
        raise UserError("oneonone.error.no_session")
    return found[0], found[1], step


@router.command("oneonone templates", needs_event=False, help_key="oneonone.help.templates")
async def list_templates(ctx: Ctx, args: Parsed) -> None:
    extra = ctx.core.settings.prompts_dir
    lines = [ctx.t("oneonone.templates")]
    for name in names(ctx.locale, extra):
        template = find(name, ctx.locale, extra)
        lines.append(f"`{name}` — {template.title}")
    ctx.reply_message(Message("\n".join(lines)))


# -- controls -----------------------------------------------------------------------------------------------
@router.command("oneonone done", needs_event=False, help_key="oneonone.help.done")
async def done_command(ctx: Ctx, args: Parsed) -> None:
    await finish_step(ctx, *await mine(ctx))


@router.command("oneonone stop", needs_event=False, help_key="oneonone.help.stop")
async def stop_command(ctx: Ctx, args: Parsed) -> None:
    run, _, _ = await mine(ctx)
    await engine.stop(ctx, run, GUIDE)


@router.command("oneonone pause", needs_event=False, help_key="oneonone.help.pause")
async def pause_command(ctx: Ctx, args: Parsed) -> None:
    """Either of the two stops the clock; the step keeps what it had left, as a round of turns does."""
    run, session, _ = await mine(ctx)
    if run.status == "paused":
        raise UserError("oneonone.error.already_paused")
    if run.ends_at is None:
        raise UserError("oneonone.error.untimed")
    left = await engine.pause(ctx, run)
    text = ctx.t_in(
        run.lang, "oneonone.paused", user=mention(ctx.member.user_id), left=length(ctx, run.lang, left)
    )
    await tell(ctx, run, session, Message(text))


@router.command("oneonone resume", needs_event=False, help_key="oneonone.help.resume")
async def resume_command(ctx: Ctx, args: Parsed) -> None:
    run, session, step = await mine(ctx)
    if run.status != "paused":
        raise UserError("oneonone.error.not_paused")
    ends_at = await engine.resume(ctx, run)
    text = ctx.t_in(
        run.lang,
        "oneonone.resumed",
        user=mention(ctx.member.user_id),
        until=clock_time(ends_at),
        left=length(ctx, run.lang, engine.time_left(run, ctx.now) or 0),
    )
    await tell(ctx, run, session, Message(text, buttons=GUIDE.buttons(ctx, run, step, None)))


@router.command(
    "oneonone action",
    args=[Arg("text", "text", required=True, max_length=ANSWER_MAX, metavar="TEXT")],
    needs_event=False,
    help_key="oneonone.help.action",
)
async def action_command(ctx: Ctx, args: Parsed) -> None:
    run, session, step = await mine(ctx)
    template = template_of(ctx, run, session)
    spec = template.step(step.name) if template and step.kind == "collect" else None
    if spec is None or spec.input("action") is None:
        raise UserError("oneonone.error.not_yet")
    await record(ctx, run, session, step, spec, {"action": args["text"]}, partial=True)


async def pressed(ctx: Ctx, rest: list[str], *, with_seq: bool = False) -> tuple[StepRun, OneOnOne, Step]:
    size = 3 if with_seq else 2
    if len(rest) != size or not all(part.isdigit() for part in rest):
        raise UserError("core.error.stale_button")
    run = await ctx.session.get(StepRun, int(rest[0]))
    if run is None or run.tenant_id != ctx.tenant or run.ritual != "oneonone":
        raise UserError("core.error.stale_button")
    session = await session_of(ctx, run)
    if ctx.member.id not in (session.starter_id, session.partner_id):
        raise UserError("oneonone.error.not_yours_session")
    if run.status not in LIVE:
        raise UserError("oneonone.error.finished")
    step = await engine.current_step(ctx, run)
    if step is None or step.position != int(rest[1]):
        raise UserError("oneonone.error.step_over")
    if with_seq and run.seq != int(rest[2]):
        raise UserError("oneonone.error.moved")
    return run, session, step


@router.button("oneonone:done")
async def done_button(ctx: Ctx, rest: list[str]) -> None:
    await finish_step(ctx, *await pressed(ctx, rest))


@router.button("oneonone:extend")
async def extend_button(ctx: Ctx, rest: list[str]) -> None:
    run, session, step = await pressed(ctx, rest, with_seq=True)
    await engine.extend(ctx, run, EXTEND_SECONDS)
    text = ctx.t_in(
        run.lang,
        "oneonone.extended",
        added=length(ctx, run.lang, EXTEND_SECONDS),
        until=clock_time(run.ends_at) if run.ends_at else "",
    )
    await tell(ctx, run, session, Message(text, buttons=GUIDE.buttons(ctx, run, step, None)))


@router.button("oneonone:answer")
async def answer_button(ctx: Ctx, rest: list[str]) -> None:
    run, session, step = await pressed(ctx, rest)
    spec = collect_spec(ctx, run, session, step)
    mine_now = {
        row.field: row.text
        for row in await answers(ctx, session, step.name)
        if row.member_id == ctx.member.id
    }
    inputs = tuple(
        Input(
            item.name,
            item.label,
            "select" if item.kind == "select" else item.kind,
            tuple(Choice(c, c) for c in item.choices),
            required=item.required,
            max_length=ANSWER_MAX,
            initial=mine_now.get(item.name),
        )
        for item in spec.inputs
    )
    submit = ctx.t_in(run.lang, "oneonone.button.submit")
    ctx.open_form(
        Form(f"oneonone:answer:{run.id}:{step.position}", spec.form_title or spec.name, inputs, submit)
    )


@router.form("oneonone:answer")
async def answer_form(ctx: Ctx, rest: list[str], values: Mapping[str, str]) -> None:
    run, session, step = await pressed(ctx, rest)
    spec = collect_spec(ctx, run, session, step)
    await record(ctx, run, session, step, spec, values, partial=False)


def collect_spec(ctx: Ctx, run: StepRun, session: OneOnOne, step: Step) -> StepSpec:
    template = template_of(ctx, run, session)
    spec = template.step(step.name) if template and step.kind == "collect" else None
    if spec is None:
        raise UserError("oneonone.error.step_over")
    return spec


async def finish_step(ctx: Ctx, run: StepRun, session: OneOnOne, step: Step) -> None:
    """A turn ends early only by its speaker; a step for both, by either."""
    if step.kind == "collect":
        raise UserError("oneonone.error.answer_first")
    if step.kind == "turn" and step.member_id != ctx.member.id:
        speaker = next((mention(m.user_id) for m in await pair(ctx, session) if m.id == step.member_id), "")
        raise UserError("oneonone.error.not_your_turn", speaker=speaker)
    await engine.advance(ctx, run, GUIDE, outcome="done")


# -- answers ------------------------------------------------------------------------------------------------
async def record(
    ctx: Ctx,
    run: StepRun,
    session: OneOnOne,
    step: Step,
    spec: StepSpec,
    values: Mapping[str, str],
    *,
    partial: bool,
) -> None:
    """Keep what the caller wrote (a second answer replaces the first); when both have answered every
    required field, the session moves on. `partial`: only the fields given (a typed action)."""
    cleaned: dict[str, str] = {}
    for item in spec.inputs:
        value = str(values.get(item.name, "")).strip()
        if not value:
            if item.required and not partial:
                raise UserError("oneonone.error.required", field=item.label)
            continue
        if len(value) > ANSWER_MAX:
            raise UserError("core.error.too_long", field=item.label, max=ANSWER_MAX, length=len(value))
        if item.choices and value not in item.choices:
            raise UserError(
                "oneonone.error.bad_choice",
                field=item.label,
                value=value[:40],
                choices=", ".join(item.choices),
            )
        cleaned[item.name] = value
    existing = {
        row.field: row for row in await answers(ctx, session, spec.name) if row.member_id == ctx.member.id
    }
    for field, value in cleaned.items():
        row = existing.get(field)
        if row is None:
            ctx.session.add(
                OneOnOneAnswer(
                    tenant_id=ctx.tenant,
                    oneonone_id=session.id,
                    member_id=ctx.member.id,
                    step_name=spec.name,
                    field=field,
                    text=value,
                    created_at=ctx.now,
                )
            )
        else:
            row.text, row.created_at = value, ctx.now
    await ctx.session.flush()
    ctx.reply("oneonone.recorded")
    waiting = await still_to_answer(ctx, session, spec)
    if not waiting:
        await engine.advance(ctx, run, GUIDE, outcome="done")
    elif ctx.member.id not in {m.id for m in waiting}:
        await tell(
            ctx,
            run,
            session,
            Message(
                ctx.t_in(
                    run.lang,
                    "oneonone.answered",
                    user=mention(ctx.member.user_id),
                    waiting=ctx.people_in(run.lang, [mention(m.user_id) for m in waiting]),
                )
            ),
        )


async def still_to_answer(ctx: Ctx, session: OneOnOne, spec: StepSpec) -> list[Member]:
    required = {item.name for item in spec.inputs if item.required}
    rows = await answers(ctx, session, spec.name)
    return [
        member
        for member in await pair(ctx, session)
        if not required <= {row.field for row in rows if row.member_id == member.id}
    ]


# -- afterwards ---------------------------------------------------------------------------------------------
@router.timer("oneonone.followup")
async def followup(ctx: Ctx, timer: Timer) -> None:
    """A short "how did your actions go?" to whichever of the two still accept follow-up DMs (`nudges off`
    opts out of this too). It was planned outside both people's quiet hours (`followup_time`)."""
    session = await ctx.session.get(OneOnOne, int(timer.payload.get("oneonone", 0)))
    if session is None or session.tenant_id != timer.tenant_id:
        return
    willing = [m for m in await pair(ctx, session) if m.nudges_enabled]
    if not willing:
        return
    run = await ctx.session.get(StepRun, session.run_id)
    template = template_of(ctx, run, session)
    actions = await answer_fields(ctx, session, template, field="action")
    text = ctx.t_in(run.lang, "oneonone.followup", days=session.followup_days or 0)
    ctx.dm([m.user_id for m in willing], Message(text, fields=actions), near=run.channel_id)


@router.on("member_forgotten")
async def forget(ctx: Ctx, member: Member) -> None:
    """Their live one-on-ones end (the other person is told, without a name), what they wrote is deleted,
    and no session, step or answer names them."""
    await ctx.session.exec(
        delete(OneOnOneAnswer).where(
            OneOnOneAnswer.tenant_id == ctx.tenant, col(OneOnOneAnswer.member_id) == member.id
        )
    )
    sessions = (
        await ctx.session.exec(
            select(OneOnOne).where(
                OneOnOne.tenant_id == ctx.tenant,
                or_(OneOnOne.starter_id == member.id, OneOnOne.partner_id == member.id),
            )
        )
    ).all()
    for session in sessions:
        if session.starter_id == member.id:
            session.starter_id = None
        if session.partner_id == member.id:
            session.partner_id = None
        run = await ctx.session.get(StepRun, session.run_id)
        if run is not None and run.status in LIVE:
            await engine.stop(ctx, run, GUIDE)
    await engine.forget_member(ctx, "oneonone", member.id, GUIDE)
