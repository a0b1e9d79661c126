"""After the workshop, on Discord: nudges arrive by DM with buttons that work from the DM, a thank-you
note goes through a modal, and a person with DMs closed is mentioned in the event's channel instead —
once, with the refusal recorded by the core and nothing retried."""

from __future__ import annotations

from tests.fakes.discord_world import GUILD_ID, MAIN_ID, PEOPLE, DiscordWorld


async def workshop_that_ended(world: DiscordWorld) -> None:
    await world.command("alice", "event start", name="Yorimichi", tz="Asia/Tokyo")
    for person in ("bob", "carol"):
        await world.command(person, "join")
    await world.command("alice", "connections add", people=f"<@{PEOPLE['bob']}> <@{PEOPLE['carol']}>")
    await world.command("alice", "event end")


def dm_buttons(world: DiscordWorld, who: str) -> dict[str, str]:
    """label -> custom_id of the buttons in `who`'s DMs."""
    found = {}
    for sent in world.rest.dms_to(PEOPLE[who]):
        for row in sent.payload.get("components", []):
            for button in row["components"]:
                found[button["label"]] = button["custom_id"]
    return found


async def test_a_thank_you_nudge_by_dm_leads_to_a_note_through_a_modal(world: DiscordWorld):
    await workshop_that_ended(world)
    await world.wait(days=1)
    [nudge] = [s for s in world.rest.dms_to(PEOPLE["bob"]) if "You met" in s.text()]
    assert f"<@{PEOPLE['carol']}>" in nudge.text()
    buttons = dm_buttons(world, "bob")
    thank = next(custom_id for label, custom_id in buttons.items() if label.startswith("Thank"))
    assert thank.startswith(f"g{GUILD_ID}|nudges:")  # pressed in a DM, it still names the guild

    [modal] = await world.press("bob", thank, dm=True)
    assert modal.kind == "modal" and modal.data["custom_id"].startswith(f"g{GUILD_ID}|")
    [note_input] = [c["component"]["custom_id"] for c in modal.data["components"]]
    answers = await world.submit_in_dm(
        "bob", modal.data["custom_id"], {note_input: "Thank you for the talk!"}
    )
    assert any(a.ephemeral and "Sent to" in a.text() for a in answers)
    [note] = [s for s in world.rest.dms_to(PEOPLE["carol"]) if "Thank you for the talk!" in s.text()]
    assert f"<@{PEOPLE['bob']}>" in note.text()


async def test_a_nudge_to_someone_with_dms_closed_falls_back_to_the_channel_once(world: DiscordWorld):
    world.rest.refuse_dms.add(PEOPLE["carol"])
    await workshop_that_ended(world)
    await world.wait(days=3)
    assert world.rest.refused == [PEOPLE["carol"]]  # one attempt, no retries on later sweeps
    fallbacks = [t for t in world.channel_texts(MAIN_ID) if t.startswith(f"<@{PEOPLE['carol']}>")]
    assert len(fallbacks) == 1 and "You met" in fallbacks[0]
    assert any("You met" in s.text() for s in world.rest.dms_to(PEOPLE["bob"]))
