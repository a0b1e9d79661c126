"""A workshop driven entirely through Slack payloads: the real core, store and timers behind the bolt app."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import aiohttp
import pytest
from sqlmodel import select

from bot.bootstrap import build
from bot.clock import VirtualClock
from bot.store.models import Member
from tests.adapters.slack.harness import slack_settings
from tests.fakes import slack_requests as sr
from tests.fakes.slack_api import message_text

pytestmark = pytest.mark.db


async def test_a_workshop_through_slack(bot):
    app, ws = bot
    await ws.command("bob", "join")
    assert ws.whispers("bob")[-1].startswith("There is no event in this channel yet")

    await ws.command("alice", 'event start "Yorimichi January" --lang en --tz asia/tokyo')
    assert ws.channel()[-1].startswith("*Yorimichi January* has started, facilitated by <@U0ALICE>")

    await ws.command("bob", "join --org Fujitsu --region Tokyo --languages ja,en")
    welcome = ws.whispers("bob")[-1]
    assert welcome.startswith("Welcome to *Yorimichi January*")
    assert "*Organisation*\nFujitsu" in welcome and welcome.endswith("[Edit profile]")

    # The button sits in bob's ephemeral reply; its click opens the modal with the click's own trigger_id.
    await ws.click("bob", "Edit profile")
    view = ws.open_view()
    assert view["title"]["text"] == "Your profile"
    assert view["blocks"][0]["element"]["initial_value"] == "Fujitsu"
    await ws.submit("bob", {"organisation": "Fujitsu Uvance", "role": "engineer"})
    updated = ws.whispers("bob")[-1]
    assert updated.startswith("Your profile in *Yorimichi January* is updated.")
    assert "Fujitsu Uvance" in updated and "engineer" in updated and "Tokyo" in updated

    # dave's Slack locale is ja-JP: his replies come in Japanese, the channel stays in the event's English.
    await ws.command("dave", "join")
    assert "Yorimichi January" in ws.whispers("dave")[-1]
    assert any("\u3040" <= ch <= "\u30ff" for ch in ws.whispers("dave")[-1])

    await ws.command("carol", "join")
    await ws.command("bob", "facilitators add @carol")
    assert ws.whispers("bob")[-1].startswith("Only a facilitator")
    await ws.command("alice", "facilitators add @carol")
    assert ws.channel()[-1] == "<@U0CAROL> is now a co-facilitator."
    # A handover is an offer: bob gets a DM with Accept and Decline, and nothing changes until he accepts.
    await ws.command("alice", "handover @bob")
    # alice's Slack locale is ja-JP: her own reply comes in Japanese.
    assert ws.whispers("alice")[-1].startswith(
        "<@U0BOB> さんに「*Yorimichi January*」の引き継ぎをお願いしました。"
    )
    assert ws.channel()[-1] == "<@U0CAROL> is now a co-facilitator."
    offer = ws.dms("bob")[-1]
    assert offer.startswith("<@U0ALICE> would like to hand *Yorimichi January* over to you.")
    assert offer.endswith("[Accept]\n[Decline]")
    await ws.command("bob", "turns")
    assert ws.whispers("bob")[-1].startswith("Only a facilitator")
    # He presses Accept in his DM: the DM loses its buttons, the channel hears of it, and alice stays on.
    dm = ws.slack.dm_channel(ws.ids["bob"])
    await ws.click("bob", "Accept", channel=dm)
    assert ws.dms("bob")[-1] == "You accepted: you now facilitate *Yorimichi January*."
    assert ws.channel()[-1].startswith(
        "<@U0ALICE> has handed *Yorimichi January* over to <@U0BOB>, who accepted; "
        "<@U0ALICE> stays on as co-facilitator."
    )
    with pytest.raises(AssertionError, match="no button 'Accept'"):
        ws.find_button("Accept", channel=dm, name="bob")
    await ws.command("bob", "handover accept")
    assert ws.whispers("bob")[-1] == "You've already accepted: you facilitate *Yorimichi January*."

    await ws.command("carol", "event end")
    assert ws.channel()[-1].startswith("*Yorimichi January* has ended.")
    assert len(ws.slack.calls_to("views.open", ok=True)) == 1
    assert all(call.ok for call in ws.slack.calls), [c for c in ws.slack.calls if not c.ok]


async def test_a_slash_command_retried_with_the_same_trigger_acts_once(bot):
    """The core dedupes by request_id too: a delivery replayed (same trigger_id) does not start two events."""
    app, ws = bot
    from tests.fakes import slack_requests as sr

    body = sr.slash_command_body('event start "Once"', user="U0ALICE", trigger_id=ws.slack.new_trigger_id())
    for _ in range(3):
        assert (await ws.dispatch(*sr.signed(body))).status == 200
    # alice's Slack locale is ja-JP, so the event she starts without --lang speaks Japanese.
    assert len(ws.channel()) == 1 and ws.channel()[0].startswith("「*Once*」を開始しました")


async def test_an_anonymous_barrier_board_through_slack(bot):
    app, ws = bot
    await ws.command("alice", 'event start "Yorimichi January" --lang en')
    for name in ("bob", "carol", "dave"):
        await ws.command(name, "join")
    await ws.command("alice", "barriers open --min 3")
    board_ts = ws.slack.messages["C0MAIN"][-1]["ts"]
    assert "Cards in: 0" in ws.channel()[-1] and ws.channel()[-1].endswith("[Share anonymously]\n[My cards]")

    # By command: only the author hears back; by the modal: opened with the click's own trigger_id.
    await ws.command("bob", "barriers share I am afraid to look foolish --category fear")
    assert ws.whispers("bob")[-1].startswith("Your card is in (Expectation and fear)")
    await ws.click("carol", "Share anonymously")
    view = ws.open_view()
    assert [b["block_id"] for b in view["blocks"]] == ["text", "category"]
    assert view["blocks"][1]["element"]["type"] == "static_select"
    await ws.submit("carol", {"text": "Nobody here talks about <!channel> loneliness", "category": "taboo"})
    assert ws.whispers("carol")[-1].startswith("Your card is in (Taboo and stigma)")
    await ws.command("dave", 'barriers share "Our department only ever talks to itself" --category isolation')
    assert not any("afraid" in text or "loneliness" in text for text in ws.channel())

    # The board's count moves on the timer's minute, by editing the message posted at the start.
    await ws.wait(app, minutes=1)
    assert [c for c in ws.slack.calls_to("chat.update", ok=True) if c.args["ts"] == board_ts]
    [board] = [m for m in ws.slack.messages["C0MAIN"] if m["ts"] == board_ts]
    assert "Cards in: 3" in message_text(board) and board["edited"]

    await ws.command("alice", "barriers reveal")
    revealed = "\n".join(ws.channel())
    assert "Revealed: 3 cards" in revealed
    assert "loneliness" in revealed and "<!channel>" not in revealed  # a card cannot ping everyone
    await ws.click("bob", "Me too #1")
    assert ws.whispers("bob")[-1].startswith("Counted: “me too” on #1")
    await ws.wait(app, minutes=1)
    assert "Me too: 1" in "\n".join(ws.channel())

    await ws.command("alice", "barriers close")
    assert any("This board is closed" in text for text in ws.channel())
    assert all(call.ok for call in ws.slack.calls), [c for c in ws.slack.calls if not c.ok]


async def test_sharing_a_card_through_slack_logs_nothing_of_it_even_at_debug(bot, caplog):
    """The request that carries a card also names its author: no logger (ours, bolt's, slack_sdk's) repeats it."""
    app, ws = bot
    caplog.set_level(logging.DEBUG)
    await ws.command("alice", 'event start "Yorimichi" --lang en')
    await ws.command("bob", "join")
    await ws.command("carol", "join")
    await ws.command("alice", "barriers open --min 3")
    await ws.command("bob", "barriers share UNMISTAKABLE-CARD-WORDS --category fear")
    await ws.click("carol", "Share anonymously")
    await ws.submit("carol", {"text": "ANOTHER-UNMISTAKABLE-CARD", "category": "trust"})
    assert ws.whispers("carol")[-1].startswith("Your card is in")
    leaks = [r.name for r in caplog.records if "UNMISTAKABLE" in r.getMessage()]
    assert leaks == []


async def test_nudges_arrive_as_slack_dms_and_their_buttons_work_there(bot):
    app, ws = bot  # the virtual clock starts at 18:00 in Tokyo
    await ws.command("alice", 'event start "Yorimichi January" --lang en --tz Asia/Tokyo')
    for name in ("bob", "carol", "dave"):
        await ws.command(name, "join")
    await ws.command("alice", "connections add @bob @carol")
    await ws.command("dave", "nudges off")
    await ws.wait(app, hours=3)
    await ws.command("alice", "event end")

    await ws.wait(app, hours=11)  # 08:00 in Tokyo: quiet hours, nothing yet
    assert ws.dms("bob") == []
    await ws.wait(app, hours=1)
    [thanks] = ws.dms("bob")
    assert thanks.startswith("You met <@U0CAROL> at *Yorimichi January* yesterday.")
    assert "[Thank carol]" in thanks and "[Stop these]" in thanks
    assert ws.dms("carol")[0].startswith("You met <@U0BOB>")
    assert ws.dms("dave") == []

    dm = ws.slack.dm_channel("U0BOB")
    await ws.click("bob", "Thank carol", channel=dm)
    note = ws.open_view()
    assert note["blocks"][0]["element"]["initial_value"].startswith("Thank you for the conversation")
    await ws.submit("bob", {"note": "Thank you for the talk about rice farming in Akita!"})
    assert ws.whispers("bob")[-1].startswith("Sent to <@U0CAROL>.")
    assert "Thank you for the talk about rice farming in Akita!" in ws.dms("carol")[-1]
    assert all(call.ok for call in ws.slack.calls), [c for c in ws.slack.calls if not c.ok]


async def test_a_nudge_keeps_to_the_quiet_hours_of_the_zone_slack_reports_for_each_person(bot):
    """Erin's Slack profile says London. Nobody ran `tz`, yet her thank-you comes at 15:00 London, not at
    09:00 Tokyo (midnight for her), while Bob in Tokyo waits for his morning."""
    app, ws = bot  # the virtual clock starts at 09:00 UTC, 18:00 in Tokyo
    ws.person("erin", tz="Europe/London")
    await ws.command("alice", 'event start "Yorimichi January" --lang en --tz Asia/Tokyo')
    for name in ("bob", "erin"):
        await ws.command(name, "join")
    await ws.command("alice", "connections add @bob @erin")
    await ws.wait(app, hours=3)
    await ws.command("alice", "event end")  # 12:00 UTC: the thank-yous are planned for 15:00 UTC

    await ws.wait(app, hours=3)  # 15:00 in London, midnight in Tokyo
    assert ws.dms("erin")[0].startswith("You met <@U0BOB> at *Yorimichi January*")
    assert ws.dms("bob") == []
    await ws.wait(app, hours=9)  # 09:00 in Tokyo
    assert ws.dms("bob")[0].startswith("You met <@U0ERIN>")
    async with app.store.session() as session:
        erin = (await session.exec(select(Member).where(Member.user_id == "U0ERIN"))).one()
    assert (erin.tz, erin.tz_hint) == (None, "Europe/London")


async def test_a_round_of_turns_through_slack_keeps_time_and_its_buttons_work(bot):
    app, ws = bot  # 18:00 in Tokyo
    await ws.command("alice", 'event start "Yorimichi January" --lang en --tz Asia/Tokyo')
    for name in ("bob", "carol", "dave"):
        await ws.command(name, "join")
    await ws.command("alice", "turns @bob @carol @dave --order given")
    floor = "\n".join(ws.channel())
    assert "<@U0BOB> has the floor until <!date^" in floor and "|09:03 UTC>" in floor  # each reader's zone
    assert "[Done]\n[+1 min]\n[Pause]\n[Next]" in floor

    await ws.wait(app, minutes=2, seconds=30)
    assert ws.channel()[-1] == "<@U0BOB>, 30 seconds left."
    await ws.wait(app, seconds=30)
    assert "Time's up, <@U0BOB>. Thank you!\n<@U0CAROL> has the floor until" in ws.channel()[-1]

    await ws.click("carol", "Done")  # the newest message with the round's buttons
    assert "<@U0CAROL> has finished. Thank you!\n<@U0DAVE> has the floor" in ws.channel()[-1]
    await ws.click("bob", "Pause")
    assert ws.whispers("bob")[-1].startswith("Only")  # a participant cannot pause the round
    await ws.wait(app, minutes=3)
    assert any("The round is over" in t for t in ws.channel())
    await ws.click("bob", "Next")
    assert ws.whispers("bob")[-1] == "That round has finished, so nothing happened."
    assert all(call.ok for call in ws.slack.calls), [c for c in ws.slack.calls if not c.ok]


async def test_a_one_on_one_runs_in_a_slack_group_dm(bot):
    app, ws = bot
    await ws.command("alice", 'event start "Yorimichi January" --lang en')
    for name in ("bob", "carol"):
        await ws.command(name, "join")
    await ws.command("bob", "oneonone @carol")
    assert ws.whispers("bob")[-1].startswith("I've opened a one-on-one (Reflect) with <@U0CAROL>")
    [opened] = ws.slack.calls_to("conversations.open", ok=True)
    assert opened.args["users"] == "U0BOB,U0CAROL"
    room = ws.slack.dm_channel("U0BOB", "U0CAROL")
    talk = "\n".join(ws.dms("bob", "carol"))
    assert "<@U0CAROL>, what's been on your mind lately?" in talk and "[Done]" in talk

    await ws.click("bob", "Done", channel=room)
    assert ws.whispers("bob")[-1] == "It's <@U0CAROL>'s turn; only they can end it early."
    await ws.click("carol", "Done", channel=room)
    assert "<@U0BOB>, what's been on your mind lately?" in "\n".join(ws.dms("bob", "carol"))
    await ws.wait(app, minutes=2, seconds=30)
    assert ws.dms("bob", "carol")[-1] == "<@U0BOB>, 30 seconds left."

    # alice's Slack says ja-JP: her own one-on-one answer comes in Japanese.
    await ws.command("alice", "oneonone @dave")
    assert ws.whispers("alice")[-1].startswith("<@U0DAVE> さんとの1on1")
    assert all(call.ok for call in ws.slack.calls), [c for c in ws.slack.calls if not c.ok]


async def test_a_whole_evening_through_slack(bot):
    """One workshop start to finish, the way the seeds run it, with nothing but Slack payloads going in:
    turns with buttons, a barrier board with its modal, pairs in group DMs, the next morning's nudge."""
    app, ws = bot  # 18:00 in Tokyo
    await ws.command("alice", 'event start "Yorimichi January" --lang en --tz Asia/Tokyo')
    for name, org in (("bob", "Fujitsu"), ("carol", "LinkedIn"), ("dave", "Musubi")):
        await ws.command(name, f"join --org {org}")

    # Step 1: three minutes each on what's been on your mind.
    await ws.command("alice", "turns @bob @carol @dave --order given")
    for speaker in ("bob", "carol", "dave"):
        await ws.click(speaker, "Done")
    assert any("The round is over" in t for t in ws.channel())

    # Step 2: the barriers, shared anonymously, revealed together.
    await ws.command("alice", "barriers open --min 2")
    await ws.click("bob", "Share anonymously")
    await ws.submit("bob", {"text": "I fear looking foolish", "category": "fear"})
    await ws.command("carol", "barriers share Nobody talks about loneliness --category taboo")
    await ws.wait(app, minutes=1)  # the board shows 2, the count the reveal decides on
    await ws.command("alice", "barriers reveal")
    assert "Revealed: 2 cards" in "\n".join(ws.channel())
    await ws.command("alice", "barriers close")

    # Step 3: pairs across differences (three people: one trio), introduced in a Slack group DM.
    await ws.command("alice", "pairs")
    assert "What bridges you" in ws.dms("bob", "carol", "dave")[0]

    # The evening ends; the pair round recorded who met, and the thank-you comes the next morning by DM.
    await ws.wait(app, hours=3)
    await ws.command("alice", "event end")
    await ws.wait(app, hours=12)
    [thanks] = ws.dms("bob")
    assert thanks.startswith("You met <@U0CAROL> and <@U0DAVE> at *Yorimichi January* yesterday.")
    await ws.click("bob", "Thank dave", channel=ws.slack.dm_channel("U0BOB"))
    await ws.submit("bob", {"note": "Thanks for the story about Musubi!"})
    assert "Thanks for the story about Musubi!" in ws.dms("dave")[-1]

    calls = ws.slack.calls
    assert all(call.ok for call in calls), [c for c in calls if not c.ok]
    assert {c.method for c in calls} >= {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.update",
        "views.open",
    }
    assert len(ws.slack.calls_to("users.info")) == 4  # once per person, however much they did


