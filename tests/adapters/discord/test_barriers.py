"""The anonymous barrier board on Discord: sharing leaves no trace in the channel, the form is a modal
with a select, and the board message is edited in place as cards come in."""

from __future__ import annotations

from tests.fakes.discord_world import MAIN_ID, DiscordWorld


async def test_barriers_are_shared_anonymously_and_the_board_updates_in_place(world: DiscordWorld):
    await world.command("alice", "event start", name="Yorimichi")
    for person in ("bob", "carol"):
        await world.command(person, "join")
    await world.command("alice", "barriers open", min=2)
    [board] = [s for s in world.rest.in_channel(MAIN_ID) if "Cards in: 0" in s.text()]
    [share_button] = [c for c in board.custom_ids() if c.startswith("barriers:form:")]

    # By command: only bob sees the answer; the words never reach the channel.
    answers = await world.command(
        "bob", "barriers share", text="I am afraid to look foolish", category="fear"
    )
    assert any(a.ephemeral and "Your card is in" in a.text() for a in answers)
    assert all(a.ephemeral for a in answers if a.kind == "followup")
    assert not any("afraid" in t for t in world.channel_texts())

    # By form: a modal with a text input and a category select, then a private answer.
    [modal] = await world.press("carol", share_button)
    assert modal.kind == "modal"
    kinds = [c["component"]["type"] for c in modal.data["components"]]
    assert kinds == [4, 3]  # a paragraph and a select
    answers = await world.submit(
        "carol",
        modal.data["custom_id"],
        {"text": "Nobody here talks about loneliness", "category": ["taboo"]},
    )
    assert any("Your card is in (Taboo and stigma)" in a.text() for a in answers)

    # The board's count moves on its one-minute grid: the same message is edited, not a new one posted.
    await world.wait(minutes=2)
    assert board.edits and "Cards in: 2" in board.text()
    assert not any("loneliness" in t for t in world.channel_texts())

    # Revealed together, shuffled, with nobody's name.
    await world.command("alice", "barriers reveal")
    cards = [t for t in world.channel_texts() if "afraid to look foolish" in t or "loneliness" in t]
    assert cards and "afraid to look foolish" in "".join(cards) and "loneliness" in "".join(cards)
    for text in cards:
        assert world.mention("bob") not in text and world.mention("carol") not in text
