"""A run of the sheet: a step run of ritual "agenda" whose steps are the sheet's, each driving a ritual.

The run keeps a copy of its sheet (a file changed mid-evening changes nothing), and in `options["part"]`
what the current step started (a round of turns, a board, a talk) and whether that part is over. A step
is over when its time is up and, for a talk, a round of turns or a board, when that ritual says so (its
signal); then the run moves on by itself, or waits for the facilitator when the step says `then: wait`.
Everything moves through the step engine, so a stale timer or button does nothing and a restart resumes.
"""

from __future__ import annotations

import dataclasses
import logging
import random
from datetime import timedelta

from sqlmodel import col, select

from bot.actions import Button, Message
from bot.errors import UserError
from bot.events import Caller
from bot.i18n import Multi, languages_in
from bot.markup import bold, clock_time, mention
from bot.router import Ctx
from bot.steps import engine
from bot.steps.models import LIVE, Step, StepRun
from bot.steps.words import length
from bot.store.models import Event, Member, Timer

from .sheets import Sheet, SheetStep

log = logging.getLogger(__name__)

RITUAL = "agenda"
RECHECK = timedelta(minutes=1)
# Steps whose end is their ritual's, not only the clock's.
SIGNALLED = ("talk", "turns", "board")


# -- reading ------------------------------------------------------------------------------------------------
async def live_run(ctx: Ctx, event: Event) -> StepRun | None:
    return (
        await ctx.session.exec(
            select(StepRun).where(
                StepRun.tenant_id == ctx.tenant,
                StepRun.ritual == RITUAL,
                StepRun.event_id == event.id,
                col(StepRun.status).in_(LIVE),
            )
        )
    ).first()


def sheet_of(run: StepRun) -> Sheet:
    return Sheet.from_dict(run.options["sheet"])


def spec_of(run: StepRun, step: Step) -> SheetStep:
    return sheet_of(run).steps[step.position]


def said(texts: dict[str, str], lang: str) -> str:
    """A sheet's words for `lang`; for a bilingual room ("ja,en") one sentence per language (a Multi)."""
    languages = [one for one in languages_in(lang) if one in texts] or ["en"]
    if len(languages) == 1:
        return texts[languages[0]]
    return Multi({one: texts[one] for one in languages})


def strong(text: str) -> str:
    """Bold, line by line in a bilingual room (a Multi), so no platform sees bold across a line break."""
    if isinstance(text, Multi):
        return Multi({one: bold(part) for one, part in text.parts.items()})
    return bold(text)


def part_of(run: StepRun) -> dict:
    return dict(run.options.get("part") or {})


def set_part(run: StepRun, **changes: object) -> None:
    """Options are one JSON value: a new dict, so the change is written."""
    run.options = {**run.options, "part": {**part_of(run), **changes}}


def progress(ctx: Ctx, run: StepRun, step: Step, lang: str) -> str:
    """ "Step 4 of 8: What makes it hard? 12 min left" (or paused, or waiting for the facilitator)."""
    spec = spec_of(run, step)
    params = {
        "number": step.position + 1,
        "count": len(sheet_of(run).steps),
        "title": said(spec.title, lang),
    }
    left = engine.time_left(run, ctx.now)
    if part_of(run).get("waiting"):
        return ctx.t_in(lang, "agenda.progress.waiting", **params)
    if run.status == "paused":
        return ctx.t_in(lang, "agenda.progress.paused", left=length(ctx, lang, left or 0), **params)
    if left is None:
        return ctx.t_in(lang, "agenda.progress.open", **params)
    return ctx.t_in(lang, "agenda.progress.running", left=length(ctx, lang, left), **params)


def buttons(ctx: Ctx, run: StepRun, step: Step, lang: str) -> tuple[Button, ...]:
    ident = f"{run.id}:{step.position}"
    nxt = Button(ctx.t_in(lang, "agenda.button.next"), f"agenda:next:{ident}", "primary")
    if part_of(run).get("waiting"):
        return (nxt,)
    if run.status == "paused":
        return (Button(ctx.t_in(lang, "agenda.button.resume"), f"agenda:resume:{ident}", "primary"), nxt)
    return (nxt, Button(ctx.t_in(lang, "agenda.button.pause"), f"agenda:pause:{ident}"))


async def present_count(ctx: Ctx, event: Event) -> int:
    from bot.rituals.turns.round import present_participants

    return len(await present_participants(ctx, event))