async def test_pairs_become_slack_group_dms_with_a_trio_so_nobody_is_left_out(bot):
    app, ws = bot
    await ws.command("alice", 'event start "Yorimichi January" --lang en')
    people = (
        ("bob", "Fujitsu", "Tokyo"),
        ("carol", "LinkedIn", "Osaka"),
        ("dave", "Fujitsu", "Osaka"),
        ("erin", "NPO", "Fukuoka"),
        ("frank", "City", "Tokyo"),
    )
    for name, org, region in people:
        if name not in ws.ids:
            ws.person(name)
        await ws.command(name, f"join --org {org} --region {region} --languages en")
    await ws.command("alice", "pairs --preview")  # alice's Slack is in Japanese: so is her preview
    assert ws.whispers("alice")[-1].startswith("ラウンド1のプレビュー")
    assert not any("Round 1" in t for t in ws.channel())
    await ws.click("alice", "送信")

    groups = [c.args["users"].split(",") for c in ws.slack.calls_to("conversations.open", ok=True)]
    assert sorted(len(g) for g in groups) == [2, 3]  # five people: a pair and a trio, nobody alone
    assert sorted(u for g in groups for u in g) == sorted(ws.ids[n] for n, _, _ in people)
    for group in groups:
        [intro] = ws.slack.texts(ws.slack.dm_channel(*group))
        assert "Round 1 · Yorimichi January" in intro and "What bridges you" in intro
        assert all(f"<@{user}>" in intro for user in group)
    assert ws.channel()[-1].startswith("Round 1 of *Yorimichi January*: 5 people in 2 groups")
    assert "ラウンド1" in ws.whispers("alice")[-1]
    assert all(call.ok for call in ws.slack.calls), [c for c in ws.slack.calls if not c.ok]


