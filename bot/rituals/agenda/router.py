"""The agenda's routes: `agenda start|next|pause|resume|status|stop|list`, its buttons and timers, and the
signals of the rituals it drives (a talk ended, a round finished, a board revealed)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import update

from bot.actions import Message
from bot.commands import Arg, Parsed, Role
from bot.errors import UserError
from bot.markup import bold
from bot.router import Ctx, Router
from bot.steps import engine
from bot.steps.models import LIVE, Step, StepRun
from bot.steps.words import length
from bot.store.models import Event, Member, Timer

from . import run as runs
from .run import RITUAL, RUNNER, buttons, live_run, part_of, progress, said, set_part, sheet_of, spec_of
from .sheets import SheetError, every, find

router = Router("agenda")


def sheet_problem(ctx: Ctx, error: SheetError) -> UserError:
    problem = ctx.t(f"agenda.problem.{error.problem}", **error.params)
    if error.line is None:
        return UserError("agenda.error.bad_sheet_file", file=error.file, problem=problem)
    return UserError("agenda.error.bad_sheet", file=error.file, line=error.line, problem=problem)


# -- starting -----------------------------------------------------------------------------------------------
@router.command(
    "agenda start",
    args=[Arg("sheet", "word", required=True, metavar="NAME")],
    role=Role.FACILITATOR,
    help_key="agenda.help.start",
)
async def start(ctx: Ctx, args: Parsed) -> None:
    name = args["sheet"].lower()
    extra = ctx.core.settings.prompts_dir
    try:
        sheet = find(name, extra)
    except SheetError as error:
        raise sheet_problem(ctx, error) from None
    if sheet is None:
        sheets = [item.name for item in every(extra) if not isinstance(item, SheetError)]  # codes, not people
        raise UserError("agenda.error.unknown_sheet", name=name[:40], names=", ".join(sheets))
    event = ctx.event
    if await live_run(ctx, event) is not None:
        raise UserError("agenda.error.running")
    try:
        run = await engine.create(
            ctx,
            ritual=RITUAL,
            lang=event.lang,
            channel_id=event.channel_id,
            event_id=event.id,
            started_by=ctx.member.id,
            options={"sheet": sheet.as_dict()},
        )
    except IntegrityError:  # another facilitator's sheet in this channel won the race
        raise UserError("agenda.error.running") from None
    for step in sheet.steps:
        await engine.add_step(ctx, run, kind=step.kind, seconds=step.seconds, name=step.name)
    lang = event.lang
    people = await runs.present_count(ctx, event)
    ctx.post(
        Message(
            ctx.t_in(
                lang,
                "agenda.opening",
                title=said({one: bold(text) for one, text in sheet.title.items()}, lang),
                count=len(sheet.steps),
                length=length(ctx, lang, sheet.planned(people)),
                summary=said(sheet.summary, lang),
            )
        ),
        channel=event.channel_id,
    )
    await runs.start(ctx, run, event)


@router.command("agenda list", role=Role.FACILITATOR, help_key="agenda.help.list")
async def list_sheets(ctx: Ctx, args: Parsed) -> None:
    lines = [ctx.t("agenda.list.header")]
    people = await runs.present_count(ctx, ctx.event)
    for item in every(ctx.core.settings.prompts_dir):
        if isinstance(item, SheetError):
            problem = ctx.t(f"agenda.problem.{item.problem}", **item.params)
            if item.line is None:
                lines.append(ctx.t("agenda.list.broken_file", file=item.file, problem=problem))
            else:
                lines.append(ctx.t("agenda.list.broken", file=item.file, line=item.line, problem=problem))
            continue
        lang = ctx.locale
        lines.append(
            ctx.t(
                "agenda.list.sheet",
                name=item.name,
                title=said(item.title, lang),
                count=len(item.steps),
                length=length(ctx, lang, item.planned(people)),
            )
        )
    ctx.reply_message(Message("\n".join(lines)))


# -- the run in this channel --------------------------------------------------------------------------------
async def here(ctx: Ctx) -> tuple[StepRun, Step]:
    run = await live_run(ctx, ctx.event)
    step = await engine.current_step(ctx, run) if run else None
    if run is None or step is None:
        raise UserError("agenda.error.no_run")
    return run, step


@router.command("agenda next", role=Role.FACILITATOR, help_key="agenda.help.next")
async def next_command(ctx: Ctx, args: Parsed) -> None:
    await skip(ctx, *await here(ctx))


@router.command("agenda pause", role=Role.FACILITATOR, help_key="agenda.help.pause")
async def pause_command(ctx: Ctx, args: Parsed) -> None:
    await pause(ctx, *await here(ctx))


@router.command("agenda resume", role=Role.FACILITATOR, help_key="agenda.help.resume")
async def resume_command(ctx: Ctx, args: Parsed) -> None:
    await resume(ctx, *await here(ctx))


@router.command("agenda stop", role=Role.FACILITATOR, help_key="agenda.help.stop")
async def stop_command(ctx: Ctx, args: Parsed) -> None:
    run, step = await here(ctx)
    await runs.stop_part(await runs.acting(ctx, run, ctx.event), run, step, ctx.event)
    await engine.stop(ctx, run, RUNNER)


@router.command("agenda status", help_key="agenda.help.status")
async def status_command(ctx: Ctx, args: Parsed) -> None:
    run, step = await here(ctx)
    lines = [progress(ctx, run, step, ctx.locale)]
    upcoming = await engine.pending_steps(ctx, run)
    if upcoming:
        titles = [said(spec_of(run, s).title, ctx.locale) for s in upcoming]
        lines.append(ctx.t("agenda.status.after", titles=ctx.core.catalog.listing(ctx.locale, titles)))
    else:
        lines.append(ctx.t("agenda.status.last"))
    ctx.reply_message(Message("\n".join(lines)))


# -- buttons ------------------------------------------------------------------------------------------------
async def pressed(ctx: Ctx, rest: list[str]) -> tuple[StepRun, Step]:
    if len(rest) != 2 or not all(part.isdigit() for part in rest):
        raise UserError("core.error.stale_button")
    run = await ctx.session.get(StepRun, int(rest[0]))
    if run is None or run.tenant_id != ctx.tenant or run.ritual != RITUAL:
        raise UserError("core.error.stale_button")
    if run.status not in LIVE:
        raise UserError("agenda.error.finished")
    step = await engine.current_step(ctx, run)
    if step is None or step.position != int(rest[1]):
        raise UserError("agenda.error.step_over")
    ctx.event = await ctx.session.get(Event, run.event_id)
    if not await ctx.is_facilitator():
        raise UserError("core.error.facilitator_only", command="agenda")
    return run, step


@router.button("agenda:next")
async def next_button(ctx: Ctx, rest: list[str]) -> None:
    await skip(ctx, *await pressed(ctx, rest))


@router.button("agenda:pause")
async def pause_button(ctx: Ctx, rest: list[str]) -> None:
    await pause(ctx, *await pressed(ctx, rest))


@router.button("agenda:resume")
async def resume_button(ctx: Ctx, rest: list[str]) -> None:
    await resume(ctx, *await pressed(ctx, rest))


# -- what each control does ---------------------------------------------------------------------------------
async def skip(ctx: Ctx, run: StepRun, step: Step) -> None:
    """The facilitator moves on now: what the step started and is still going is stopped."""
    event = ctx.event
    await runs.stop_part(await runs.acting(ctx, run, event), run, step, event)
    if run.status == "paused":
        run.status, run.remaining = "running", None
    await runs.move_on(ctx, run, outcome="next")


async def pause(ctx: Ctx, run: StepRun, step: Step) -> None:
    if run.status == "paused":
        raise UserError("agenda.error.already_paused")
    if part_of(run).get("waiting"):
        raise UserError("agenda.error.waiting")
    if run.ends_at is not None:
        await engine.pause(ctx, run)
    else:
        await engine.hold(ctx, run)
        run.status, run.remaining = "paused", None
    part = part_of(run)
    if part.get("kind") == "turns" and part.get("id") and not part.get("over"):
        from bot.rituals.turns import controls as turns

        round_run = await ctx.session.get(StepRun, int(part["id"]))
        turn = await engine.current_step(ctx, round_run) if round_run else None
        if round_run is not None and round_run.status == "running" and turn is not None:
            await turns.pause(ctx, round_run, turn)
    if part.get("kind") == "talk" and part.get("id") and not part.get("over"):
        from bot.rituals.talk import pause_talk

        set_part(run, paused_groups=await pause_talk(ctx, int(part["id"])))  # every group waits too
    lang = run.lang
    key = "agenda.paused"
    ctx.post(
        Message(
            ctx.t_in(lang, key, progress=progress(ctx, run, step, lang)),
            buttons=buttons(ctx, run, step, lang),
        ),
        channel=run.channel_id,
    )


async def resume(ctx: Ctx, run: StepRun, step: Step) -> None:
    if run.status != "paused":
        raise UserError("agenda.error.not_paused")
    if run.remaining is not None:
        await engine.resume(ctx, run)
    else:
        await engine.hold(ctx, run)
        run.status = "running"
    part = part_of(run)
    if part.get("kind") == "turns" and part.get("id") and not part.get("over"):
        from bot.rituals.turns import controls as turns

        round_run = await ctx.session.get(StepRun, int(part["id"]))
        turn = await engine.current_step(ctx, round_run) if round_run else None
        if round_run is not None and round_run.status == "paused" and turn is not None:
            await turns.resume(ctx, round_run, turn)
    if part.get("kind") == "talk" and part.get("paused_groups"):
        from bot.rituals.talk import resume_talk

        await resume_talk(ctx, part["paused_groups"])
        set_part(run, paused_groups=[])
    lang = run.lang
    ctx.post(
        Message(
            ctx.t_in(lang, "agenda.resumed", progress=progress(ctx, run, step, lang)),
            buttons=buttons(ctx, run, step, lang),
        ),
        channel=run.channel_id,
    )
    if part.get("over") or part.get("time_up"):
        await runs.settle(ctx, run, step)  # what ended during the pause moves the sheet on now


# -- timers -------------------------------------------------------------------------------------------------
@router.timer("agenda.end")
async def on_end(ctx: Ctx, timer: Timer) -> None:
    found = await runs.live_for_timer(ctx, timer)
    if found is None:
        return
    run, step = found
    if run.status != "running":
        return
    await runs.time_up(ctx, *found)


@router.timer("agenda.warn")
async def on_warn(ctx: Ctx, timer: Timer) -> None:
    found = await runs.live_for_timer(ctx, timer)
    if found is None or found[0].status != "running":
        return
    run, step = found
    if run.ends_at is not None and ctx.now >= run.ends_at:
        return
    await RUNNER.warned(ctx, run, step)


@router.timer("agenda.recheck")
async def on_recheck(ctx: Ctx, timer: Timer) -> None:
    found = await runs.live_for_timer(ctx, timer)
    if found is None or found[0].status != "running":
        return
    await runs.try_reveal(ctx, *found)


# -- what the rituals it drives signal ----------------------------------------------------------------------
async def _run_of_part(ctx: Ctx, event: Event | None, kind: str, part_id: int) -> StepRun | None:
    if event is None:
        return None
    run = await live_run(ctx, event)
    if run is None:
        return None
    part = part_of(run)
    if part.get("kind") != kind or part.get("id") != part_id or part.get("over"):
        return None
    return run


@router.on("turns_finished")
async def turns_finished(ctx: Ctx, run: StepRun) -> None:
    event = await ctx.session.get(Event, run.event_id) if run.event_id else None
    agenda = await _run_of_part(ctx, event, "turns", run.id)
    if agenda is not None:
        await runs.part_over(ctx, agenda)


@router.on("talk_finished")
async def talk_finished(ctx: Ctx, event: Event, talk_id: int) -> None:
    agenda = await _run_of_part(ctx, event, "talk", talk_id)
    if agenda is not None:
        await runs.part_over(ctx, agenda)


@router.on("board_revealed")
async def board_revealed(ctx: Ctx, event: Event, board) -> None:  # noqa: ANN001 - a BarrierBoard
    agenda = await _run_of_part(ctx, event, "board", board.id)
    if agenda is not None:
        await runs.part_over(ctx, agenda)


@router.on("event_ended")
async def event_ended(ctx: Ctx, event: Event, plan: str) -> None:
    run = await live_run(ctx, event)
    if run is not None:
        await engine.stop(ctx, run, RUNNER)


@router.on("status_requested")
async def status_requested(ctx: Ctx, event: Event, viewer: Member, lines: list[str]) -> None:
    """`event status` (branch room): the live step of the sheet, in the viewer's language."""
    run = await live_run(ctx, event)
    step = await engine.current_step(ctx, run) if run else None
    if run is not None and step is not None:
        lines.append(progress(ctx, run, step, ctx.locale_of(viewer, event)))


@router.on("end_requested")
async def end_requested(ctx: Ctx, event: Event, live: list[str]) -> None:
    """`event end` while a sheet runs: the facilitator is told the sheet stops, and asked to confirm."""
    run = await live_run(ctx, event)
    step = await engine.current_step(ctx, run) if run else None
    if run is not None and step is not None:
        live.append(ctx.t("agenda.end_live", progress=progress(ctx, run, step, ctx.locale)))


@router.on("member_forgotten")
async def forget(ctx: Ctx, member: Member) -> None:
    await ctx.session.exec(
        update(StepRun)
        .where(StepRun.ritual == RITUAL, StepRun.started_by == member.id)
        .values(started_by=None)
        .execution_options(synchronize_session="fetch")
    )


__all__ = ["router", "sheet_of"]