# -- acting for the facilitator -----------------------------------------------------------------------------
async def acting(ctx: Ctx, run: StepRun, event: Event) -> Ctx:
    """The context a ritual is driven in: the event's channel, and, from a timer, the facilitator who
    started the sheet (the bot acts for them). It shares the transaction and the outbox with `ctx`."""
    member = ctx.member
    if member is None and run.started_by is not None:
        member = await ctx.session.get(Member, run.started_by)
    return dataclasses.replace(ctx, event=event, member=member, channel=event.channel_id, locale=run.lang)


async def attempt(ctx: Ctx, work) -> UserError | None:  # noqa: ANN001 - an async callable
    """Run a ritual's step in a savepoint: if it refuses (a round already running, too few people), what
    it wrote and said is undone, and the refusal is returned for the sheet to report."""
    actions, timers, cancelled = len(ctx.actions), len(ctx.new_timers), len(ctx.cancelled_timers)
    try:
        async with ctx.session.begin_nested():
            await work()
    except UserError as error:
        del ctx.actions[actions:], ctx.new_timers[timers:], ctx.cancelled_timers[cancelled:]
        return error
    return None


def refusal_text(ctx: Ctx, lang: str, error: UserError) -> str:
    """The words the facilitator would have read, had they typed the command themselves."""
    return ctx.core._error_reply(Caller(ctx.tenant, ""), lang, error.key, error.params).message.text


# -- the presenter ------------------------------------------------------------------------------------------
class Runner:
    """The agenda's Presenter: announces each step with its progress and starts the ritual it names."""

    async def began(self, ctx: Ctx, run: StepRun, step: Step, previous: Step | None) -> None:
        event = await ctx.session.get(Event, run.event_id)
        spec = spec_of(run, step)
        lang = run.lang
        run.options = {**run.options, "part": {"position": step.position, "kind": spec.kind}}
        lines = [strong(progress(ctx, run, step, lang))]
        if run.ends_at is not None:
            lines.append(ctx.t_in(lang, "agenda.until", until=clock_time(run.ends_at)))
        if spec.say:
            lines.append(said(spec.say, lang))
        ctx.post(
            Message("\n".join(lines), buttons=buttons(ctx, run, step, lang) if spec.kind != "end" else ()),
            channel=run.channel_id,
            ref=f"agenda:{run.id}:{step.position}",
        )
        if spec.kind == "end":
            await engine.advance(ctx, run, self, outcome="done")
            if spec.end_event and event.status == "open":
                from bot.rituals.event import end_event

                await end_event(await acting(ctx, run, event), event, "default")
            return
        acted = await acting(ctx, run, event)
        error = await attempt(acted, lambda: start_part(acted, run, step, spec, event))
        if error is not None:
            set_part(run, over=True, failed=True)
            ctx.post(
                Message(ctx.t_in(lang, "agenda.part_refused", reason=refusal_text(ctx, lang, error))),
                channel=run.channel_id,
            )

    async def warned(self, ctx: Ctx, run: StepRun, step: Step) -> None:
        spec = spec_of(run, step)
        if spec.kind in ("talk", "turns", "board"):
            return  # those rituals warn in their own words
        key = "agenda.warning.break" if spec.kind == "break" else "agenda.warning.step"
        ctx.post(
            Message(ctx.t_in(run.lang, key, progress=progress(ctx, run, step, run.lang))),
            channel=run.channel_id,
        )

    async def finished(self, ctx: Ctx, run: StepRun, previous: Step | None) -> None:
        sheet = sheet_of(run)
        steps = await engine.steps_of(ctx, run)
        taken = sum(
            round((s.ended_at - s.started_at).total_seconds()) for s in steps if s.started_at and s.ended_at
        )
        title = said({one: bold(text) for one, text in sheet.title.items()}, run.lang)
        if run.status == "stopped":
            done = len([s for s in steps if s.started_at is not None])
            text = ctx.t_in(
                run.lang,
                "agenda.stopped",
                title=title,
                done=done,
                count=len(steps),
                length=length(ctx, run.lang, taken),
            )
        else:
            text = ctx.t_in(
                run.lang,
                "agenda.finished",
                title=title,
                count=len(steps),
                length=length(ctx, run.lang, taken),
            )
        ctx.post(Message(text), channel=run.channel_id)


RUNNER = Runner()


