"""Nudges are delivered exactly once: across a restart, a second process, a 429, a failing platform, a
refused DM, and a claim that was interrupted. Everything runs on the virtual clock; deliveries are
counted in the console World, which is what people would have seen."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from adapters.console.adapter import ConsoleAdapter
from bot import ledger
from bot.actions import Delivery, DirectMessage
from bot.bootstrap import build
from bot.clock import VirtualClock
from bot.pacing import rate_limited_detail
from bot.rituals.nudges import nudge_counts
from bot.rituals.nudges.models import Nudge
from bot.rituals.nudges.sender import sender_for
from bot.store.models import Connection, Event, Member, Participant, Timer
from tests.support import Chat

pytestmark = pytest.mark.db

TENANT = "console"


async def joined(session: AsyncSession, event_id: int, names: list[str], now: datetime) -> list[Member]:
    """Members of these names, each a participant of the event."""
    members = [Member(tenant_id=TENANT, user_id=name, display_name=name, created_at=now) for name in names]
    session.add_all(members)
    await session.flush()
    session.add_all(
        Participant(tenant_id=TENANT, event_id=event_id, member_id=m.id, joined_at=now) for m in members
    )
    return members


async def crowd(chat: Chat, people: int, *, tz: str = "UTC") -> int:
    """An event in #main where `people` members met in pairs, ended at 09:00 UTC; returns its id.

    The default plan makes each a thank-you due at 12:00 UTC, a keep-warm chat and a stage check.
    """
    await chat.say("alice", f'/tsunagari event start "Big Night" --tz {tz}')
    now = chat.app.clock.now()
    async with chat.app.store.session() as session:
        event = (await session.exec(select(Event).where(Event.status == "open"))).one()
        # They joined (a pair round pairs only participants, and only participants are nudged).
        members = await joined(session, event.id, [f"p{i:03}" for i in range(people)], now)
        for a, b in zip(members[::2], members[1::2], strict=True):
            await ledger.record_link(
                session, tenant=TENANT, a=a.id, b=b.id, origin="pairs", now=now, event_id=event.id
            )
        await session.commit()
        event_id = event.id
    await chat.say("alice", "/tsunagari event end")
    return event_id


def thank_yous(chat: Chat) -> Counter:
    """How many thank-you nudges each person received, as shown on their screens."""
    return Counter(
        shown.place
        for shown in chat.runner.world.shown
        if shown.place.startswith("DM p") and shown.message and "You met" in shown.message.text
    )


async def nudges(chat: Chat, step: str = "thanks") -> list[Nudge]:
    async with chat.app.store.session() as session:
        return list(
            (await session.exec(select(Nudge).where(Nudge.step == step).order_by(col(Nudge.id)))).all()
        )


async def boot_at(chat: Chat, hours: float) -> None:
    """Stop the bot and start it again, `hours` after the test began (it was down all that time)."""
    await chat.app.close()
    await chat.runner._boot(chat.start_time + timedelta(hours=hours))


async def test_200_nudges_due_while_the_bot_was_stopped_are_each_delivered_once_after_it_starts(
    chat: Chat,
) -> None:
    await crowd(chat, 200)
    assert thank_yous(chat) == Counter()  # due at 12:00; the bot stops at 09:00
    await boot_at(chat, 5)  # back at 14:00, after every one fell due
    seen = thank_yous(chat)
    assert len(seen) == 200 and set(seen.values()) == {1}  # each of the 200 got theirs, once
    rows = await nudges(chat)
    assert {(r.status, r.deliveries) for r in rows} == {("sent", 1)}
    await chat.restart()  # a second start-up finds nothing left to send
    await chat.wait(hours=2)
    assert thank_yous(chat) == seen


async def test_two_processes_sweeping_at_once_deliver_each_nudge_once(chat: Chat) -> None:
    await crowd(chat, 200)
    later = chat.start_time + timedelta(hours=4)
    second = build(chat.settings, clock=VirtualClock(later))
    second.dispatcher.register(
        TENANT, ConsoleAdapter(chat.runner.world, second.clock, ZoneInfo("UTC"), second.catalog)
    )
    try:
        chat.app.clock.set(later)
        await asyncio.gather(chat.app.timers.sweep(), second.timers.sweep())
    finally:
        await second.store.close()
    seen = thank_yous(chat)
    assert len(seen) == 200 and set(seen.values()) == {1}


async def test_a_late_alarm_or_a_second_drain_sends_nothing_again(chat: Chat) -> None:
    await crowd(chat, 10)
    await chat.wait(hours=4)
    assert len(thank_yous(chat)) == 10
    async with chat.app.store.session() as session:
        timer_ids = (await session.exec(select(Timer.id).where(Timer.kind == "nudges.due"))).all()
    for timer_id in timer_ids:  # every alarm rings once more, late
        assert await chat.app.timers.fire(timer_id) is False
    report = await sender_for(chat.app.core).drain()
    assert report.sent == 0 and set(thank_yous(chat).values()) == {1}


async def test_one_row_per_member_event_and_step(chat: Chat) -> None:
    await crowd(chat, 2)
    row = (await nudges(chat))[0]
    async with chat.app.store.session() as session:
        session.add(
            Nudge(
                tenant_id=TENANT,
                member_id=row.member_id,
                event_id=row.event_id,
                step="thanks",
                plan="default",
                due_at=row.due_at,
                expires_at=row.expires_at,
                created_at=row.created_at,
            )
        )
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_a_thank_you_whose_moment_passed_while_the_bot_was_down_is_skipped_and_recorded(
    chat: Chat,
) -> None:
    await crowd(chat, 4)
    await boot_at(chat, 4 * 24)  # four days later: a thank-you now would only be awkward
    assert thank_yous(chat) == Counter()
    assert {(r.status, r.reason) for r in await nudges(chat)} == {("skipped", "too_late")}
    assert {r.status for r in await nudges(chat, "warm")} == {"pending"}  # the week's nudge still comes


async def test_a_nudge_overdue_in_the_night_waits_for_the_persons_morning(chat: Chat) -> None:
    await crowd(chat, 2)
    await boot_at(chat, 13)  # back at 22:00 UTC, in quiet hours for these members (UTC)
    assert thank_yous(chat) == Counter()
    assert {(r.status, r.reason) for r in await nudges(chat)} == {("pending", "quiet_hours")}
    await chat.wait(hours=10, minutes=59)  # 08:59
    assert thank_yous(chat) == Counter()
    await chat.wait(minutes=1)  # 09:00: both get theirs, still within the plan's usefulness
    assert set(thank_yous(chat).values()) == {1} and len(thank_yous(chat)) == 2


class Throttled:
    """A platform that answers 429 (Retry-After 0) to every third call the bot makes."""

    def __init__(self, inner: ConsoleAdapter) -> None:
        self.inner, self.calls, self.refused = inner, 0, 0

    async def send(self, tenant, actions, *, origin=None):  # noqa: ANN001, ANN201
        self.calls += 1
        if self.calls % 3 == 0:
            self.refused += 1
            return [Delivery(action, "failed", rate_limited_detail(0)) for action in actions]
        return await self.inner.send(tenant, actions, origin=origin)


async def test_nothing_is_lost_to_a_429(chat: Chat) -> None:
    await crowd(chat, 60)
    throttled = Throttled(chat.runner.adapter)
    chat.app.dispatcher.register(TENANT, throttled)
    await chat.wait(hours=4)
    seen = thank_yous(chat)
    assert throttled.refused >= 20
    assert len(seen) == 60 and set(seen.values()) == {1}


class Flaky:
    """A platform that fails (not a rate limit) for some people the first `times` attempts."""

    def __init__(self, inner: ConsoleAdapter, users: set[str], times: int) -> None:
        self.inner, self.users, self.times = inner, users, times
        self.failures: Counter = Counter()

    async def send(self, tenant, actions, *, origin=None):  # noqa: ANN001, ANN201
        out = []
        for action in actions:
            user = action.users[0] if isinstance(action, DirectMessage) else None
            if user in self.users and self.failures[user] < self.times:
                self.failures[user] += 1
                out.append(Delivery(action, "failed", "server_error"))
            else:
                out.extend(await self.inner.send(tenant, [action], origin=origin))
        return out


async def test_a_failing_platform_is_tried_again_later_then_given_up_and_recorded(chat: Chat) -> None:
    await crowd(chat, 4)
    chat.app.dispatcher.register(TENANT, Flaky(chat.runner.adapter, {"p000"}, 2))
    chat.app.dispatcher.register(TENANT, Flaky(chat.app.dispatcher._outboxes[TENANT], {"p001"}, 99))
    await chat.wait(hours=4)
    seen = thank_yous(chat)
    assert seen == Counter({"DM p000": 1, "DM p002": 1, "DM p003": 1})  # p000 on the third try
    by_member = {r.member_id: r for r in await nudges(chat)}
    statuses = sorted((r.status, r.attempts) for r in by_member.values())
    assert statuses == [("failed", 5), ("sent", 0), ("sent", 0), ("sent", 2)]


async def test_a_member_who_refuses_dms_is_recorded_unreachable_and_not_tried_again(chat: Chat) -> None:
    chat.runner.refused.add("p000")
    await crowd(chat, 4)
    await chat.wait(days=31)
    async with chat.app.store.session() as session:
        member = (await session.exec(select(Member).where(Member.user_id == "p000"))).one()
        rows = (await session.exec(select(Nudge).where(Nudge.member_id == member.id))).all()
    assert sorted((r.step, r.status, r.reason) for r in rows) == [
        ("stage", "unreachable", "unreachable_earlier"),
        ("thanks", "unreachable", "dm_refused"),
        ("warm", "unreachable", "unreachable_earlier"),
    ]
    refusals = [s for s in chat.runner.world.shown if s.place == "#main" and "@p000" in "\n".join(s.lines)]
    assert len(refusals) == 1  # told once in the channel, never again
    assert len([s for s in chat.runner.world.shown if s.place == "DM p001"]) == 3  # the others get all three


async def test_a_claim_interrupted_by_a_crash_is_never_sent_twice(chat: Chat) -> None:
    await crowd(chat, 4)
    first = (await nudges(chat))[0]
    async with chat.app.store.session() as session:  # a process claimed it at 12:00, then died
        await session.exec(
            update(Nudge)
            .where(Nudge.id == first.id)
            .values(status="sending", claim_token="dead", claimed_at=first.due_at)
        )
        await session.commit()
    await boot_at(chat, 4)
    assert len(thank_yous(chat)) == 3
    rows = {r.id: r for r in await nudges(chat)}
    assert (rows[first.id].status, rows[first.id].reason) == ("interrupted", "claimed_then_lost")


async def test_forget_me_takes_a_members_nudges_with_them(chat: Chat) -> None:
    event_id = await crowd(chat, 4)
    lines = await chat.say("p000", "/tsunagari forget-me confirm")
    assert any("deleted" in line.lower() or "forgot" in line.lower() for line in lines), lines
    await chat.wait(hours=4)
    seen = thank_yous(chat)
    assert "DM p000" not in seen and "DM p001" not in seen  # p001's only partner is gone: nobody to name
    async with chat.app.store.session() as session:
        counts = await nudge_counts(session, tenant=TENANT, event_id=event_id)
    assert counts.count("thanks", "sent") == 2
    assert counts.count("thanks", "skipped") == 1 and counts.count() == 9


async def test_facilitators_see_counts_never_names(chat: Chat) -> None:
    event_id = await crowd(chat, 6)
    await chat.wait(hours=4)
    await chat.click("p000", "Thank p001")
    await chat.submit("p000", "A thank-you note", note="Thanks!")
    async with chat.app.store.session() as session:
        counts = await nudge_counts(session, tenant=TENANT, event_id=event_id)
        stages = await ledger.stage_counts(session, tenant=TENANT, event_id=event_id)
    assert counts.count("thanks", "sent") == 6 and counts.actions == {"thanked": 1}
    assert stages == {"link": 3, "connection": 0, "engagement": 0, "relationship": 0}


async def test_an_events_end_reads_its_own_links_not_those_of_an_event_running_beside_it(chat: Chat) -> None:
    """Two events at once in one workspace. Ending #main names its people's links, among them one renewed
    while it ran, and reads none of the forty links made in #side in the same hours: a workspace running
    many events at once made every end load them all."""
    await chat.say("zed", '/tsunagari event start "Side"', channel="#side")
    now = chat.app.clock.now()
    async with chat.app.store.session() as session:
        side = (await session.exec(select(Event).where(Event.channel_id == "#side"))).one()
        people = await joined(session, side.id, [f"q{i:03}" for i in range(80)], now)
        side_links = await ledger.record_links(
            session,
            tenant=TENANT,
            pairs=[(a.id, b.id) for a, b in zip(people[::2], people[1::2], strict=True)],
            origin="pairs",
            now=now,
            event_id=side.id,
        )
        await session.commit()
    side_ids = {link.id for link in side_links.values()}
    assert len(side_ids) == 40

    await chat.say("alice", '/tsunagari event start "Big Night"')
    async with chat.app.store.session() as session:
        main = (await session.exec(select(Event).where(Event.channel_id == "#main"))).one()
        mine = await joined(session, main.id, [f"p{i:03}" for i in range(4)], now)
        await ledger.record_link(
            session, tenant=TENANT, a=mine[0].id, b=mine[1].id, origin="pairs", now=now, event_id=main.id
        )
        # p002 and p003 met months ago; they met again tonight (the link renewed in #main's window).
        a, b = sorted((mine[2].id, mine[3].id))
        session.add(
            Connection(
                tenant_id=TENANT,
                member_a_id=a,
                member_b_id=b,
                origin="manual",
                created_at=now - timedelta(days=90),
                last_met_at=now,
                stage_changed_at=now - timedelta(days=90),
            )
        )
        await session.commit()
        main_id = main.id

    read: list[int] = []

    def loaded(target: Connection, _context: object) -> None:
        read.append(target.id)

    sa_event.listen(Connection, "load", loaded)
    try:
        await chat.say("alice", "/tsunagari event end")
    finally:
        sa_event.remove(Connection, "load", loaded)
    assert read, "the end read no links at all"
    assert not set(read) & side_ids, "ending #main read links made in #side"
    async with chat.app.store.session() as session:
        thanked = (
            await session.exec(
                select(Nudge.member_id).where(Nudge.event_id == main_id, Nudge.step == "thanks")
            )
        ).all()
        assert sorted(thanked) == sorted(m.id for m in mine)  # the renewed link counts: p002 and p003 too
        assert not (await session.exec(select(Nudge).where(Nudge.event_id == side.id))).all()


class Departed:
    """A platform on which some people have left the workspace."""

    def __init__(self, inner: ConsoleAdapter, gone: set[str]) -> None:
        self.inner, self.gone, self.tries = inner, gone, Counter()

    async def send(self, tenant, actions, *, origin=None):  # noqa: ANN001, ANN201
        out = []
        for action in actions:
            user = action.users[0] if isinstance(action, DirectMessage) else None
            if user in self.gone:
                self.tries[user] += 1
                out.append(Delivery(action, "unknown_user"))
            else:
                out.extend(await self.inner.send(tenant, [action], origin=origin))
        return out


async def test_a_member_who_left_the_workspace_is_tried_once_and_recorded(chat: Chat) -> None:
    await crowd(chat, 4)
    departed = Departed(chat.runner.adapter, {"p002"})
    chat.app.dispatcher.register(TENANT, departed)
    await chat.wait(days=31)
    assert departed.tries == Counter({"p002": 1})
    assert len(thank_yous(chat)) == 3


async def test_stop_then_on_brings_back_what_is_still_ahead(chat: Chat) -> None:
    await crowd(chat, 2)
    await chat.wait(hours=4)
    lines = await chat.click("p000", "Stop these")
    assert lines == [
        "[13:00] p000 only | Done: no more nudges from me. `/tsunagari nudges on` brings them back."
    ]
    lines = await chat.say("p000", "/tsunagari nudges status")
    assert "Nudges are off." in lines[0] and "Nothing is waiting for you." in lines[1]
    await chat.say("p000", "/tsunagari nudges on")
    lines = await chat.say("p000", "/tsunagari nudges status")
    assert "2 waiting. Next: the keep-warm chat for Big Night, on 2026-01-22 09:00 (UTC)." in lines[1]
    await chat.wait(days=8)
    assert any(s.place == "DM p000" and "It's been a week" in s.message.text for s in chat.runner.world.shown)


async def test_a_thank_you_note_that_cannot_arrive_is_not_recorded_and_the_sender_is_told(chat: Chat) -> None:
    await crowd(chat, 2)
    await chat.wait(hours=4)
    chat.runner.refused.add("p001")  # p001 turned DMs off after getting their own nudge
    await chat.click("p000", "Thank p001")
    lines = await chat.submit("p000", "A thank-you note", note="Thanks!")
    assert lines == [
        "[13:00] p000 only | I couldn't deliver that to @p001: they don't accept direct messages from me. "
        "Nothing was recorded, so you can try again later."
    ]
    chat.runner.refused.discard("p001")
    lines = await chat.submit("p000", "A thank-you note", note="Thanks!")
    assert (
        "[13:00] DM p001 | > Thanks!" in lines and lines[-1] == "[13:00] p000 only | Sent to @p001. Nice one."
    )
