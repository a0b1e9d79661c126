"""The room at a glance and the facilitator's safety nets: what `event status`, `event end` and
`handover` show each person, what they keep in the database, and how other rituals join in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.bootstrap import build
from bot.clock import VirtualClock
from bot.config import Settings
from bot.events import Caller, CommandInvoked
from bot.markup import unmark
from bot.rituals.handover.models import HandoverOffer
from bot.router import Ctx, Router
from bot.store.models import Event, Facilitator, Member
from tests.support import Chat

pytestmark = pytest.mark.db


async def _rows(chat: Chat, model: type) -> list:
    async with chat.app.store.session() as session:
        return list((await session.exec(select(model))).all())


async def test_the_status_shows_the_count_the_board_shows_never_a_fresher_one(chat: Chat) -> None:
    """A status asked for right after a share must not tell the facilitator that someone just shared."""
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    for name in ("bob", "carol"):
        await chat.say(name, "join")
    await chat.say("alice", "barriers open")
    await chat.say("bob", 'barriers share "I fear looking foolish"')
    seen = await chat.say("alice", "event status")
    assert (
        "[09:00] alice only | Barrier board open: no cards so far; the reveal needs at least 3 cards." in seen
    )
    assert not any("foolish" in line or "@bob" in line for line in seen if "Barrier" in line)
    await chat.wait(minutes=1)  # the board's own count moves on its refresh, and the status with it
    seen = await chat.say("alice", "event status")
    assert any("Barrier board open: 1 card so far" in line for line in seen)


async def test_progress_counts_only_the_people_who_will_still_speak(chat: Chat) -> None:
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    for name in ("bob", "carol", "dan"):
        await chat.say(name, "join")
    seen = await chat.say("alice", "turns @bob @carol @dan --order given")
    assert any(line.endswith("Speaker 1 of 3, about 9 minutes left in the round.") for line in seen)
    await chat.say("dan", "leave")  # dan leaves before his turn: the round is now two speakers long
    seen = await chat.wait(minutes=3)
    assert any(line.endswith("Last speaker (2 of 2), about 3 minutes left in the round.") for line in seen)


async def test_a_participant_sees_their_own_group(chat: Chat) -> None:
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    await chat.say("bob", "join --org Fujitsu")
    await chat.say("carol", "join --org LinkedIn")
    await chat.say("alice", "pairs")
    seen = await chat.say("bob", "event status")
    assert "[09:00] bob only | Pairs round 1: you're with @carol." in seen
    seen = await chat.say("alice", "event status")
    assert "[09:00] alice only | Pairs: round 1 is out, in 1 group." in seen


async def test_forgetting_the_receiver_drops_the_offer_and_frees_the_event_for_another(chat: Chat) -> None:
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    for name in ("bob", "carol"):
        await chat.say(name, "join")
    await chat.say("alice", "handover @bob")
    [offer] = await _rows(chat, HandoverOffer)
    assert offer.status == "offered"
    await chat.say("bob", "forget-me")
    await chat.click("bob", "Forget me")
    assert await _rows(chat, HandoverOffer) == []
    seen = await chat.say("alice", "handover @carol")
    assert any("I've asked @carol to take over Yorimichi" in line for line in seen)
    assert not any("earlier offer" in line for line in seen)


async def test_an_offer_no_longer_stands_once_the_event_has_ended(chat: Chat) -> None:
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    await chat.say("bob", "join")
    await chat.say("alice", "handover @bob")
    seen = await chat.say("alice", "event end")  # nothing is live: it ends at once, as before
    assert any("Yorimichi has ended" in line for line in seen)
    assert any(
        line.endswith("DM bob (updated) | Yorimichi has ended, so this handover offer no longer stands.")
        for line in seen
    )
    seen = await chat.say("bob", "handover accept")
    assert seen == ["[09:00] bob only | That handover offer for Yorimichi no longer stands."]
    facilitators = await _rows(chat, Facilitator)
    assert len(facilitators) == 1, "only alice ever facilitated"


async def test_declining_twice_and_accepting_after_a_decline_change_nothing(chat: Chat) -> None:
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    await chat.say("bob", "join")
    await chat.say("alice", "handover @bob")
    await chat.click("bob", "Decline")
    seen = await chat.say("bob", "handover decline")
    assert seen == ["[09:00] bob only | You already declined that offer for Yorimichi."]
    await chat.say("bob", "handover accept")
    assert len(await _rows(chat, Facilitator)) == 1


# -- other rituals join in through the two signals -----------------------------------------------------------
sheet = Router("sheet")


@sheet.on("status_requested")
async def sheet_status(ctx: Ctx, event: Event, viewer: Member, lines: list[str]) -> None:
    if await ctx.is_facilitator(event, viewer):
        lines.append(f"Run sheet ({ctx.locale}): step 4 of 7, 12 minutes left.")


@sheet.on("end_requested")
async def sheet_end(ctx: Ctx, event: Event, live: list[str]) -> None:
    live.append("the run sheet stops at step 4")


@pytest.fixture
async def app(database_url: str):
    application = build(
        Settings().model_copy(update={"database_url": database_url}),
        clock=VirtualClock(datetime(2026, 1, 15, tzinfo=UTC)),
        extra_routers=[sheet],
    )
    await application.start()
    yield application
    await application.close()


def caller(user: str, locale: str = "en") -> Caller:
    return Caller("slack:T1", user, "C1", locale, user)


async def test_other_rituals_add_their_lines_and_what_the_end_would_stop(app) -> None:  # noqa: ANN001
    await app.core.handle(CommandInvoked(caller("U_ALICE"), 'event start "Yorimichi"'))
    await app.core.handle(CommandInvoked(caller("U_BOB", "ja"), "join"))
    [status] = await app.core.handle(CommandInvoked(caller("U_ALICE"), "event status"))
    text = unmark(status.message.text)
    assert "Run sheet (en): step 4 of 7, 12 minutes left." in text
    assert "Nothing is running right now." not in text, "a ritual's line is something running"
    [mine] = await app.core.handle(CommandInvoked(caller("U_BOB", "ja"), "event status"))
    assert "Run sheet" not in mine.message.text and "あなたは在席中です。" in mine.message.text
    # The run sheet alone is enough for the end to ask first.
    [question] = await app.core.handle(CommandInvoked(caller("U_ALICE"), "event end"))
    assert "• the run sheet stops at step 4" in question.message.text
    assert [b.label for b in question.message.buttons] == ["End the event", "Keep it running"]
    async with app.store.session() as session:
        [event] = (await session.exec(select(Event))).all()
        assert event.status == "open"
    ended = await app.core.handle(CommandInvoked(caller("U_ALICE"), "event end --confirm"))
    assert any("has ended" in unmark(action.message.text) for action in ended if hasattr(action, "message"))
