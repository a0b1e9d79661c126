"""The room's safety nets through Discord: a handover accepted from the DM's button, and an end that asks
first while a round is live (the real discord.py bot, core and database; Discord faked locally)."""

from __future__ import annotations

from tests.fakes.discord_world import PEOPLE, DiscordWorld


async def test_a_handover_is_accepted_from_the_dm_button(world: DiscordWorld):
    await world.command("alice", "event start", name="Yorimichi January")
    await world.command("bob", "join", org="Fujitsu")
    answers = await world.command("alice", "handover start", user="@bob")
    assert any("I've asked" in a.text() and a.ephemeral for a in answers if a.kind == "followup")

    [offer] = world.rest.dms_to(PEOPLE["bob"])
    assert f"{world.mention('alice')} would like to hand **Yorimichi January** over to you." in offer.text()
    accept, decline = offer.custom_ids()
    # A DM's buttons carry the guild they belong to (adapters/discord/custom_ids.py).
    assert accept.split("|")[-1].startswith("handover:accept:")
    assert decline.split("|")[-1].startswith("handover:decline:")

    # Until bob accepts, he cannot run the event.
    answers = await world.command("bob", "turns start")
    assert any("Only a facilitator" in a.text() for a in answers)

    await world.press("bob", accept, dm=True)
    assert any(
        f"{world.mention('alice')} has handed **Yorimichi January** over to {world.mention('bob')}, who accepted"
        in t
        for t in world.channel_texts()
    )
    assert offer.edits, "the DM is edited: its buttons go"
    assert "You accepted" in (offer.edits[-1].get("content") or str(offer.edits[-1]))
    assert not offer.edits[-1].get("components")

    # A second press changes nothing, and says so privately.
    answers = await world.press("bob", accept, dm=True)
    assert any("already accepted" in a.text() for a in answers)
    handed = [t for t in world.channel_texts() if "has handed" in t]
    assert len(handed) == 1

    # Both now facilitate: bob can end the event.
    await world.command("bob", "event end")
    assert any("**Yorimichi January** has ended" in t for t in world.channel_texts())


async def test_ending_with_a_live_round_asks_first(world: DiscordWorld):
    await world.command("alice", "event start", name="Yorimichi")
    for name in ("bob", "carol"):
        await world.command(name, "join")
    await world.command("alice", "turns start")
    answers = await world.command("alice", "event end")
    [question] = [a for a in answers if a.kind == "followup"]
    assert question.ephemeral and "the round of turns (speaker 1 of 2) stops" in question.text()
    assert not any("has ended" in t for t in world.channel_texts())
    confirm = next(cid for cid in question.custom_ids() if "event:end:" in cid)
    await world.press("alice", confirm)
    texts = world.channel_texts()
    assert any("The round was stopped" in t for t in texts)
    assert any("**Yorimichi** has ended" in t for t in texts)
