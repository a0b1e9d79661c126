"""The turns ritual's routes: `turns …` commands, the round's buttons, its timers, and people coming and going.

Each control exists as a command (for keyboards and scripts) and, where it makes sense, a button; both go
through the same function, so they answer the same way. Replies are in the caller's language, posts in
the event's.
"""

from __future__ import annotations

from sqlmodel import select

from bot.actions import Message
from bot.commands import Arg, Opt, Parsed, Role, parse_duration
from bot.errors import UserError
from bot.markup import clock_time, mention
from bot.router import Ctx, Router
from bot.steps import engine
from bot.steps.models import LIVE, Step, StepRun
from bot.steps.words import length
from bot.store.models import Event, Member, Participant

from .announce import ANNOUNCER, EXTEND_SECONDS, controls, who
from .round import (
    DEFAULT_SECONDS,
    MAX_SECONDS,
    MIN_SECONDS,
    live_round,
    live_round_of_event,
    speakers,
    start_round,
)

router = Router("turns")
engine.timer_routes(router, "turns", ANNOUNCER)
MAX_EXTEND = 10 * 60


# -- starting -----------------------------------------------------------------------------------------------
@router.command(
    "turns",
    args=[Arg("people", "users")],
    options=[
        Opt("minutes", "duration", min=MIN_SECONDS, max=MAX_SECONDS, metavar="3"),
        Opt("order", "choice", choices=("random", "given")),
        # Where the platform can (Discord, with Mute Members), everyone but the speaker is muted in the
        # voice room; elsewhere the round runs as usual and the adapter ignores the Floor actions.
        Opt("mute-others", "flag"),
    ],
    role=Role.FACILITATOR,
    help_key="turns.help.start",
)
async def start(ctx: Ctx, args: Parsed) -> None:
    if await live_round(ctx, ctx.event.channel_id) is not None:
        raise UserError("turns.error.running")
    members, open_round = await speakers(ctx, ctx.event, args["people"] or [])
    await start_round(
        ctx,
        ctx.event,
        members,
        seconds=args["minutes"] or DEFAULT_SECONDS,
        order=args["order"] or "random",
        open_round=open_round,
        mute_others=bool(args["mute-others"]),
    )


# -- the round in this channel, by command ------------------------------------------------------------------
async def here(ctx: Ctx) -> tuple[StepRun, Step]:
    run = await live_round(ctx, ctx.event.channel_id)
    step = await engine.current_step(ctx, run) if run else None
    if run is None or step is None:
        raise UserError("turns.error.no_round")
    return run, step


@router.command("turns done", help_key="turns.help.done")
async def done_command(ctx: Ctx, args: Parsed) -> None:
    await finish_turn(ctx, *await here(ctx), outcome="done")


@router.command("turns next", role=Role.FACILITATOR, help_key="turns.help.next")
async def next_command(ctx: Ctx, args: Parsed) -> None:
    await finish_turn(ctx, *await here(ctx), outcome="next")


@router.command("turns skip", args=[Arg("user", "user")], role=Role.FACILITATOR, help_key="turns.help.skip")
async def skip_command(ctx: Ctx, args: Parsed) -> None:
    run, step = await here(ctx)
    if args["user"] is None:
        await finish_turn(ctx, run, step, outcome="skipped")
        return
    member = await ctx.resolve_user(args["user"])
    if step.member_id == member.id:
        await finish_turn(ctx, run, step, outcome="skipped")
        return
    _, dropped = await engine.drop_member(ctx, run, member.id, ANNOUNCER, outcome="skipped")
    if not dropped:
        raise UserError("turns.error.not_waiting", user=mention(member.user_id))
    ctx.post(
        Message(ctx.t_in(run.lang, "turns.skipped_ahead", speaker=mention(member.user_id))),
        channel=run.channel_id,
    )


@router.command("turns pause", role=Role.FACILITATOR, help_key="turns.help.pause")
async def pause_command(ctx: Ctx, args: Parsed) -> None:
    await pause(ctx, *await here(ctx))


@router.command("turns resume", role=Role.FACILITATOR, help_key="turns.help.resume")
async def resume_command(ctx: Ctx, args: Parsed) -> None:
    await resume(ctx, *await here(ctx))


