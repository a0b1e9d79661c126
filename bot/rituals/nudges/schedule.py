"""Turning a plan into nudge rows when an event ends, and moving a row to a new time (with its alarm)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rituals.nudges.meetings import by_member, connections_at, members_by_id
from bot.rituals.nudges.models import Nudge
from bot.rituals.nudges.plans import Plans, delivery_time, load_plans, zone_of
from bot.router import Ctx
from bot.store.models import Event, Member, Timer

TIMER_KIND = "nudges.due"


def wake_key(nudge: Nudge) -> str:
    return f"nudges:{nudge.id}:{nudge.wake}"


def new_wake(nudge: Nudge, now: datetime) -> Timer:
    """The core timer that wakes the sender when `nudge` falls due; its key is unique per wake."""
    return Timer(
        tenant_id=nudge.tenant_id,
        kind=TIMER_KIND,
        key=wake_key(nudge),
        member_id=nudge.member_id,
        payload={"nudge": nudge.id},
        due_at=nudge.due_at,
        created_at=now,
    )


def when_for(
    member: Member,
    event: Event,
    planned: datetime,
    plans: Plans,
    *,
    now: datetime,
    deliver_by: datetime | None = None,
) -> datetime:
    return delivery_time(planned, zone_of(member.tz, event.tz), plans, not_before=now, deliver_by=deliver_by)


async def plan_event(ctx: Ctx, event: Event, plan: str, *, plans: Plans | None = None) -> dict[str, int]:
    """One row per (member, step) for everyone who met someone at `event`; returns counts by status."""
    plans = plans or load_plans()
    steps = plans.steps(plan)
    counts = {"pending": 0, "skipped": 0}
    if not steps:
        return counts
    ended = event.ended_at or ctx.now
    met = by_member(await connections_at(ctx.session, event))
    members = await members_by_id(ctx.session, set(met))
    rows: list[Nudge] = []
    for member_id in sorted(met):
        member = members.get(member_id)
        if member is None:
            continue
        for step in steps:
            deliver_by = ended + step.deliver_by if step.deliver_by else None
            due = when_for(member, event, ended + step.after, plans, now=ctx.now, deliver_by=deliver_by)
            row = Nudge(
                tenant_id=ctx.tenant,
                member_id=member_id,
                event_id=event.id,
                step=step.step,
                plan=plan,
                due_at=due,
                expires_at=ended + step.useful_for,
                created_at=ctx.now,
            )
            if not member.nudges_enabled:
                row.status, row.reason = "skipped", "opted_out"
            counts[row.status] += 1
            rows.append(row)
    ctx.session.add_all(rows)
    await ctx.session.flush()
    # One flush for all the alarms (an event of thousands ends in one transaction, not thousands).
    timers = {row.id: new_wake(row, ctx.now) for row in rows if row.status == "pending"}
    ctx.session.add_all(timers.values())
    await ctx.session.flush()
    for row in rows:
        if row.id in timers:
            row.timer_id = timers[row.id].id
    ctx.new_timers.extend(timers.values())  # armed once the transaction commits, as ctx.schedule does
    return counts


async def reschedule(ctx: Ctx, nudge: Nudge, due_at: datetime) -> None:
    """Back to pending at `due_at`, with a fresh alarm (inside a handler's transaction)."""
    nudge.status, nudge.due_at, nudge.claim_token = "pending", due_at, None
    nudge.wake += 1
    timer = await ctx.schedule(
        TIMER_KIND, due_at, {"nudge": nudge.id}, key=wake_key(nudge), member_id=nudge.member_id
    )
    nudge.timer_id = timer.id


async def add_wake(session: AsyncSession, nudge: Nudge, now: datetime) -> Timer:
    """Outside a handler (the sender): the caller arms the returned timer once the session commits."""
    nudge.wake += 1
    timer = new_wake(nudge, now)
    session.add(timer)
    await session.flush()
    nudge.timer_id = timer.id
    return timer
