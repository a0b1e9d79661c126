"""A bilingual room through Slack: every post in the channel in Japanese and English, its buttons
labelled in both within Slack's 75 characters (the fake refuses more), and each person answered in
their own Slack's language."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.db

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def labels(ws) -> list[str]:
    return [
        element["text"]["text"]
        for message in ws.slack.messages["C0MAIN"]
        for block in message.get("blocks") or []
        if block["type"] == "actions"
        for element in block["elements"]
    ]


async def test_a_bilingual_room_through_slack(bot):
    app, ws = bot
    await ws.command("alice", 'event start "Tokyo Bridge Night" --lang ja,en,ja --tz asia/tokyo')
    start = ws.channel()[-1]
    assert "「*Tokyo Bridge Night*」を開始しました。" in start
    assert "*Tokyo Bridge Night* has started, facilitated by <@U0ALICE>." in start
    assert start.index("を開始しました") < start.index("has started")
    # Bob's Slack is English, Dave's Japanese: each is welcomed in his own language, not in both.
    await ws.command("bob", "join --org LinkedIn")
    assert ws.whispers("bob")[-1].startswith("Welcome to *Tokyo Bridge Night*")
    assert not JAPANESE.search(ws.whispers("bob")[-1].replace("Tokyo Bridge Night", ""))
    await ws.command("dave", "join --org 富士通")
    assert "ようこそ" in ws.whispers("dave")[-1] and "Welcome" not in ws.whispers("dave")[-1]

    await ws.command("alice", "turns --order given --minutes 1")
    floor = [text for text in ws.channel() if "has the floor" in text][-1]
    assert "<@U0BOB> さんの番です。" in floor and "<@U0BOB> has the floor until" in floor
    assert "次の人へ / Next" in labels(ws)
    assert all(len(label) <= 75 for label in labels(ws))
    assert ws.slack.calls_to("chat.postMessage", ok=False) == []
    await ws.click("bob", "次の人へ / Next")
    assert any("<@U0DAVE> さんの番です。" in text for text in ws.channel())

    await ws.command("alice", "event end confirm")  # a round is live: confirmed at once
    end = ws.channel()[-1]
    assert "「*Tokyo Bridge Night*」が終わりました。" in end and "*Tokyo Bridge Night* has ended." in end
