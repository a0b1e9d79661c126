"""What people type and the bot repeats to others (cards, event names, profile fields) reaches Discord
inert: shown as typed, never a masked or bare link, a mention, @everyone, a timestamp or reordered text,
and no message lets anyone be pinged but the people the bot itself mentions. Checked on what the fake
Discord HTTP and webhook endpoints receive from the real discord.py client."""

from __future__ import annotations

import re
from typing import Any

from tests import hostile
from tests.fakes.discord_world import PEOPLE, DiscordWorld

DAN = PEOPLE["dan"]
CARD = hostile.CARD + f" <@{DAN}>"  # a real member's mention, typed: it must not ping dan
LIVE = {
    "a bare or masked link": re.compile(r"https?://"),
    "a typed mention": re.compile(rf"(?<!\\)<@!?&?(?:{DAN}|{hostile.VICTIM})>"),
    "@everyone or @here": re.compile(r"(?<!\\)@(?:everyone|here)"),
    "a timestamp": re.compile(r"(?<!\\)<t:1767225600"),
    "a channel": re.compile(r"(?<!\\)<#"),
}


def texts(payload: dict[str, Any]) -> list[str]:
    found = [payload.get("content") or ""]
    for embed in payload.get("embeds") or []:
        found += [embed.get("title") or "", embed.get("description") or ""]
        for f in embed.get("fields") or []:
            found += [f["name"], f["value"]]
    return found


def payloads(world: DiscordWorld) -> list[dict[str, Any]]:
    out = []
    for sent in world.rest.sent:
        out.append(sent.payload)
        out.extend(sent.edits)
    out.extend(call.data for call in world.webhooks.messages())
    return out


def unescaped(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


async def test_cards_an_event_name_and_a_profile_reach_discord_inert(world: DiscordWorld):
    await world.command("alice", "event start", name=hostile.EVENT_NAME)
    await world.command("bob", "join", org=hostile.PROFILE)
    for person in ("carol", "dan"):
        await world.command(person, "join")
    await world.command("alice", "barriers open", prompt="Why? https://evil.example @everyone", min=3)
    for person, words in (("bob", CARD), ("carol", hostile.LONG_WORD), ("dan", hostile.LONG_URL)):
        answers = await world.command(person, "barriers share", text=words, category="fear")
        assert any("Your card is in" in a.text() for a in answers)
    await world.wait(minutes=2)
    await world.command("alice", "barriers reveal")

    sent = payloads(world)
    everything = [t for p in sent for t in texts(p)]
    for what, pattern in LIVE.items():
        assert not [t for t in everything if pattern.search(t)], what
    for hidden in hostile.INVISIBLE:
        assert not [t for t in everything if hidden in t], repr(hidden)
    # A split never leaves an escape's backslash at the end of one message and its character in the next.
    assert not [t for t in everything if (len(t) - len(t.rstrip("\\"))) % 2]
    # Pings: never @everyone, @here or a role; users only those the bot mentioned itself, never dan here.
    for payload in sent:
        allowed = payload.get("allowed_mentions")
        if allowed is not None:
            assert allowed["parse"] == [] and DAN not in allowed.get("users", [])
    # Shown as typed: the revealed cards hold each card whole, the channel the event's name.
    shown = unescaped("\n".join(world.channel_texts()))
    assert hostile.CARD_SHOWN in shown
    # The 1,000-character words (2,000 once escaped) run on from one message into the next, cut whole.
    joined = unescaped("".join(world.channel_texts()))
    assert hostile.LONG_WORD in joined and hostile.LONG_URL in joined
    assert f"<@{hostile.VICTIM}> <!here> @everyone [x](https://evil.example) evil" in shown
    profile = [
        unescaped(a.text()) for a in world.webhooks.messages() if hostile.VICTIM in unescaped(a.text())
    ]
    assert any(hostile.PROFILE in text for text in profile)
