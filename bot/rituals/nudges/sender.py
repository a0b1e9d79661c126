"""Delivering due nudges exactly once, at the platform's pace.

Every nudge is a row. A process claims due rows with one conditional UPDATE (`status = 'pending'` ->
`'sending'`, stamped with its own token), so a late alarm, a restart or a second process never takes a
row twice; the claim also retires the rows' wake-up timers. Claimed rows flow through a `PacedQueue`
(bounded concurrency, a token bucket per platform, Retry-After honoured), and outcomes are recorded in
batches: sent, unreachable (DMs refused or the person is gone: recorded, not retried), skipped (moment
passed, opted out, nobody left to name) or back to pending for a later attempt. A row whose time fell in
the person's quiet hours while the bot was down waits for their morning.

A row claimed by a process that died before recording its outcome may or may not have gone out; it is
marked `interrupted` when next seen and never sent again (at most once beats twice).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import col, select, update

from bot.actions import Delivery, DirectMessage
from bot.outbox import platform_of
from bot.pacing import Outcome, PacedQueue, RateLimited, TokenBucket, retry_after_of
from bot.reader import language_of
from bot.rituals.nudges.meetings import by_member, connections_at, members_by_id
from bot.rituals.nudges.messages import nudge_message
from bot.rituals.nudges.models import Nudge
from bot.rituals.nudges.plans import Plans, is_quiet, load_plans, next_waking, zone_of
from bot.rituals.nudges.schedule import add_wake
from bot.store.models import Event, Member, Participant, Timer

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # platform failures (not refusals) before a nudge is given up as failed
STALE_CLAIM = timedelta(minutes=10)


@dataclass
class Ready:
    nudge: Nudge
    action: DirectMessage


@dataclass
class Settle:
    nudge_id: int
    member_id: int
    status: str  # sent | unreachable | skipped | retry | later
    reason: str | None = None
    due_at: datetime | None = None


@dataclass
class DrainReport:
    counts: Counter = field(default_factory=Counter)
    rate_limited: int = 0

    @property
    def sent(self) -> int:
        return self.counts["sent"]


class NudgeSender:
    def __init__(
        self,
        core: Core,
        *,
        batch: int = 100,
        concurrency: int = 8,
        buckets: dict[str, TokenBucket] | None = None,
        plans: Plans | None = None,
    ) -> None:
        self.core = core
        self.batch, self.concurrency = batch, concurrency
        self.buckets = buckets or {}  # platform -> bucket; adapters that pace themselves need none
        self.plans = plans or load_plans()
        self._running = False
        self._again = False

    # -- the pipeline ---------------------------------------------------------------------------------
    async def drain(self) -> DrainReport:
        """Deliver every nudge due now.

        Thousands of alarms can ring at one moment; while a drain runs in this process, another only
        asks it to look once more before it stops (it claims by due time, so it finds their rows).
        """
        if self._running:
            self._again = True
            return DrainReport()
        self._running = True
        total = DrainReport()
        try:
            while True:
                self._again = False
                report = await self._drain()
                total.counts.update(report.counts)
                total.rate_limited += report.rate_limited
                if not self._again:
                    return total
        finally:
            self._running = False

    async def _drain(self) -> DrainReport:
        report = DrainReport()
        await self._retire_stale_claims(report)
        queue: asyncio.Queue = asyncio.Queue(maxsize=2 * self.batch)
        pending: list[Settle] = []
        flushing = asyncio.Lock()

        async def flush(force: bool = False) -> None:
            async with flushing:
                if pending and (force or len(pending) >= self.batch):
                    chunk = pending[:]
                    pending.clear()
                    await self._settle(chunk, report)

        async def produce() -> None:
            try:
                while claimed := await self._claim():
                    for item in await self._prepare(claimed):
                        if isinstance(item, Ready):
                            await queue.put(item)
                        else:
                            pending.append(item)
                    await flush()
            finally:
                await queue.put(None)

        async def record(outcome: Outcome[Ready, Delivery]) -> None:
            pending.append(self._outcome(outcome))
            await flush()

        paced = PacedQueue(
            self._send,
            bucket=lambda ready: self.buckets.get(platform_of(ready.nudge.tenant_id)),
            concurrency=self.concurrency,
            on_outcome=record,
        )
        async with asyncio.TaskGroup() as group:
            group.create_task(produce())
            group.create_task(paced.run(queue))
        await flush(force=True)
        report.rate_limited = paced.rate_limited
        if report.counts:
            log.info("nudges: %s", dict(report.counts))
        return report

    async def _retire_stale_claims(self, report: DrainReport) -> None:
        now = self.core.clock.now()
        async with self.core.store.session() as session:
            result = await session.exec(
                update(Nudge)
                .where(Nudge.status == "sending", col(Nudge.claimed_at) < now - STALE_CLAIM)
                .values(status="interrupted", reason="claimed_then_lost", claim_token=None)
            )
            await session.commit()
        if result.rowcount:
            report.counts["interrupted"] += result.rowcount
            log.warning(
                "nudges: %d claimed rows were never recorded; not sending them again", result.rowcount
            )

    async def _claim(self) -> list[Nudge]:
        now = self.core.clock.now()
        token = uuid.uuid4().hex
        due = (
            select(Nudge.id)
            .where(Nudge.status == "pending", Nudge.due_at <= now)
            .order_by(col(Nudge.due_at), col(Nudge.id))
            .limit(self.batch)
        )
        async with self.core.store.session() as session:
            await session.exec(
                update(Nudge)
                .where(col(Nudge.id).in_(due), Nudge.status == "pending")
                .values(status="sending", claim_token=token, claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            # Their alarms have nothing left to do: a sweep must not wake for them again.
            await session.exec(
                update(Timer)
                .where(
                    col(Timer.id).in_(select(Nudge.timer_id).where(Nudge.claim_token == token)),
                    Timer.status == "pending",
                )
                .values(status="done", fired_at=now)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
            rows = await session.exec(select(Nudge).where(Nudge.claim_token == token).order_by(col(Nudge.id)))
            return list(rows.all())

    async def _prepare(self, claimed: list[Nudge]) -> list[Ready | Settle]:
        """Decide each claimed row: a message to send now, or an outcome without sending."""
        now = self.core.clock.now()
        async with self.core.store.session() as session:
            events = {
                row.id: row
                for row in (
                    await session.exec(select(Event).where(col(Event.id).in_({n.event_id for n in claimed})))
                ).all()
            }
            met = {}
            wanted = {n.member_id for n in claimed}
            for event_id, event in events.items():
                mine = {n.member_id for n in claimed if n.event_id == event_id}
                met[event_id] = by_member(await connections_at(session, event, mine))
                for member_id in mine:
                    wanted.update(other for _, other in met[event_id].get(member_id, []))
            members = await members_by_id(session, wanted)
            # Profiles choose the language of someone who set none and whose platform says none.
            profiles = {
                (event_id, member_id): languages
                for event_id, member_id, languages in (
                    await session.exec(
                        select(Participant.event_id, Participant.member_id, Participant.languages).where(
                            col(Participant.event_id).in_(set(events)),
                            col(Participant.member_id).in_({n.member_id for n in claimed}),
                        )
                    )
                ).all()
            }
        out: list[Ready | Settle] = []
        for nudge in claimed:
            member, event = members.get(nudge.member_id), events.get(nudge.event_id)
            decision = self._decide(nudge, member, event, now)
            if decision is not None:
                out.append(decision)
                continue
            links = met[event.id].get(member.id, [])
            people = [(connection, members[other]) for connection, other in links if other in members]
            if not people:
                out.append(Settle(nudge.id, nudge.member_id, "skipped", "nobody_to_name"))
                continue
            lang = language_of(
                member,
                profile=profiles.get((event.id, member.id)),
                event=event,
                default=self.core.settings.default_lang,
            )
            zone = zone_of(member.tz, member.tz_hint, event.tz)
            days = (now.astimezone(zone).date() - (event.ended_at or now).astimezone(zone).date()).days
            message = nudge_message(self.core.catalog, lang, nudge, event, people, days_ago=days)
            out.append(Ready(nudge, DirectMessage((member.user_id,), message, near=event.channel_id)))
        return out

    def _decide(
        self, nudge: Nudge, member: Member | None, event: Event | None, now: datetime
    ) -> Settle | None:
        if member is None or event is None:
            return Settle(nudge.id, nudge.member_id, "skipped", "gone")
        if not member.nudges_enabled:
            return Settle(nudge.id, nudge.member_id, "skipped", "opted_out")
        if now >= nudge.expires_at:
            return Settle(nudge.id, nudge.member_id, "skipped", "too_late")
        plans = self.plans
        zone = zone_of(member.tz, member.tz_hint, event.tz)
        if is_quiet(now, zone, plans.quiet_start, plans.quiet_end):  # late, after the bot was down
            morning = next_waking(now, zone, plans.quiet_start, plans.quiet_end)
            if morning >= nudge.expires_at:
                return Settle(nudge.id, nudge.member_id, "skipped", "too_late")
            return Settle(nudge.id, nudge.member_id, "later", "quiet_hours", morning)
        return None

    async def _send(self, ready: Ready) -> Delivery:
        deliveries = await self.core.outbox.send(ready.nudge.tenant_id, [ready.action])
        delivery = deliveries[0] if deliveries else Delivery(ready.action, "failed", "no delivery reported")
        if delivery.status == "failed":
            wait = retry_after_of(delivery.detail)
            if wait is not None:
                raise RateLimited(wait)
        return delivery

    def _outcome(self, outcome: Outcome[Ready, Delivery]) -> Settle:
        nudge = outcome.item.nudge
        delivery = outcome.result
        if delivery is not None and delivery.status == "ok":
            return Settle(nudge.id, nudge.member_id, "sent")
        if delivery is not None and delivery.status in ("dm_refused", "unknown_user"):
            return Settle(nudge.id, nudge.member_id, "unreachable", delivery.status)
        reason = "rate_limited" if isinstance(outcome.error, RateLimited) else "platform_error"
        return Settle(nudge.id, nudge.member_id, "retry", reason)

    # -- recording ------------------------------------------------------------------------------------
    async def _settle(self, settles: list[Settle], report: DrainReport) -> None:
        now = self.core.clock.now()
        by_status: dict[str, list[Settle]] = {}
        for item in settles:
            by_status.setdefault(item.status, []).append(item)
        new_timers: list[Timer] = []
        async with self.core.store.session() as session:
            sent = [s.nudge_id for s in by_status.get("sent", [])]
            if sent:
                await session.exec(
                    update(Nudge)
                    .where(col(Nudge.id).in_(sent), Nudge.status == "sending")
                    .values(
                        status="sent",
                        sent_at=now,
                        deliveries=Nudge.deliveries + 1,
                        claim_token=None,
                        reason=None,
                    )
                    .execution_options(synchronize_session=False)
                )
            for status in ("skipped", "unreachable"):
                for item in by_status.get(status, []):
                    await session.exec(
                        update(Nudge)
                        .where(Nudge.id == item.nudge_id, Nudge.status == "sending")
                        .values(status=status, reason=item.reason, claim_token=None)
                        .execution_options(synchronize_session=False)
                    )
            unreachable = sorted({s.member_id for s in by_status.get("unreachable", [])})
            if unreachable:
                # One refusal is enough: their other waiting nudges are recorded, not tried again.
                await session.exec(
                    update(Timer)
                    .where(
                        col(Timer.id).in_(
                            select(Nudge.timer_id).where(
                                col(Nudge.member_id).in_(unreachable), Nudge.status == "pending"
                            )
                        ),
                        Timer.status == "pending",
                    )
                    .values(status="cancelled")
                    .execution_options(synchronize_session=False)
                )
                await session.exec(
                    update(Nudge)
                    .where(col(Nudge.member_id).in_(unreachable), Nudge.status == "pending")
                    .values(status="unreachable", reason="unreachable_earlier")
                    .execution_options(synchronize_session=False)
                )
            again = by_status.get("retry", []) + by_status.get("later", [])
            if again:
                rows = {
                    row.id: row
                    for row in (
                        await session.exec(
                            select(Nudge).where(col(Nudge.id).in_([s.nudge_id for s in again]))
                        )
                    ).all()
                }
                for item in again:
                    row = rows.get(item.nudge_id)
                    if row is None or row.status != "sending":
                        continue
                    due = item.due_at
                    if item.status == "retry":
                        row.attempts += 1
                        if row.attempts >= MAX_ATTEMPTS:
                            row.status, row.reason, row.claim_token = "failed", item.reason, None
                            report.counts["failed"] += 1
                            continue
                        due = now + timedelta(minutes=2**row.attempts)
                    row.status, row.reason, row.due_at, row.claim_token = "pending", item.reason, due, None
                    new_timers.append(await add_wake(session, row, now))
                    report.counts["retry" if item.status == "retry" else "waits_for_morning"] += 1
            await session.commit()
        for status in ("sent", "skipped", "unreachable"):
            report.counts[status] += len(by_status.get(status, []))
        if new_timers and self.core.timers is not None:
            self.core.timers.armed(new_timers, [])


_senders: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def sender_for(core: Core) -> NudgeSender:
    """The one sender of this core (so drains in one process queue up rather than race)."""
    sender = _senders.get(core)
    if sender is None:
        sender = _senders[core] = NudgeSender(core)
    return sender


def install_sender(core: Core, sender: NudgeSender) -> None:
    """For a deployment (or a benchmark) that sizes the fan-out: concurrency, per-platform buckets."""
    _senders[core] = sender