@router.command(
    "turns extend",
    args=[Arg("minutes", "word", metavar="MIN")],
    role=Role.FACILITATOR,
    help_key="turns.help.extend",
)
async def extend_command(ctx: Ctx, args: Parsed) -> None:
    seconds = parse_duration(args["minutes"]) if args["minutes"] else EXTEND_SECONDS
    if not MIN_SECONDS <= seconds <= MAX_EXTEND:
        raise UserError(
            "turns.error.extend_range",
            min=length(ctx, ctx.locale, MIN_SECONDS),
            max=length(ctx, ctx.locale, MAX_EXTEND),
        )
    await extend(ctx, *await here(ctx), seconds=seconds)


@router.command("turns stop", role=Role.FACILITATOR, help_key="turns.help.stop")
async def stop_command(ctx: Ctx, args: Parsed) -> None:
    run, _ = await here(ctx)
    await engine.stop(ctx, run, ANNOUNCER)


@router.command("turns status", help_key="turns.help.status")
async def status_command(ctx: Ctx, args: Parsed) -> None:
    run, step = await here(ctx)
    speaker = await who(ctx, run, step.member_id)
    left = length(ctx, ctx.locale, engine.time_left(run, ctx.now) or 0)
    if run.status == "paused":
        lines = [ctx.t("turns.status.paused", speaker=speaker, left=left)]
    else:
        lines = [ctx.t("turns.status.running", speaker=speaker, until=clock_time(run.ends_at), left=left)]
    upcoming = await engine.pending_steps(ctx, run)
    if upcoming:
        names = [await who(ctx, run, s.member_id) for s in upcoming]
        lines.append(ctx.t("turns.status.waiting", speakers=ctx.people_in(ctx.locale, names)))
    else:
        lines.append(ctx.t("turns.status.last"))
    ctx.reply_message(Message("\n".join(lines)))


# -- the same controls, by button -----------------------------------------------------------------------------
async def pressed(ctx: Ctx, rest: list[str], *, with_seq: bool = False) -> tuple[StepRun, Step]:
    """The round and turn a button names, if that turn is still the one on the floor."""
    size = 3 if with_seq else 2
    if len(rest) != size or not all(part.isdigit() for part in rest):
        raise UserError("core.error.stale_button")
    run = await ctx.session.get(StepRun, int(rest[0]))
    if run is None or run.tenant_id != ctx.tenant or run.ritual != "turns":
        raise UserError("core.error.stale_button")
    if run.status not in LIVE:
        raise UserError("turns.error.finished")
    step = await engine.current_step(ctx, run)
    if step is None or step.position != int(rest[1]):
        raise UserError(
            "turns.error.turn_over", speaker=await who(ctx, run, step.member_id if step else None)
        )
    if with_seq and run.seq != int(rest[2]):
        raise UserError("turns.error.moved")
    ctx.event = await ctx.session.get(Event, run.event_id) if run.event_id else None
    return run, step


@router.button("turns:done")
async def done_button(ctx: Ctx, rest: list[str]) -> None:
    await finish_turn(ctx, *await pressed(ctx, rest), outcome="done")


@router.button("turns:next")
async def next_button(ctx: Ctx, rest: list[str]) -> None:
    await finish_turn(ctx, *await pressed(ctx, rest), outcome="next")


@router.button("turns:pause")
async def pause_button(ctx: Ctx, rest: list[str]) -> None:
    run, step = await pressed(ctx, rest)
    await require_facilitator(ctx, "turns pause")
    await pause(ctx, run, step)


@router.button("turns:resume")
async def resume_button(ctx: Ctx, rest: list[str]) -> None:
    run, step = await pressed(ctx, rest)
    await require_facilitator(ctx, "turns resume")
    await resume(ctx, run, step)


@router.button("turns:extend")
async def extend_button(ctx: Ctx, rest: list[str]) -> None:
    run, step = await pressed(ctx, rest, with_seq=True)
    await require_facilitator(ctx, "turns extend")
    await extend(ctx, run, step, seconds=EXTEND_SECONDS)


async def require_facilitator(ctx: Ctx, command: str) -> None:
    if not await ctx.is_facilitator():
        raise UserError("core.error.facilitator_only", command=command)


