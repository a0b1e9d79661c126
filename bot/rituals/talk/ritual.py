"""Timed talk in small groups: `pairs … --talk 3m` (and the run sheet's talk step) matches the room as
`pairs` does, then every group has a round of turns of its own, in its own private space, all at once.

The public API (for the run sheet and others): `start_talk` and `stop_talk`; the signal
`talk_finished(ctx, event, talk_id)` is emitted once when a talk ends, whether its last group finished
or it was stopped (by `talk stop`, `stop_talk` or the event's end).

Each group is a step run of ritual "talk" on the step engine (durable timers, restart-safe); its buttons
and typed controls (`talk done|next|pause|resume`) work only for the group's own members and the
event's facilitators.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.actions import Message
from bot.commands import Parsed, Role
from bot.errors import UserError
from bot.markup import clock_time, mention
from bot.rituals.pairing.matcher import BRIDGE_ATTRIBUTES
from bot.router import Ctx, Router
from bot.steps import engine
from bot.steps.models import LIVE, Step, StepRun
from bot.steps.words import length
from bot.store.db import insert_many
from bot.store.models import Event, Member, Participant

from .host import HOST, close, controls, floor_lines, live_runs, lock, named, people, talk_of, tell
from .models import OPEN, Talk, TalkGroup

router = Router("talk")
engine.timer_routes(router, "talk", HOST)

MIN_SECONDS, MAX_SECONDS = 30, 30 * 60
# A talk still "starting" this long after it began lost its matching (the process stopped while the
# worker planned): it no longer blocks a new one.
STALE_START = timedelta(minutes=5)


# -- the API ------------------------------------------------------------------------------------------------
async def start_talk(
    ctx: Ctx,
    event: Event,
    *,
    seconds: int,
    size: int = 2,
    bridge: Sequence[str] = BRIDGE_ATTRIBUTES,
    source: str = "pairs",
) -> int:
    """Match the people present as `pairs` does and start a timed talk in every group; returns its id.

    Raises UserError (nothing changed) for a length out of range, a talk already running in the event,
    or fewer than two people present. For up to 150 people the groups are matched and begin in this
    transaction, before this returns. A larger room is matched in the core's worker: this returns the
    id at once (the talk is "starting"), and the groups begin in a follow-up transaction for the caller
    (ctx.member, or else one of the event's facilitators); if that matching fails, the talk is marked
    "failed" and the caller is told. Either way `talk_finished` is emitted exactly once, when the talk
    ends: when its last group finishes, or when it is stopped."""
    from bot.rituals.pairing import ritual as pairing  # pairing starts talks too

    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise UserError(
            "talk.error.seconds_range",
            min=length(ctx, ctx.locale, MIN_SECONDS),
            max=length(ctx, ctx.locale, MAX_SECONDS),
        )
    if not 2 <= size <= 4:
        raise UserError("core.error.number_range", option="size", min=2, max=4)
    await _clear_stale(ctx, event)
    if await open_talk(ctx, event) is not None:
        raise UserError("talk.error.running")
    talk = Talk(
        tenant_id=ctx.tenant,
        event_id=event.id,
        channel_id=event.channel_id,
        seconds=seconds,
        size=size,
        source=source[:20],
        status="starting",
        created_at=ctx.now,
    )
    try:
        ctx.session.add(talk)
        await ctx.session.flush()
    except IntegrityError:  # another facilitator's talk in this event won the race
        raise UserError("talk.error.running") from None
    await pairing.plan_for_talk(ctx, event, size=size, bridge=tuple(bridge), talk_id=talk.id)
    return talk.id


async def stop_talk(ctx: Ctx, event: Event, talk_id: int) -> None:
    """End a talk now (the run sheet's step end, `talk stop`): the channel is told "time to come back",
    and every group still talking gets a gentle notice in its own space. A talk already over is left
    as it is (nothing is said twice)."""
    talk = await ctx.session.get(Talk, talk_id)
    if talk is None or talk.tenant_id != ctx.tenant or talk.event_id != event.id:
        raise UserError("talk.error.no_talk")
    if talk.status not in OPEN:
        return
    # Runs before the talk's row, as a group's end takes them; every group in a few statements.
    for run in await engine.stop_many(ctx, await live_runs(ctx, talk), HOST):
        await ctx.session.refresh(run)  # its timer or a click moved it meanwhile: look again
        if run.status in LIVE:
            await _stop_run(ctx, run)
    await lock(ctx, talk)
    if talk.status in OPEN:
        await close(ctx, talk, "stopped")


async def _stop_run(ctx: Ctx, run: StepRun) -> None:
    for _ in range(3):
        try:
            await engine.stop(ctx, run, HOST)
            return
        except engine.Moved:  # its timer or a click moved it meanwhile: look again
            await ctx.session.refresh(run)
            if run.status not in LIVE:
                return


_OPEN_TALK = (
    select(Talk).where(Talk.event_id == bindparam("event"), col(Talk.status).in_(OPEN)).order_by(col(Talk.id))
)
"""Asked on every join (a late joiner's group) and talk command: built once."""


async def open_talk(ctx: Ctx, event: Event) -> Talk | None:
    return (await ctx.session.exec(_OPEN_TALK, params={"event": event.id})).first()


async def _clear_stale(ctx: Ctx, event: Event) -> None:
    talk = await open_talk(ctx, event)
    if talk is not None and talk.status == "starting" and ctx.now - talk.created_at > STALE_START:
        talk.status, talk.finished_at = "failed", ctx.now
        await ctx.session.flush()


async def begin_groups(ctx: Ctx, event: Event, talk_id: int, groups: list[tuple[list[Member], str]]) -> None:
    """The matched groups begin their talk together (called by pairs once the introductions are sent):
    `groups` are each group's members, in speaking order, and its language."""
    talk = await ctx.session.get(Talk, talk_id)
    if talk is None or talk.status != "starting":
        return  # stopped while the room was being matched
    numbered = [(number, members, lang) for number, (members, lang) in enumerate(groups, start=1)]
    numbered = [(number, members, lang) for number, members, lang in numbered if len(members) >= 2]
    runs = [
        StepRun(
            tenant_id=ctx.tenant,
            ritual="talk",
            event_id=event.id,
            channel_id=event.channel_id,
            lang=lang,
            started_by=ctx.member.id if ctx.member else None,
            options={"seconds": talk.seconds},
            created_at=ctx.now,
        )
        for _, _, lang in numbered
    ]
    talk.status = "running"
    ctx.post(
        Message(
            ctx.t_in(
                event.lang, "talk.started", groups=len(runs), length=length(ctx, event.lang, talk.seconds)
            )
        ),
        channel=event.channel_id,
    )
    if not runs:
        await close(ctx, talk, "finished")
        return
    # Every group begins in the same few statements, however many there are (engine.start_many).
    await engine.start_many(
        ctx,
        runs,
        [[m.id for m in members] for _, members, _ in numbered],
        seconds=talk.seconds,
        presenter=HOST,
    )
    await insert_many(
        ctx.session,
        TalkGroup,
        [
            {"tenant_id": ctx.tenant, "talk_id": talk.id, "run_id": run.id, "number": number}
            for run, (number, _, _) in zip(runs, numbered, strict=True)
        ],
    )


async def planning_failed(ctx: Ctx, talk_id: int) -> None:
    """The worker's matching did not end in groups (timed out, superseded, the event closed)."""
    talk = await ctx.session.get(Talk, talk_id)
    if talk is not None and talk.status == "starting":
        talk.status, talk.finished_at = "failed", ctx.now
        if ctx.member is not None:
            ctx.reply("talk.error.planning")


# -- controls -----------------------------------------------------------------------------------------------
async def _enter(ctx: Ctx, run: StepRun) -> Event | None:
    """The group's event becomes the context's (a button in a DM has none), and the caller's language."""
    event = await ctx.session.get(Event, run.event_id) if run.event_id else None
    ctx.event = event
    if ctx.member is not None:
        ctx.locale = await ctx.language_for(ctx.member, event)
    return event


async def _member_or_facilitator(ctx: Ctx, run: StepRun) -> None:
    members = {member_id for member_id, _ in await people(ctx, run)}
    if ctx.member is None or (ctx.member.id not in members and not await ctx.is_facilitator()):
        raise UserError("talk.error.not_in_group")


async def pressed(ctx: Ctx, rest: list[str]) -> tuple[StepRun, Step]:
    if len(rest) != 2 or not all(part.isdigit() for part in rest):
        raise UserError("core.error.stale_button")
    run = await ctx.session.get(StepRun, int(rest[0]))
    if run is None or run.tenant_id != ctx.tenant or run.ritual != "talk":
        raise UserError("core.error.stale_button")
    await _enter(ctx, run)
    await _member_or_facilitator(ctx, run)  # before anything about the group is said
    if run.status not in LIVE:
        raise UserError("talk.error.finished")
    step = await engine.current_step(ctx, run)
    if step is None or step.position != int(rest[1]):
        users = dict(await people(ctx, run))
        raise UserError(
            "talk.error.turn_over", speaker=named(ctx, run, users, step.member_id if step else None)
        )
    return run, step


async def mine(ctx: Ctx) -> tuple[StepRun, Step]:
    """The caller's own group, for the typed controls: the live talk run they have a turn in."""
    run = (
        await ctx.session.exec(
            select(StepRun)
            .join(Step, col(Step.run_id) == StepRun.id)
            .where(
                StepRun.tenant_id == ctx.tenant,
                StepRun.ritual == "talk",
                col(StepRun.status).in_(LIVE),
                Step.member_id == ctx.member.id,
            )
            .order_by(col(StepRun.id).desc())
        )
    ).first()
    step = await engine.current_step(ctx, run) if run else None
    if run is None or step is None:
        raise UserError("talk.error.no_group")
    await _enter(ctx, run)
    return run, step


async def finish_turn(ctx: Ctx, run: StepRun, step: Step, *, outcome: str) -> None:
    """done: the speaker (or a facilitator); next: anyone in the group (the speaker's own Next is Done)."""
    speaking = ctx.member is not None and step.member_id == ctx.member.id
    if speaking:
        outcome = "done"
    elif outcome == "done":
        if not await ctx.is_facilitator():
            users = dict(await people(ctx, run))
            raise UserError("talk.error.not_speaker", speaker=named(ctx, run, users, step.member_id))
        outcome = "next"  # a facilitator ends someone else's turn: it moves on, they did not say done
    try:
        await engine.advance(ctx, run, HOST, outcome=outcome)
    except engine.Moved:
        raise UserError("talk.error.moved") from None


async def pause(ctx: Ctx, run: StepRun, step: Step) -> None:
    if run.status == "paused":
        raise UserError("talk.error.already_paused")
    left = await engine.pause(ctx, run)
    users = dict(await people(ctx, run))
    text = ctx.t_in(
        run.lang,
        "talk.paused",
        user=mention(ctx.member.user_id),
        speaker=named(ctx, run, users, step.member_id),
        left=length(ctx, run.lang, left),
    )
    await tell(ctx, run, Message(text, buttons=controls(ctx, run, step)), list(users.values()))


async def resume(ctx: Ctx, run: StepRun, step: Step) -> None:
    if run.status != "paused":
        raise UserError("talk.error.not_paused")
    ends_at = await engine.resume(ctx, run)
    users = dict(await people(ctx, run))
    text = ctx.t_in(
        run.lang,
        "talk.resumed",
        user=mention(ctx.member.user_id),
        speaker=named(ctx, run, users, step.member_id),
        until=clock_time(ends_at),
        left=length(ctx, run.lang, engine.time_left(run, ctx.now) or 0),
    )
    await tell(ctx, run, Message(text, buttons=controls(ctx, run, step)), list(users.values()))


async def pause_talk(ctx: Ctx, talk_id: int) -> list[int]:
    """Pause every group of the talk that is talking (a run sheet paused); the groups paused, by run id."""
    talk = await ctx.session.get(Talk, talk_id)
    paused: list[int] = []
    if talk is None or talk.status != "running":
        return paused
    for run in await live_runs(ctx, talk):
        step = await engine.current_step(ctx, run)
        if run.status == "running" and step is not None:
            await pause(ctx, run, step)
            paused.append(run.id)
    return paused


async def resume_talk(ctx: Ctx, run_ids: Sequence[int]) -> None:
    """Resume the groups `pause_talk` paused (a group that paused itself before stays paused)."""
    for run_id in run_ids:
        run = await ctx.session.get(StepRun, run_id)
        step = await engine.current_step(ctx, run) if run is not None else None
        if run is not None and run.status == "paused" and step is not None:
            await resume(ctx, run, step)


@router.button("talk:done")
async def done_button(ctx: Ctx, rest: list[str]) -> None:
    await finish_turn(ctx, *await pressed(ctx, rest), outcome="done")


@router.button("talk:next")
async def next_button(ctx: Ctx, rest: list[str]) -> None:
    await finish_turn(ctx, *await pressed(ctx, rest), outcome="next")


@router.button("talk:pause")
async def pause_button(ctx: Ctx, rest: list[str]) -> None:
    await pause(ctx, *await pressed(ctx, rest))


@router.button("talk:resume")
async def resume_button(ctx: Ctx, rest: list[str]) -> None:
    await resume(ctx, *await pressed(ctx, rest))


@router.command("talk done", needs_event=False, help_key="talk.help.done")
async def done_command(ctx: Ctx, args: Parsed) -> None:
    await finish_turn(ctx, *await mine(ctx), outcome="done")


@router.command("talk next", needs_event=False, help_key="talk.help.next")
async def next_command(ctx: Ctx, args: Parsed) -> None:
    await finish_turn(ctx, *await mine(ctx), outcome="next")


@router.command("talk pause", needs_event=False, help_key="talk.help.pause")
async def pause_command(ctx: Ctx, args: Parsed) -> None:
    await pause(ctx, *await mine(ctx))


@router.command("talk resume", needs_event=False, help_key="talk.help.resume")
async def resume_command(ctx: Ctx, args: Parsed) -> None:
    await resume(ctx, *await mine(ctx))


@router.command("talk status", needs_event=False, help_key="talk.help.status")
async def status_command(ctx: Ctx, args: Parsed) -> None:
    """In a group: who has the floor, how long is left, who is still to speak. A facilitator outside
    the groups, in the event's channel: where every group stands."""
    try:
        run, step = await mine(ctx)
    except UserError:
        if ctx.event is None or not await ctx.is_facilitator():
            raise
        await _overview(ctx)
        return
    lines = [await _where(ctx, run, step, ctx.locale)]
    users = dict(await people(ctx, run))
    upcoming = await engine.pending_steps(ctx, run)
    if upcoming:
        names = ctx.people_in(ctx.locale, [named(ctx, run, users, s.member_id) for s in upcoming])
        lines.append(ctx.t("talk.status.waiting", speakers=names))
    else:
        lines.append(ctx.t("talk.status.last"))
    ctx.reply_message(Message("\n".join(lines)))


async def _where(ctx: Ctx, run: StepRun, step: Step, lang: str) -> str:
    users = dict(await people(ctx, run))
    speaker = named(ctx, run, users, step.member_id)
    left = length(ctx, lang, engine.time_left(run, ctx.now) or 0)
    if run.status == "paused":
        return ctx.t_in(lang, "talk.status.paused", speaker=speaker, left=left)
    return ctx.t_in(lang, "talk.status.running", speaker=speaker, until=clock_time(run.ends_at), left=left)


async def _overview(ctx: Ctx) -> None:
    talk = await open_talk(ctx, ctx.event)
    if talk is None or talk.status != "running":
        raise UserError("talk.error.no_talk")
    numbers = dict(
        (
            await ctx.session.exec(
                select(TalkGroup.run_id, TalkGroup.number).where(TalkGroup.talk_id == talk.id)
            )
        ).all()
    )
    total = len(numbers)
    runs = await live_runs(ctx, talk)
    lines = [ctx.t("talk.status.groups", running=len(runs), groups=total)]
    for run in runs:
        step = await engine.current_step(ctx, run)
        if step is not None:
            where = await _where(ctx, run, step, ctx.locale)
            lines.append(ctx.t("talk.status.group", number=numbers.get(run.id, 0), where=where))
    ctx.reply_message(Message("\n".join(lines)))


@router.command("talk stop", role=Role.FACILITATOR, help_key="talk.help.stop")
async def stop_command(ctx: Ctx, args: Parsed) -> None:
    await _clear_stale(ctx, ctx.event)
    talk = await open_talk(ctx, ctx.event)
    if talk is None:
        raise UserError("talk.error.no_talk")
    await stop_talk(ctx, ctx.event, talk.id)


async def _counts(ctx: Ctx, event: Event) -> tuple[int, int] | None:
    """(groups still talking, groups) of the event's running talk, or None."""
    talk = await open_talk(ctx, event)
    if talk is None or talk.status != "running":
        return None
    total = len((await ctx.session.exec(select(TalkGroup.run_id).where(TalkGroup.talk_id == talk.id))).all())
    return len(await live_runs(ctx, talk)), total


@router.on("status_requested")
async def status_requested(ctx: Ctx, event: Event, viewer: Member, lines: list[str]) -> None:
    """`event status`: a facilitator sees how many groups still talk; a member sees their own floor."""
    counts = await _counts(ctx, event)
    if counts is None:
        return
    if await ctx.is_facilitator(event, viewer):
        lines.append(ctx.t("talk.status.groups", running=counts[0], groups=counts[1]))
        return
    try:
        run, step = await mine(ctx)
    except UserError:
        return
    lines.append(await _where(ctx, run, step, ctx.locale))


@router.on("end_requested")
async def end_requested(ctx: Ctx, event: Event, live: list[str]) -> None:
    counts = await _counts(ctx, event)
    if counts is not None and counts[0]:
        live.append(ctx.t("talk.status.end_live", running=counts[0], groups=counts[1]))


# -- people coming and going --------------------------------------------------------------------------------
@router.on("participant_joined")
async def late_joiner(ctx: Ctx, event: Event, participant: Participant) -> None:
    """Someone who joins the event during a talk goes into the smallest group still talking, and speaks
    last there. The group's space is its people, so from now on it is a conversation with them too:
    the old one is told where the talk went on."""
    talk = await open_talk(ctx, event)
    if talk is None or talk.status != "running":
        return
    runs = await live_runs(ctx, talk)
    if not runs:
        return
    sizes = []
    for run in runs:
        group = await people(ctx, run)
        if any(member_id == participant.member_id for member_id, _ in group):
            return  # back in the event, and already in a group
        sizes.append((len(group), run.id, run, group))
    _, _, run, group = min(sizes, key=lambda item: item[:2])
    await engine.hold(ctx, run)
    if run.status not in LIVE:
        return
    member = await ctx.session.get(Member, participant.member_id)
    await engine.add_step(ctx, run, kind="turn", member_id=member.id, seconds=run.options.get("seconds"))
    before = [user for _, user in group]
    await tell(
        ctx, run, Message(ctx.t_in(run.lang, "talk.late_moving", user=mention(member.user_id))), before
    )
    step = await engine.current_step(ctx, run)
    users = dict(await people(ctx, run))
    if step is None:
        return
    upcoming = await engine.pending_steps(ctx, run)
    joined = mention(member.user_id)
    speaker = named(ctx, run, users, step.member_id)
    if run.status == "paused":
        lines = [
            ctx.t_in(
                run.lang,
                "talk.late_joined_paused",
                user=joined,
                speaker=speaker,
                left=length(ctx, run.lang, run.remaining or 0),
            )
        ]
    else:
        lines = [
            ctx.t_in(
                run.lang, "talk.late_joined", user=joined, speaker=speaker, until=clock_time(run.ends_at)
            )
        ]
        lines.extend(floor_lines(ctx, run, step, upcoming[0] if upcoming else None, users)[1:])
    await tell(ctx, run, Message("\n".join(lines), buttons=controls(ctx, run, step)), list(users.values()))


@router.on("participant_left")
async def leaver(ctx: Ctx, event: Event, participant: Participant) -> None:
    talk = await open_talk(ctx, event)
    if talk is None:
        return
    for run in await live_runs(ctx, talk):
        had_floor, dropped = await engine.drop_member(ctx, run, participant.member_id, HOST, outcome="left")
        if dropped and not had_floor:
            users = dict(await people(ctx, run))
            text = ctx.t_in(
                run.lang, "talk.left_waiting", speaker=named(ctx, run, users, participant.member_id)
            )
            await tell(ctx, run, Message(text), list(users.values()))


@router.on("event_ended")
async def event_ended(ctx: Ctx, event: Event, plan: str) -> None:
    talk = await open_talk(ctx, event)
    if talk is not None:
        await stop_talk(ctx, event, talk.id)


@router.on("member_forgotten")
async def forget(ctx: Ctx, member: Member) -> None:
    """Their turns still to come are dropped, the floor passes on if it is theirs, and no step names them
    (so no group's messages reach them any more)."""
    await engine.forget_member(ctx, "talk", member.id, HOST)


__all__ = ["begin_groups", "planning_failed", "router", "start_talk", "stop_talk", "talk_of"]
