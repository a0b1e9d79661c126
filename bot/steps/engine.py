"""The timed-step engine: starts, pauses, extends, advances and stops a run of steps on durable timers.

Every transition first bumps the run's `seq` with a compare-and-set, cancels the run's pending timers and
arms new ones whose keys and payloads carry the new `seq`; a timer or a click that raced a transition finds
`seq` moved on and does nothing. The engine never speaks: a ritual's Presenter says what happened.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import bindparam, tuple_
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select, update

from bot.errors import UserError
from bot.router import Ctx, Router, cancel_timers_together, schedule_together
from bot.steps.models import LIVE, Step, StepRun
from bot.store.db import insert_many
from bot.store.models import Timer

log = logging.getLogger(__name__)

WARN_SECONDS = 30


class Presenter(Protocol):
    """What a ritual says when its run moves. `previous` is the step that just ended, if any."""

    async def began(self, ctx: Ctx, run: StepRun, step: Step, previous: Step | None) -> None: ...

    async def warned(self, ctx: Ctx, run: StepRun, step: Step) -> None: ...

    async def finished(self, ctx: Ctx, run: StepRun, previous: Step | None) -> None: ...


class Moved(UserError):
    """Someone else moved the run on between our read and our write: nothing was changed."""

    def __init__(self, run: StepRun) -> None:
        super().__init__(f"{run.ritual}.error.moved")


# -- reading ------------------------------------------------------------------------------------------------
# Read on every turn's hand-off, Done and Next: built once (building a select costs more CPU than running it).
_STEPS = select(Step).where(Step.run_id == bindparam("run")).order_by(col(Step.position))
_CURRENT = select(Step).where(Step.run_id == bindparam("run"), Step.position == bindparam("position"))
_PENDING = (
    select(Step).where(Step.run_id == bindparam("run"), Step.status == "pending").order_by(col(Step.position))
)


async def steps_of(ctx: Ctx, run: StepRun) -> list[Step]:
    known = ctx.known_steps.get(run.id)
    if known is not None:  # read by the transition that is telling the presenter about it
        return list(known)
    return list((await ctx.session.exec(_STEPS, params={"run": run.id})).all())


@contextmanager
def _telling(ctx: Ctx, run: StepRun, steps: list[Step]) -> Iterator[None]:
    """While the presenter hears of a transition, `steps_of(run)` is the steps the transition read (the
    session keeps those objects current; no step is added or removed meanwhile)."""
    before = ctx.known_steps.get(run.id)
    ctx.known_steps[run.id] = steps
    try:
        yield
    finally:
        if before is None:
            ctx.known_steps.pop(run.id, None)
        else:
            ctx.known_steps[run.id] = before


async def current_step(ctx: Ctx, run: StepRun) -> Step | None:
    if run.current < 0:
        return None
    return (await ctx.session.exec(_CURRENT, params={"run": run.id, "position": run.current})).first()


async def pending_steps(ctx: Ctx, run: StepRun) -> list[Step]:
    return list((await ctx.session.exec(_PENDING, params={"run": run.id})).all())


def time_left(run: StepRun, now: datetime) -> int | None:
    """Whole seconds the active step has left; None for a step that waits for answers, not the clock."""
    if run.status == "paused":
        return run.remaining
    if run.status == "running" and run.ends_at is not None:
        return max(0, math.ceil((run.ends_at - now).total_seconds()))
    return None


# -- building -----------------------------------------------------------------------------------------------
async def create(
    ctx: Ctx,
    *,
    ritual: str,
    lang: str,
    channel_id: str | None,
    event_id: int | None = None,
    started_by: int | None = None,
    options: dict | None = None,
) -> StepRun:
    run = StepRun(
        tenant_id=ctx.tenant,
        ritual=ritual,
        event_id=event_id,
        channel_id=channel_id,
        lang=lang,
        status="running",
        started_by=started_by,
        options=dict(options or {}),
        created_at=ctx.now,
    )
    ctx.session.add(run)
    await ctx.session.flush()
    return run


async def add_step(
    ctx: Ctx,
    run: StepRun,
    *,
    kind: str,
    member_id: int | None = None,
    seconds: int | None = None,
    name: str | None = None,
) -> Step:
    """Append a step at the end (a late joiner's turn goes here too)."""
    ctx.known_steps.pop(run.id, None)
    last = (
        await ctx.session.exec(
            select(Step.position).where(Step.run_id == run.id).order_by(col(Step.position).desc())
        )
    ).first()
    step = Step(
        tenant_id=ctx.tenant,
        run_id=run.id,
        position=0 if last is None else last + 1,
        kind=kind,
        name=name,
        member_id=member_id,
        seconds=seconds,
    )
    ctx.session.add(step)
    await ctx.session.flush()
    return step


async def add_turns(ctx: Ctx, run: StepRun, member_ids: Sequence[int], *, seconds: int | None) -> None:
    """`add_step(kind="turn")` for each member in order, in one SELECT and one multi-row INSERT rather than
    two statements a speaker. The rows are not loaded back (an ORM flush would insert them one at a time
    on SQLite, to learn each id): `pending_steps` and the like read them. Meant for a round's speakers, at
    most a few dozen, so the statement's parameters stay far below either database's limit."""
    if not member_ids:
        return
    ctx.known_steps.pop(run.id, None)
    last = (
        await ctx.session.exec(
            select(Step.position).where(Step.run_id == run.id).order_by(col(Step.position).desc())
        )
    ).first()
    start = 0 if last is None else last + 1
    rows = [
        Step(
            tenant_id=ctx.tenant,
            run_id=run.id,
            position=start + offset,
            kind="turn",
            member_id=member_id,
            seconds=seconds,
        ).model_dump(exclude={"id"})
        for offset, member_id in enumerate(member_ids)
    ]
    await insert_many(ctx.session, Step, rows)


async def start_many(
    ctx: Ctx, runs: Sequence[StepRun], turns: Sequence[Sequence[int]], *, seconds: int, presenter: Presenter
) -> None:
    """`create`d runs, each with `add_turns(turns[i], seconds)` and `begin`, for many new runs at once, in a
    few statements for all of them rather than ten each (a talk's 25 groups start in one command): the
    runs inserted already begun (their first turn active, its end and warning armed), their steps in one
    executemany, their timers in another, and the presenter told with `began_together` when it can.
    `runs` are new StepRun objects not yet added to the session; no one else can see a run before this
    transaction commits, so none needs the compare-and-set a live run's transition takes."""
    pairs = [(run, list(members)) for run, members in zip(runs, turns, strict=True) if members]
    if not pairs:
        return
    for run, _ in pairs:
        run.status, run.current, run.resumed_at, run.remaining = "running", 0, ctx.now, None
        run.ends_at = ctx.now + timedelta(seconds=seconds)
    ctx.session.add_all([run for run, _ in pairs])
    await ctx.session.flush()  # one INSERT … RETURNING on PostgreSQL; a row at a time on SQLite
    began, rows = [], []
    for run, members in pairs:
        steps = [
            Step(
                tenant_id=ctx.tenant,
                run_id=run.id,
                position=position,
                kind="turn",
                member_id=member_id,
                seconds=seconds,
                status="active" if position == 0 else "pending",
                started_at=ctx.now if position == 0 else None,
            )
            for position, member_id in enumerate(members)
        ]
        rows.extend(step.model_dump(exclude={"id"}) for step in steps)
        # The steps are written as rows, not as session objects (which SQLite would insert one at a time):
        # these copies tell the presenter what was written; `steps_of` reads them back when needed.
        began.append((ctx, run, steps[0], None, steps))
    await insert_many(ctx.session, Step, rows)
    await schedule_together([(ctx, _timers_for(ctx, run)) for run, _ in pairs])
    if hasattr(presenter, "began_together"):
        await presenter.began_together(began)
    else:
        for item_ctx, run, _, _, _ in began:
            await presenter.began(item_ctx, run, await current_step(item_ctx, run), None)


# -- transitions --------------------------------------------------------------------------------------------
async def begin(ctx: Ctx, run: StepRun, presenter: Presenter) -> None:
    await _claim(ctx, run)
    await _next(ctx, run, presenter, None, await steps_of(ctx, run))


async def advance(ctx: Ctx, run: StepRun, presenter: Presenter, *, outcome: str) -> Step | None:
    """End the active step with `outcome` (timeup, done, next, skipped, left) and start the next one.

    The run's steps are read once, for both the step that ends and the one that begins: the session
    keeps them current as they change, so there is no need to ask the database twice."""
    await _claim(ctx, run)
    await ctx.cancel_timers(_key_prefix(run))
    steps = await steps_of(ctx, run)
    step = next((s for s in steps if s.position == run.current), None) if run.current >= 0 else None
    if step is not None and step.status == "active":
        _close(ctx, run, step, outcome)
    await _next(ctx, run, presenter, step, steps)
    return step


async def pause(ctx: Ctx, run: StepRun) -> int:
    """Stop the clock; returns the seconds the active step keeps for later."""
    if run.status != "running" or run.ends_at is None:
        raise ValueError("only a running, timed step can be paused")
    left = time_left(run, ctx.now) or 0
    await _claim(ctx, run)
    await ctx.cancel_timers(_key_prefix(run))
    step = await current_step(ctx, run)
    if step is not None:
        step.spoken += _elapsed(ctx, run)
    run.status, run.remaining, run.ends_at, run.resumed_at = "paused", left, None, None
    return left


async def resume(ctx: Ctx, run: StepRun) -> datetime:
    """Start the clock again with the time the step had left; returns its new end."""
    if run.status != "paused":
        raise ValueError("only a paused run can be resumed")
    await _claim(ctx, run)
    run.status, run.resumed_at = "running", ctx.now
    run.ends_at = ctx.now + timedelta(seconds=run.remaining or 0)
    run.remaining = None
    await _arm(ctx, run)
    return run.ends_at


async def extend(ctx: Ctx, run: StepRun, seconds: int) -> None:
    """Give the active step more time, running or paused."""
    if run.status == "running" and run.ends_at is None:
        raise ValueError("a step that waits for answers has no time to extend")
    await _claim(ctx, run)
    step = await current_step(ctx, run)
    if step is not None and step.seconds is not None:
        step.seconds += seconds
    if run.status == "paused":
        run.remaining = (run.remaining or 0) + seconds
        return
    await ctx.cancel_timers(_key_prefix(run))
    run.ends_at = (run.ends_at or ctx.now) + timedelta(seconds=seconds)
    await _arm(ctx, run)


async def stop(ctx: Ctx, run: StepRun, presenter: Presenter) -> None:
    await _claim(ctx, run)
    await ctx.cancel_timers(_key_prefix(run))
    step = await current_step(ctx, run)
    if step is not None and step.status == "active":
        _close(ctx, run, step, "stopped")
    await _finish(ctx, run, presenter, "stopped", step)


async def stop_many(ctx: Ctx, runs: Sequence[StepRun], presenter: Presenter) -> list[StepRun]:
    """`stop` for several live runs at once (a talk's every group), in a few statements for all of them:
    their `seq` moved in one compare-and-set, their timers cancelled in one UPDATE, their steps read in
    one SELECT, the active ones closed in one executemany, and the presenter told with
    `finished_together` when it can. Returns the runs someone else moved meanwhile, left as they are
    (the caller may look at them again and `stop` each)."""
    if not runs:
        return []
    claimed = await _claim_runs(ctx.session, runs)
    stopped = [run for run in runs if run.id in claimed]
    if stopped:
        await cancel_timers_together([(ctx, _key_prefix(run)) for run in stopped])
        steps = await _steps_of_runs(ctx, stopped)
        closed, finished = [], []
        for run in stopped:
            step = (
                next((s for s in steps[run.id] if s.position == run.current), None)
                if run.current >= 0
                else None
            )
            if step is not None and step.status == "active":
                closed.append(step)
                _close(ctx, run, step, "stopped")
            _end(ctx, run, "stopped")
            finished.append((ctx, run, step))
        await _write_steps(ctx, [(closed, ("spoken", "status", "ended_at"))])
        if hasattr(presenter, "finished_together"):
            await presenter.finished_together(finished)
        else:
            for item_ctx, run, step in finished:
                await presenter.finished(item_ctx, run, step)
    return [run for run in runs if run.id not in claimed]


async def drop_member(
    ctx: Ctx,
    run: StepRun,
    member_id: int,
    presenter: Presenter,
    *,
    outcome: str = "left",
    anonymous: bool = False,
) -> tuple[bool, int]:
    """Someone left: their steps still to come are marked `outcome`, and if they have the floor it passes
    on. `anonymous` (forget-me) unlinks their steps first, so the hand-off does not name them.
    Returns (whether they had the floor, how many of their steps were still to come)."""
    theirs = await ctx.session.exec(
        select(Step.id).where(
            Step.run_id == run.id, Step.member_id == member_id, col(Step.status).in_(("pending", "active"))
        )
    )
    if theirs.first() is None:
        return False, 0  # nothing of theirs to come: no need to lock the run
    await hold(ctx, run)
    if run.status not in LIVE:
        return False, 0
    dropped = 0
    for step in await pending_steps(ctx, run):
        if step.member_id == member_id:
            step.status = outcome
            dropped += 1
    active = await current_step(ctx, run)
    had_floor = active is not None and active.status == "active" and active.member_id == member_id
    if anonymous:
        await forget_steps(ctx, run.ritual, member_id)
    if had_floor:
        await advance(ctx, run, presenter, outcome=outcome)
    return had_floor, dropped


async def forget_member(ctx: Ctx, ritual: str, member_id: int, presenter: Presenter) -> list[StepRun]:
    """Forget-me: the member leaves every live run of `ritual`, and no step or run of it names them.
    Returns the live runs they were in."""
    runs = list(
        (
            await ctx.session.exec(
                select(StepRun).where(
                    StepRun.tenant_id == ctx.tenant,
                    StepRun.ritual == ritual,
                    col(StepRun.status).in_(LIVE),
                    col(StepRun.id).in_(select(Step.run_id).where(Step.member_id == member_id)),
                )
            )
        ).all()
    )
    for run in runs:
        await drop_member(ctx, run, member_id, presenter, outcome="left", anonymous=True)
    await forget_steps(ctx, ritual, member_id)
    await ctx.session.exec(
        update(StepRun)
        .where(col(StepRun.started_by) == member_id, StepRun.ritual == ritual)
        .values(started_by=None)
        .execution_options(synchronize_session="fetch")
    )
    return runs


async def forget_steps(ctx: Ctx, ritual: str, member_id: int) -> None:
    own_runs = select(StepRun.id).where(StepRun.ritual == ritual)
    await ctx.session.exec(
        update(Step)
        .where(col(Step.member_id) == member_id, col(Step.run_id).in_(own_runs))
        .values(member_id=None)
        .execution_options(synchronize_session="fetch")
    )


async def hold(ctx: Ctx, run: StepRun) -> None:
    """Lock the run's row for this transaction and read it afresh, without moving `seq` (which would
    orphan its timers): for changes to the steps still to come, such as a late joiner or a leaver."""
    await ctx.session.exec(
        update(StepRun)
        .where(col(StepRun.id) == run.id)
        .values(seq=StepRun.seq)
        .execution_options(synchronize_session=False)
    )
    await ctx.session.refresh(run)


# -- timers -------------------------------------------------------------------------------------------------
def timer_routes(router: Router, ritual: str, presenter: Presenter) -> None:
    """Register `<ritual>.warn` and `<ritual>.end`; both ignore a timer whose `seq` has moved on.

    Both are batched (Router.timer): every group's hand-off due at one moment runs in one transaction.
    A warning writes nothing; an end writes only once `_claim` has moved `seq`, which every transition
    that cancels the run's timers moves too."""

    @router.timer(f"{ritual}.warn", batched=True)
    async def on_warn(ctx: Ctx, timer: Timer) -> None:
        run = await _live_run_for(ctx, timer)
        if run is None or (run.ends_at is not None and ctx.now >= run.ends_at):
            return  # after a downtime, "30 seconds left" once the time is up would mislead
        step = await current_step(ctx, run)
        if step is not None:
            await presenter.warned(ctx, run, step)

    @router.timer(f"{ritual}.end", batched=True)
    async def on_end(ctx: Ctx, timer: Timer) -> None:
        run = await _live_run_for(ctx, timer)
        if run is None:
            return
        try:
            await advance(ctx, run, presenter, outcome="timeup")
        except Moved:
            log.info("run %s moved on before its timer %s ran", run.id, timer.id)

    @router.timers_together(f"{ritual}.warn")
    async def on_warns(items: list[tuple[Ctx, Timer]]) -> None:
        """on_warn for every group warned at one moment: the runs and their steps in one read each."""
        found = [
            (ctx, run)
            for ctx, run in await _live_runs_for(items)
            if run.ends_at is None or ctx.now < run.ends_at
        ]
        steps = await _steps_of_runs(found[0][0], [run for _, run in found]) if found else {}
        warned = []
        for ctx, run in found:
            step = next((s for s in steps[run.id] if s.position == run.current), None)
            if step is not None:
                warned.append((ctx, run, step))
        if hasattr(presenter, "warned_together"):
            await presenter.warned_together(warned)
        else:
            for ctx, run, step in warned:
                await presenter.warned(ctx, run, step)

    @router.timers_together(f"{ritual}.end")
    async def on_ends(items: list[tuple[Ctx, Timer]]) -> None:
        """on_end for every group whose step ends at one moment, set-based: the runs read, their `seq`
        moved, their timers cancelled, their steps read and the next step's timers inserted in one
        statement each for all of them, and the steps' and runs' changes flushed together. A run whose
        `seq` moved on since it was read (a "Done" pressed meanwhile) is left alone, as on_end leaves it."""
        found = await _live_runs_for(items)
        if not found:
            return
        claimed = await _claim_runs(found[0][0].session, [run for _, run in found])
        for _, run in found:
            if run.id not in claimed:
                log.info("run %s moved on before its timer ran", run.id)
        found = [(ctx, run) for ctx, run in found if run.id in claimed]
        if not found:
            return
        await cancel_timers_together([(ctx, _key_prefix(run)) for ctx, run in found])
        steps = await _steps_of_runs(found[0][0], [run for _, run in found])
        began, finished, closed, opened = [], [], [], []
        for ctx, run in found:
            step = next((s for s in steps[run.id] if s.position == run.current), None)
            if step is not None and step.status == "active":
                closed.append(step)
                _close(ctx, run, step, "timeup")
            upcoming = [s for s in steps[run.id] if s.status == "pending"]
            if upcoming:
                opened.append(upcoming[0])
                _start(ctx, run, upcoming[0])
                began.append((ctx, run, upcoming[0], step, steps[run.id]))
            else:
                _end(ctx, run, "finished")
                finished.append((ctx, run, step))
        # The steps that ended and those that began, written as two executemany statements: left to the
        # flush, they would go one row at a time, since the two kinds of change alternate in id order.
        await _write_steps(
            found[0][0], [(closed, ("spoken", "status", "ended_at")), (opened, ("status", "started_at"))]
        )
        await schedule_together([(ctx, _timers_for(ctx, run)) for ctx, run, *_ in began])
        if hasattr(presenter, "began_together"):
            await presenter.began_together(began)
        else:
            for ctx, run, step, previous, _ in began:
                await presenter.began(ctx, run, step, previous)
        if hasattr(presenter, "finished_together"):
            await presenter.finished_together(finished)
        else:
            for ctx, run, previous in finished:
                await presenter.finished(ctx, run, previous)


async def _live_run_for(ctx: Ctx, timer: Timer) -> StepRun | None:
    payload = timer.payload
    run = await ctx.session.get(StepRun, int(payload.get("run", 0)))
    if run is None or _stale(run, timer):
        return None  # stale: the step ended, was paused or extended after this timer was set
    ctx.locale = run.lang
    return run


def _stale(run: StepRun, timer: Timer) -> bool:
    payload = timer.payload
    return (
        run.tenant_id != timer.tenant_id
        or run.status != "running"
        or run.seq != payload.get("seq")
        or run.current != payload.get("position")
    )


async def _live_runs_for(items: list[tuple[Ctx, Timer]]) -> list[tuple[Ctx, StepRun]]:
    """`_live_run_for` for many timers, in one SELECT; each run once (a second timer for a run already
    taken is stale by the time it would run, as it is one timer at a time)."""
    if not items:
        return []
    wanted = {int(timer.payload.get("run", 0)) for _, timer in items}
    session = items[0][0].session
    runs = {
        run.id: run for run in (await session.exec(select(StepRun).where(col(StepRun.id).in_(wanted)))).all()
    }
    found, taken = [], set()
    for ctx, timer in items:
        run = runs.get(int(timer.payload.get("run", 0)))
        if run is None or run.id in taken or _stale(run, timer):
            continue
        taken.add(run.id)
        ctx.locale = run.lang
        found.append((ctx, run))
    return found


async def _steps_of_runs(ctx: Ctx, runs: Sequence[StepRun]) -> dict[int, list[Step]]:
    """`steps_of` for several runs in one SELECT."""
    steps: dict[int, list[Step]] = {run.id: [] for run in runs}
    rows = await ctx.session.exec(
        select(Step).where(col(Step.run_id).in_(list(steps))).order_by(col(Step.run_id), col(Step.position))
    )
    for step in rows.all():
        steps[step.run_id].append(step)
    return steps


async def _write_steps(ctx: Ctx, changes: list[tuple[list[Step], tuple[str, ...]]]) -> None:
    """Write each (steps, columns) of `changes`, already changed in memory, as one executemany UPDATE by
    primary key. The session holds them as written first (committed values): a write's autoflush must
    not send another's steps one row at a time."""
    writes = []
    for steps, columns in changes:
        if steps:
            writes.append(
                [{"id": step.id, **{column: getattr(step, column) for column in columns}} for step in steps]
            )
            for step in steps:
                for column in columns:
                    set_committed_value(step, column, getattr(step, column))
    table = Step.__table__
    for rows in writes:
        # A Core executemany, compiled once for every moment (the ORM's bulk UPDATE costs more in Python).
        columns = [name for name in rows[0] if name != "id"]
        statement = (
            update(table)
            .where(table.c.id == bindparam("step_id"))
            .values({name: bindparam(f"new_{name}") for name in columns})
        )
        connection = await ctx.session.connection()
        await connection.execute(
            statement,
            [{"step_id": row["id"], **{f"new_{name}": row[name] for name in columns}} for row in rows],
        )


async def _claim_runs(session, runs: Sequence[StepRun]) -> set[int]:  # noqa: ANN001 - the batch's AsyncSession
    """`_claim` for several runs in one UPDATE … RETURNING; the ids of those whose `seq` was still theirs."""
    if not session.bind.dialect.update_returning:  # SQLite before 3.35: one at a time
        claimed = set()
        for run in runs:
            result = await session.exec(
                update(StepRun)
                .where(col(StepRun.id) == run.id, col(StepRun.seq) == run.seq)
                .values(seq=run.seq + 1)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                claimed.add(run.id)
    else:
        result = await session.exec(
            update(StepRun)
            .where(tuple_(col(StepRun.id), col(StepRun.seq)).in_([(run.id, run.seq) for run in runs]))
            .values(seq=StepRun.seq + 1)
            .returning(StepRun.id)
            .execution_options(synchronize_session=False)
        )
        claimed = set(result.scalars().all())
    for run in runs:
        if run.id in claimed:
            set_committed_value(run, "seq", run.seq + 1)
    return claimed


# -- inside -------------------------------------------------------------------------------------------------
def _key_prefix(run: StepRun) -> str:
    return f"{run.ritual}:{run.id}:"


async def _claim(ctx: Ctx, run: StepRun) -> None:
    """Compare-and-set on `seq`: of two transitions racing on one run, only the first goes through."""
    result = await ctx.session.exec(
        update(StepRun)
        .where(col(StepRun.id) == run.id, col(StepRun.seq) == run.seq)
        .values(seq=run.seq + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Moved(run)
    set_committed_value(run, "seq", run.seq + 1)


def _elapsed(ctx: Ctx, run: StepRun) -> int:
    if run.status != "running" or run.resumed_at is None:
        return 0
    return max(0, round((ctx.now - run.resumed_at).total_seconds()))


def _close(ctx: Ctx, run: StepRun, step: Step, outcome: str) -> None:
    step.spoken += _elapsed(ctx, run)
    step.status, step.ended_at = outcome, ctx.now


async def _next(
    ctx: Ctx, run: StepRun, presenter: Presenter, previous: Step | None, steps: list[Step]
) -> None:
    """Start the first pending step of `steps` (all of the run's, in order), or finish the run."""
    upcoming = [s for s in steps if s.status == "pending"]
    with _telling(ctx, run, steps):
        if not upcoming:
            await _finish(ctx, run, presenter, "finished", previous)
            return
        step = upcoming[0]
        _start(ctx, run, step)
        await _arm(ctx, run)
        await presenter.began(ctx, run, step, previous)


def _start(ctx: Ctx, run: StepRun, step: Step) -> None:
    step.status, step.started_at = "active", ctx.now
    run.current, run.status, run.resumed_at, run.remaining = step.position, "running", ctx.now, None
    run.ends_at = ctx.now + timedelta(seconds=step.seconds) if step.seconds else None


async def _finish(ctx: Ctx, run: StepRun, presenter: Presenter, status: str, previous: Step | None) -> None:
    _end(ctx, run, status)
    await presenter.finished(ctx, run, previous)


def _end(ctx: Ctx, run: StepRun, status: str) -> None:
    run.status, run.finished_at = status, ctx.now
    run.ends_at, run.remaining, run.resumed_at = None, None, None


async def _arm(ctx: Ctx, run: StepRun) -> None:
    """Timers for the active step's end, and for the warning when there is time enough to give one."""
    timers = _timers_for(ctx, run)
    if timers:
        await ctx.schedule_many(timers)  # one INSERT for both


def _timers_for(ctx: Ctx, run: StepRun) -> list[tuple[str, datetime, dict, str]]:
    if run.ends_at is None:
        return []
    payload = {"run": run.id, "position": run.current, "seq": run.seq}
    prefix = f"{_key_prefix(run)}{run.seq}"
    warn_at = run.ends_at - timedelta(seconds=WARN_SECONDS)
    timers = [(f"{run.ritual}.end", run.ends_at, payload, f"{prefix}:end")]
    if warn_at > ctx.now:
        timers.insert(0, (f"{run.ritual}.warn", warn_at, payload, f"{prefix}:warn"))
    return timers


__all__ = [
    "LIVE",
    "Moved",
    "Presenter",
    "add_step",
    "add_turns",
    "advance",
    "begin",
    "create",
    "current_step",
    "drop_member",
    "extend",
    "forget_member",
    "hold",
    "pause",
    "pending_steps",
    "resume",
    "start_many",
    "steps_of",
    "stop",
    "stop_many",
    "time_left",
    "timer_routes",
]