# -- starting and stopping what a step drives ---------------------------------------------------------------
async def start_part(ctx: Ctx, run: StepRun, step: Step, spec: SheetStep, event: Event) -> None:
    lang = run.lang
    if spec.kind == "talk":
        from bot.rituals.pairing.matcher import BRIDGE_ATTRIBUTES
        from bot.rituals.talk import start_talk

        talk_id = await start_talk(
            ctx,
            event,
            seconds=spec.talk_turn(await present_count(ctx, event)),
            size=spec.size,
            bridge=spec.bridge or BRIDGE_ATTRIBUTES,
            source="agenda",
        )
        set_part(run, id=talk_id)
    elif spec.kind == "turns":
        from bot.rituals.turns.round import present_participants, start_round

        members = await present_participants(ctx, event)
        turns = await start_round(ctx, event, members, seconds=spec.each_seconds, order="random")
        set_part(run, id=turns.id)
    elif spec.kind == "board":
        from bot.rituals.barriers.router import open_or_adopt

        board = await open_or_adopt(ctx, event, prompt=said(spec.title, lang), min_cards=spec.min_cards)
        set_part(run, id=board.id)
    elif spec.kind == "pairs":
        from bot.rituals.pairing.ritual import send_pairs

        await send_pairs(ctx, event, size=spec.size, bridge=spec.bridge or None)
    elif spec.kind == "oneonone":
        await one_on_ones(ctx, run, spec, event)


async def stop_part(ctx: Ctx, run: StepRun, step: Step, event: Event) -> None:
    """The facilitator moves on early: a talk or round still going is stopped (a board stays as it is)."""
    part = part_of(run)
    if part.get("over") or part.get("id") is None or part.get("position") != step.position:
        return
    set_part(run, over=True)  # first: the ritual's own "finished" signal must not move the sheet too
    if part.get("kind") == "talk":
        from bot.rituals.talk import stop_talk

        await attempt(ctx, lambda: stop_talk(ctx, event, part["id"]))
    elif part.get("kind") == "turns":
        from bot.rituals.turns.announce import ANNOUNCER

        turns = await ctx.session.get(StepRun, int(part["id"]))
        if turns is not None and turns.status in LIVE:
            await engine.stop(ctx, turns, ANNOUNCER)


async def one_on_ones(ctx: Ctx, run: StepRun, spec: SheetStep, event: Event) -> None:
    """Everyone present in one-on-ones of two, paired across backgrounds. The facilitator who started the
    sheet runs the room; on an odd count they are the last person's partner, so nobody is left out."""
    from bot.rituals.oneonone.session import open_session
    from bot.rituals.pairing.matcher import match
    from bot.rituals.pairing.ritual import INLINE_PEOPLE, heavy
    from bot.rituals.pairing.rounds import load_roster, quickly

    roster = await load_roster(ctx, event)
    starter = ctx.member
    people = [
        p for key, p in roster.people.items() if starter is None or roster.members[key].id != starter.id
    ]
    if len(people) + (1 if starter else 0) < 2:
        raise UserError("agenda.error.too_few", count=len(people))
    if heavy(len(people), 1):  # matched while the step waits, as `pairs` matches a room of this size
        raise UserError("agenda.error.too_many", count=len(people), max=INLINE_PEOPLE)
    if len(people) >= 2:
        # Seeded by the event and the step, as pairs' rounds are: the same evening replays the same way.
        seed = random.Random(f"{event.id}:{run.id}:{run.current}").randrange(2**31)
        matched = await quickly(
            ctx,
            match,
            people,
            size=2,
            history=roster.history,
            seed=seed,
            refusal="agenda.error.pairing_timeout",
        )
        groups = matched.groups
    else:
        groups = []
    pairs: list[tuple[Member, Member]] = []
    leftover = [roster.members[p.key] for p in people] if not groups else []
    for group in groups:
        members = [roster.members[key] for key in group.keys]
        pairs.append((members[0], members[1]))
        leftover.extend(members[2:])
    for person in leftover:
        if starter is not None:
            pairs.append((person, starter))
    refused = []
    for first, second in pairs:
        sub = dataclasses.replace(ctx, member=first, locale=ctx.locale_of(first, event))
        error = await attempt(
            sub, lambda sub=sub, second=second: open_session(sub, second, spec.template, None)
        )
        if error is not None:
            refused.append((first, second, refusal_text(ctx, run.lang, error)))
    for first, second, reason in refused:
        ctx.post(
            Message(
                ctx.t_in(
                    run.lang,
                    "agenda.oneonone_refused",
                    first=mention(first.user_id),
                    second=mention(second.user_id),
                    reason=reason,
                )
            ),
            channel=run.channel_id,
        )


# -- a step's end -------------------------------------------------------------------------------------------
async def prepare(ctx: Ctx, run: StepRun, event: Event) -> None:
    """Before the next step begins: a round of turns or a talk gets its length from the room (turns: each
    x speakers; a talk: its turn x the largest group)."""
    upcoming = await engine.pending_steps(ctx, run)
    if upcoming and upcoming[0].kind in ("turns", "talk"):
        spec = spec_of(run, upcoming[0])
        upcoming[0].seconds = spec.planned(await present_count(ctx, event)) or None


