"""A round of turns and a one-on-one on Discord: the floor passes by timer and by button, clock times stay
Discord timestamps, and a pair's one-on-one runs in one private thread from start to finish."""

from __future__ import annotations

from tests.fakes.discord_world import MAIN_ID, PEOPLE, DiscordWorld


def floor_of(world: DiscordWorld, who: str):
    return [s for s in world.rest.in_channel(MAIN_ID) if f"<@{PEOPLE[who]}> has the floor" in s.text()]


async def test_a_round_of_turns_hands_the_floor_on_by_timer_and_by_button(world: DiscordWorld):
    await world.command("alice", "event start", name="Yorimichi")
    for person in ("bob", "carol"):
        await world.command(person, "join")
    speakers = f"<@{PEOPLE['bob']}> <@{PEOPLE['carol']}>"
    await world.command("alice", "turns start", people=speakers, order="given", minutes="3")
    [bob_floor] = floor_of(world, "bob")
    assert "until <t:" in bob_floor.text()  # each reader sees the time in their own zone
    assert any(":done:" in custom_id for custom_id in bob_floor.custom_ids())

    await world.wait(minutes=3)  # the virtual clock: no sleeping
    [carol_floor] = floor_of(world, "carol")
    [done] = [custom_id for custom_id in carol_floor.custom_ids() if ":done:" in custom_id]
    await world.press("carol", done)
    texts = world.channel_texts()
    assert any(f"<@{PEOPLE['carol']}> has finished" in t for t in texts)
    assert any("The round is over" in t for t in texts)


async def test_a_one_on_one_runs_in_one_private_thread(world: DiscordWorld):
    await world.command("alice", "event start", name="Yorimichi")
    await world.command("bob", "join")
    answers = await world.command("alice", "oneonone start", partner="@bob")
    assert any("opened a one-on-one" in a.text() and a.ephemeral for a in answers)
    await world.wait(minutes=4)
    [thread_id] = world.rest.threads
    assert sorted(world.rest.thread_members[thread_id]) == sorted([PEOPLE["alice"], PEOPLE["bob"]])
    texts = [s.text() for s in world.rest.in_channel(thread_id)]
    assert any("what's been on your mind" in t for t in texts)
    assert any("Time's up" in t for t in texts)
    assert not any("what's been on your mind" in t for t in world.channel_texts())


async def test_voice_takes_the_speakers_from_the_callers_voice_channel(world: DiscordWorld):
    await world.command("alice", "event start", name="Yorimichi")
    for person in ("bob", "carol"):
        await world.command(person, "join")
        world.join_voice(person)
    world.join_voice("alice")
    await world.command("alice", "turns start", voice=True, order="given")
    bob, carol, alice = (f"<@{PEOPLE[p]}>" for p in ("bob", "carol", "alice"))
    voice_order = f"{bob}, {carol} and {alice}"
    assert any("3 speakers" in t and f"Order: {voice_order}." in t for t in world.channel_texts())
    assert floor_of(world, "bob")


async def test_voice_without_a_voice_channel_says_so_and_starts_nothing(world: DiscordWorld):
    await world.command("alice", "event start", name="Yorimichi")
    answers = await world.command("alice", "turns start", voice=True)
    [answer] = answers
    assert answer.kind == "message" and answer.ephemeral and "voice channel" in answer.text()
    assert not any("has the floor" in t for t in world.channel_texts())