# -- what each control does ---------------------------------------------------------------------------------
async def finish_turn(ctx: Ctx, run: StepRun, step: Step, *, outcome: str) -> None:
    """done: the speaker or a facilitator; next and skip: a facilitator (the speaker's own Next is Done)."""
    speaking = ctx.member is not None and step.member_id == ctx.member.id
    facilitator = await ctx.is_facilitator()
    if outcome == "next" and speaking and not facilitator:
        outcome = "done"
    if not facilitator and not (speaking and outcome == "done"):
        raise UserError("turns.error.not_yours", speaker=await who(ctx, run, step.member_id))
    await engine.advance(ctx, run, ANNOUNCER, outcome=outcome)


async def pause(ctx: Ctx, run: StepRun, step: Step) -> None:
    if run.status == "paused":
        raise UserError("turns.error.already_paused")
    left = await engine.pause(ctx, run)
    ctx.post(
        Message(
            ctx.t_in(
                run.lang,
                "turns.paused",
                speaker=await who(ctx, run, step.member_id),
                left=length(ctx, run.lang, left),
            ),
            buttons=controls(ctx, run, step),
        ),
        channel=run.channel_id,
    )


async def resume(ctx: Ctx, run: StepRun, step: Step) -> None:
    if run.status != "paused":
        raise UserError("turns.error.not_paused")
    ends_at = await engine.resume(ctx, run)
    ctx.post(
        Message(
            ctx.t_in(
                run.lang,
                "turns.resumed",
                speaker=await who(ctx, run, step.member_id),
                until=clock_time(ends_at),
                left=length(ctx, run.lang, engine.time_left(run, ctx.now) or 0),
            ),
            buttons=controls(ctx, run, step),
        ),
        channel=run.channel_id,
    )


async def extend(ctx: Ctx, run: StepRun, step: Step, *, seconds: int) -> None:
    await engine.extend(ctx, run, seconds)
    speaker, added = await who(ctx, run, step.member_id), length(ctx, run.lang, seconds)
    if run.status == "paused":
        text = ctx.t_in(
            run.lang,
            "turns.extended_paused",
            speaker=speaker,
            added=added,
            left=length(ctx, run.lang, run.remaining or 0),
        )
    else:
        text = ctx.t_in(
            run.lang, "turns.extended", speaker=speaker, added=added, until=clock_time(run.ends_at)
        )
    ctx.post(Message(text, buttons=controls(ctx, run, step)), channel=run.channel_id)


# -- people coming and going --------------------------------------------------------------------------------
@router.on("participant_joined")
async def late_joiner(ctx: Ctx, event: Event, participant: Participant) -> None:
    """A round started without names is everyone's: whoever arrives during it speaks last."""
    run = await live_round_of_event(ctx, event)
    if run is None or not run.options.get("open"):
        return
    await engine.hold(ctx, run)
    if run.status not in LIVE:
        return
    theirs = (
        await ctx.session.exec(
            select(Step).where(Step.run_id == run.id, Step.member_id == participant.member_id)
        )
    ).all()
    if any(
        s.status in ("pending", "active", "timeup", "done", "next", "skipped") or s.spoken for s in theirs
    ):
        return  # already waiting, speaking, or has had the floor
    await engine.add_step(
        ctx, run, kind="turn", member_id=participant.member_id, seconds=run.options.get("seconds")
    )
    member = await ctx.session.get(Member, participant.member_id)
    ctx.post(
        Message(ctx.t_in(run.lang, "turns.late_joiner", speaker=mention(member.user_id))),
        channel=run.channel_id,
    )


@router.on("participant_left")
async def leaver(ctx: Ctx, event: Event, participant: Participant) -> None:
    run = await live_round_of_event(ctx, event)
    if run is None:
        return
    had_floor, dropped = await engine.drop_member(ctx, run, participant.member_id, ANNOUNCER, outcome="left")
    if dropped and not had_floor:
        ctx.post(
            Message(
                ctx.t_in(run.lang, "turns.left_waiting", speaker=await who(ctx, run, participant.member_id))
            ),
            channel=run.channel_id,
        )


@router.on("event_ended")
async def event_ended(ctx: Ctx, event: Event, plan: str) -> None:
    run = await live_round_of_event(ctx, event)
    if run is not None:
        await engine.stop(ctx, run, ANNOUNCER)


@router.on("member_forgotten")
async def forget(ctx: Ctx, member: Member) -> None:
    """Their turns still to come are dropped, the floor passes on if it is theirs, and every row of the
    engine that named them names nobody."""
    await engine.forget_member(ctx, "turns", member.id, ANNOUNCER)
