"""The console prints what people typed exactly as typed, minus what hides or reorders text: a `<@x>`,
`**` or `<t:…>` inside a card, an event's name or a profile is not taken for the core's markup."""

from __future__ import annotations

import pytest

from tests import hostile
from tests.support import Chat

pytestmark = pytest.mark.db


async def test_cards_an_event_name_and_a_profile_are_printed_as_typed(chat: Chat) -> None:
    await chat.say("alice", f'/tsunagari event start "{hostile.EVENT_NAME}"')
    lines = await chat.say("bob", f'/tsunagari join --org "{hostile.PROFILE}"')
    assert any(f"Organisation: {hostile.PROFILE}" in line for line in lines), lines
    for person in ("carol", "dan"):
        await chat.say(person, "/tsunagari join")
    await chat.say("alice", "/tsunagari barriers open --min 3")
    for person, words in (("bob", hostile.CARD), ("carol", hostile.LONG_WORD), ("dan", hostile.LONG_URL)):
        await chat.click(person, "Share anonymously")
        await chat.submit(person, "Share anonymously", text=words, category="fear")
    await chat.wait(minutes=2)
    await chat.say("alice", "/tsunagari barriers reveal")
    transcript = "\n".join(chat.transcript)
    assert f"<@{hostile.VICTIM}> <!here> @everyone [x](https://evil.example) evil has started" in transcript
    assert hostile.CARD_SHOWN in transcript
    assert hostile.LONG_WORD in transcript and hostile.LONG_URL in transcript
    assert f"@{hostile.VICTIM}" not in transcript.replace(f"<@{hostile.VICTIM}>", "")  # never a mention
    for hidden in hostile.INVISIBLE:
        assert hidden not in transcript, repr(hidden)
