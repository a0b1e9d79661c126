"""What people type and the bot repeats to others (cards, event names, profile fields) reaches Slack
inert: shown as typed, never a link, a mention, a channel ping, a date token or reordered text. Checked on
the Block Kit payloads the fake Slack receives from the real adapter (bolt's HTTP handler in front)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests import hostile
from tests.fakes.slack_api import FakeSlack

pytestmark = pytest.mark.db

# A `&` that does not begin one of the three entities Slack knows: an escape cut in two.
BROKEN_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")


def sent(slack: FakeSlack) -> list[dict[str, Any]]:
    """Every message payload the adapter sent: posts, edits, ephemerals and response_url answers."""
    methods = ("chat.postMessage", "chat.update", "chat.postEphemeral")
    return [call.args for call in slack.calls if call.method in methods and call.ok] + list(slack.responses)


def mrkdwn_texts(payload: dict[str, Any]) -> list[dict[str, Any]]:
    objects = []
    for block in payload.get("blocks") or []:
        if isinstance(block.get("text"), dict) and block["text"].get("type") == "mrkdwn":
            objects.append(block["text"])
        objects.extend(f for f in block.get("fields") or [] if f.get("type") == "mrkdwn")
    return objects


def every_text(payload: dict[str, Any]) -> list[str]:
    texts = [payload.get("text") or ""]
    for block in payload.get("blocks") or []:
        if isinstance(block.get("text"), dict):
            texts.append(block["text"]["text"])
        texts.extend(f["text"] for f in block.get("fields") or [])
        texts.extend(
            e["text"]["text"] for e in block.get("elements") or [] if isinstance(e.get("text"), dict)
        )
    return texts


async def test_cards_an_event_name_and_a_profile_reach_slack_inert(bot):
    app, ws = bot
    await ws.command("alice", f'event start "{hostile.EVENT_NAME}" --lang en')
    await ws.command("bob", f'join --org "{hostile.PROFILE}"')
    for person in ("carol", "dave"):
        await ws.command(person, "join")
    await ws.command("alice", 'barriers open "What holds you back? https://evil.example <!channel>" --min 3')
    for person, words in (("bob", hostile.CARD), ("carol", hostile.LONG_WORD), ("dave", hostile.LONG_URL)):
        await ws.click(person, "Share anonymously")
        await ws.submit(person, {"text": words, "category": "fear"})
        assert ws.whispers(person)[-1].startswith(("Your card is in", "カードを受け付けました"))
    await ws.wait(app, minutes=2)
    await ws.command("alice", "barriers reveal")

    payloads = sent(ws.slack)
    everything = "\n".join(t for p in payloads for t in every_text(p))
    # Nothing anyone typed became Slack markup: no mention, broadcast, channel link, link or date token.
    for live in (
        f"<@{hostile.VICTIM}>",
        "<!here>",
        "<!channel>",
        "<#C0MAIN>",
        "<https://",
        "<!date^1767225600",
    ):
        assert live not in everything, live
    for hidden in hostile.INVISIBLE:
        assert hidden not in everything, repr(hidden)
    # Every mrkdwn text is verbatim, so Slack links no bare URL and expands no @here on its own.
    objects = [o for p in payloads for o in mrkdwn_texts(p)]
    assert objects and all(o.get("verbatim") is True for o in objects)
    # Escaped, never cut inside an escape, and shown as typed: the reveal holds each card whole.
    assert not [t for t in everything.split("\n") if BROKEN_ENTITY.search(t)]
    reveal = [p for p in payloads if any("Expectation and fear" in t for t in every_text(p))]
    shown = html.unescape("".join(o["text"] for p in reveal for o in mrkdwn_texts(p)))
    assert hostile.CARD_SHOWN.replace("**loud**", "*loud*") in shown or hostile.CARD_SHOWN in shown
    assert hostile.LONG_WORD in shown and hostile.LONG_URL in shown
    # The event's name and bob's organisation, as typed (without the override), where they appear.
    started = html.unescape(ws.channel()[0])
    assert f"<@{hostile.VICTIM}> <!here> @everyone [x](https://evil.example) evil" in started
    assert hostile.PROFILE in html.unescape(ws.whispers("bob")[0])