async def move_on(ctx: Ctx, run: StepRun, *, outcome: str) -> None:
    event = await ctx.session.get(Event, run.event_id)
    await prepare(ctx, run, event)
    await engine.advance(ctx, run, RUNNER, outcome=outcome)


async def start(ctx: Ctx, run: StepRun, event: Event) -> None:
    await prepare(ctx, run, event)
    await engine.begin(ctx, run, RUNNER)


async def time_up(ctx: Ctx, run: StepRun, step: Step) -> None:
    """The step's clock ran out."""
    set_part(run, time_up=True)
    spec = spec_of(run, step)
    part = part_of(run)
    if spec.kind == "board" and not part.get("over"):
        await try_reveal(ctx, run, step)
        return
    await settle(ctx, run, step)


async def try_reveal(ctx: Ctx, run: StepRun, step: Step) -> None:
    """Reveal once the board shows its minimum; until then look again each minute (on the board's own
    one-minute grid, so the moment says nothing about who shared last)."""
    from bot.rituals.barriers.models import BarrierBoard
    from bot.rituals.barriers.router import reveal_board

    part = part_of(run)
    event = await ctx.session.get(Event, run.event_id)
    board = await ctx.session.get(BarrierBoard, int(part["id"])) if part.get("id") else None
    if board is None or board.status != "open":
        set_part(run, over=True)
        await settle(ctx, run, step)
        return
    if board.shown_count >= board.min_cards:
        acted = await acting(ctx, run, event)
        await reveal_board(acted, event, board)  # its signal settles the step
        return
    if not part.get("told_short"):
        set_part(run, told_short=True)
        ctx.post(
            Message(ctx.t_in(run.lang, "agenda.board_short", min=board.min_cards, shown=board.shown_count)),
            channel=run.channel_id,
        )
    await ctx.schedule(
        "agenda.recheck",
        ctx.now + RECHECK,
        {"run": run.id, "position": step.position, "seq": run.seq},
        key=f"agenda:{run.id}:{run.seq}:recheck:{int(ctx.now.timestamp())}",
    )


async def part_over(ctx: Ctx, run: StepRun) -> None:
    """The step's ritual says it is over (a talk ended, a round finished, the board was revealed)."""
    step = await engine.current_step(ctx, run)
    if step is None or step.status != "active":
        return
    set_part(run, over=True)
    event = await ctx.session.get(Event, run.event_id)
    if event is None or event.status != "open":
        return  # the event is ending: its handler stops the sheet
    await settle(ctx, run, step)


async def settle(ctx: Ctx, run: StepRun, step: Step) -> None:
    """Move on if the step is over (and the sheet not paused); or, for `then: wait`, ask the facilitator."""
    spec = spec_of(run, step)
    part = part_of(run)
    if part.get("waiting"):
        return
    if spec.kind in SIGNALLED and not part.get("failed"):
        over = bool(part.get("over"))  # the ritual's own end (a talk's groups come back, a reveal)
    else:
        over = bool(part.get("time_up"))
    if not over or run.status == "paused":
        return
    if spec.then == "next":
        await move_on(ctx, run, outcome="timeup")
        return
    await engine.hold(ctx, run)
    await ctx.cancel_timers(f"{RITUAL}:{run.id}:")
    run.ends_at = None
    set_part(run, waiting=True)
    lang = run.lang
    starter = await ctx.session.get(Member, run.started_by) if run.started_by else None
    ctx.post(
        Message(
            ctx.t_in(
                lang,
                "agenda.waiting",
                progress=progress(ctx, run, step, lang),
                facilitator=mention(starter.user_id) if starter else ctx.t_in(lang, "agenda.the_facilitator"),
            ),
            buttons=buttons(ctx, run, step, lang),
        ),
        channel=run.channel_id,
    )


async def live_for_timer(ctx: Ctx, timer: Timer) -> tuple[StepRun, Step] | None:
    payload = timer.payload
    run = await ctx.session.get(StepRun, int(payload.get("run", 0)))
    if (
        run is None
        or run.tenant_id != timer.tenant_id
        or run.ritual != RITUAL
        or run.status not in LIVE
        or run.seq != payload.get("seq")
        or run.current != payload.get("position")
    ):
        return None
    step = await engine.current_step(ctx, run)
    if step is None or step.status != "active":
        return None
    ctx.locale = run.lang
    return run, step


__all__ = ["RUNNER", "live_run", "progress", "said"]
