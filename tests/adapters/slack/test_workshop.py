"""A workshop driven entirely through Slack payloads: the real core, store and timers behind the bolt app."""

from __future__ import annotations

import pytest

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
    await ws.command("alice", "handover @bob")
    assert ws.channel()[-1].startswith("<@U0ALICE> has handed *Yorimichi January* over to <@U0BOB>")

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
    assert len(ws.channel()) == 1 and ws.channel()[0].startswith("*Once* を開始しました")
