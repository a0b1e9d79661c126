"""Turning a plan into nudge rows when an event ends, and moving a row to a new time (with its alarm)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rituals.nudges.meetings import by_member, connections_at, members_by_id
from bot.rituals.nudges.models import Nudge
from bot.rituals.nudges.plans import Plans, delivery_time, load_plans, zone_of
from bot.router import Ctx
from bot.store.db import insert_rows
from bot.store.models import Event, Member, Timer, TimerRef

TIMER_KIND = "nudges.due"


def wake_key(nudge_id: int | None, wake: int) -> str:
    """The alarm's key for a nudge's `wake`-th wake-up (0 is the first, planned at the event's end)."""
    return f"nudges:{nudge_id}:{wake}"


def new_wake(nudge: Nudge, now: datetime) -> Timer:
    """The core timer that wakes the sender when `nudge` falls due; its key is unique per wake."""
    return Timer(
        tenant_id=nudge.tenant_id,
        kind=TIMER_KIND,
        key=wake_key(nudge.id, nudge.wake),
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
    return delivery_time(
        planned, zone_of(member.tz, member.tz_hint, event.tz), plans, not_before=now, deliver_by=deliver_by
    )


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
    rows: list[dict] = []
    for member_id in sorted(met):
        member = members.get(member_id)
        if member is None:
            continue
        for step in steps:
            deliver_by = ended + step.deliver_by if step.deliver_by else None
            due = when_for(member, event, ended + step.after, plans, now=ctx.now, deliver_by=deliver_by)
            status, reason = ("pending", None) if member.nudges_enabled else ("skipped", "opted_out")
            counts[status] += 1
            rows.append(
                {
                    "tenant_id": ctx.tenant,
                    "member_id": member_id,
                    "event_id": event.id,
                    "step": step.step,
                    "plan": plan,
                    "status": status,
                    "reason": reason,
                    "due_at": due,
                    "expires_at": ended + step.useful_for,
                    "created_at": ctx.now,
                }
            )
    # An event of hundreds ends in a handful of statements: the rows, their alarms, the links between.
    ids = await insert_rows(ctx.session, Nudge, rows, key=("member_id", "event_id", "step"))
    pending = [(nudge_id, row) for nudge_id, row in zip(ids, rows, strict=True) if row["status"] == "pending"]
    timer_ids = await insert_rows(
        ctx.session,
        Timer,
        [
            {
                "tenant_id": ctx.tenant,
                "kind": TIMER_KIND,
                "key": wake_key(nudge_id, 0),
                "member_id": row["member_id"],
                "payload": {"nudge": nudge_id},
                "due_at": row["due_at"],
                "created_at": ctx.now,
            }
            for nudge_id, row in pending
        ],
        key=("tenant_id", "key"),
    )
    if timer_ids:
        table = Nudge.__table__
        connection = await ctx.session.connection()
        await connection.execute(
            update(table).where(table.c.id == bindparam("nudge")).values(timer_id=bindparam("timer")),
            [
                {"nudge": nudge_id, "timer": timer_id}
                for (nudge_id, _), timer_id in zip(pending, timer_ids, strict=True)
            ],
        )
    # Armed once the transaction commits, as ctx.schedule does.
    ctx.new_timers.extend(
        TimerRef(timer_id, row["due_at"]) for (_, row), timer_id in zip(pending, timer_ids, strict=True)
    )
    return counts


async def reschedule(ctx: Ctx, nudge: Nudge, due_at: datetime) -> None:
    """Back to pending at `due_at`, with a fresh alarm (inside a handler's transaction)."""
    nudge.status, nudge.due_at, nudge.claim_token = "pending", due_at, None
    nudge.wake += 1
    timer = await ctx.schedule(
        TIMER_KIND, due_at, {"nudge": nudge.id}, key=wake_key(nudge.id, nudge.wake), member_id=nudge.member_id
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