async def test_the_composition_root_starts_slack_from_settings_alone(database_url, slack):
    """bot/bootstrap.py as it stands: `SlackAdapter(core, store, settings)`, HTTP mode on SLACK_PORT."""
    from bot.bootstrap import add_platform_adapters

    settings = slack_settings(slack.api_url, database_url=database_url)
    app = build(settings, clock=VirtualClock(datetime(2026, 1, 15, 9, 0, tzinfo=UTC)))
    assert add_platform_adapters(app) == ["slack"]
    await app.start()
    try:
        [adapter] = app.adapters
        slack.add_user("U0BOB", "bob")
        body = sr.slash_command_body("help", user="U0BOB")
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{adapter.port}/slack/events"
            async with http.post(url, data=body, headers=sr.signed(body)[1]) as answer:
                assert answer.status == 200
        await adapter.settle()
        assert len(slack.calls_to("chat.postEphemeral", ok=True)) == 1
    finally:
        await app.close()


async def test_a_round_that_mutes_others_runs_on_slack_without_an_error(bot, caplog):
    """`--mute-others` is for Discord voice channels; on Slack the round simply runs, nothing failing."""
    app, ws = bot
    await ws.command("alice", 'event start "Voice" --lang en')
    for name in ("bob", "carol"):
        await ws.command(name, "join")
    caplog.clear()
    await ws.command("alice", "turns @bob @carol --order given --mute-others")
    await ws.wait(app, minutes=7)
    assert any("The round is over" in t for t in ws.channel())
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
