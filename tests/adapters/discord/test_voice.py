"""`turns --voice --mute-others` on Discord: everyone but the speaker is server-muted in the round's voice
channel, and exactly those the bot muted are unmuted when the round ends, is stopped, or the bot restarts;
someone muted by a moderator beforehand is never touched."""

from __future__ import annotations

from sqlmodel import select

from adapters.discord.mutes import VoiceMute
from bot.steps.models import StepRun
from tests.fakes.discord_world import GUILD_ID, PEOPLE, DiscordWorld

MUTE = {"mute-others": True}


async def setup_room(world: DiscordWorld) -> None:
    """alice facilitates; bob and carol join; all three are in voice, with dan, whom a moderator muted."""
    await world.command("alice", "event start", name="Yorimichi")
    for person in ("bob", "carol"):
        await world.command(person, "join")
    for person in ("alice", "bob", "carol"):
        world.join_voice(person)
    world.join_voice("dan", mute=True)


def muted(world: DiscordWorld) -> set[str]:
    return {who for who, user_id in PEOPLE.items() if world.rest.muted(GUILD_ID, user_id)}


def edits(world: DiscordWorld, who: str) -> list[bool]:
    return world.rest.mute_edits(PEOPLE[who])


async def rows(world: DiscordWorld) -> list[VoiceMute]:
    async with world.app.store.session() as session:
        return list((await session.exec(select(VoiceMute))).all())


async def start_round(world: DiscordWorld) -> None:
    people = f"<@{PEOPLE['bob']}> <@{PEOPLE['carol']}>"
    await world.command("alice", "turns start", people=people, order="given", minutes="3", **MUTE)


async def test_the_floor_mutes_everyone_but_the_speaker_and_unmutes_exactly_them(world: DiscordWorld):
    await setup_room(world)
    await start_round(world)
    assert muted(world) == {"carol", "alice", "dan"}
    assert edits(world, "bob") == [] and edits(world, "dan") == []

    await world.wait(minutes=3)  # carol's turn: she is unmuted, bob muted
    assert muted(world) == {"bob", "alice", "dan"}
    assert edits(world, "carol") == [True, False] and edits(world, "bob") == [True]
    assert {(r.user_id, r.round_ref.startswith("turns:")) for r in await rows(world)} == {
        (str(PEOPLE["bob"]), True),
        (str(PEOPLE["alice"]), True),
    }

    await world.command("alice", "turns stop")
    assert muted(world) == {"dan"}  # the moderator's mute stays
    assert edits(world, "dan") == []
    assert edits(world, "bob") == [True, False] and edits(world, "alice") == [True, False]
    assert await rows(world) == []


async def test_voice_takes_the_speakers_and_mutes_others_until_the_round_is_over(world: DiscordWorld):
    await setup_room(world)
    world.join_voice("dan")  # nobody's mute this time: dan speaks too
    await world.command("dan", "join")
    await world.command("alice", "turns start", voice=True, order="given", minutes="1", **MUTE)
    [first] = [w for w in ("alice", "bob", "carol", "dan") if w not in muted(world)]
    assert len(muted(world)) == 3
    await world.wait(minutes=4)
    assert any("The round is over" in t for t in world.channel_texts())
    assert muted(world) == set()
    assert await rows(world) == []
    assert edits(world, first) == [True, False]


async def test_a_restart_mid_round_carries_on_and_unmutes_exactly_those_it_muted(world: DiscordWorld):
    await setup_room(world)
    await start_round(world)
    assert muted(world) == {"carol", "alice", "dan"}

    await world.restart()  # Discord keeps the mutes; the bot remembers whose they are
    assert muted(world) == {"carol", "alice", "dan"}
    await world.wait(minutes=3)
    assert muted(world) == {"bob", "alice", "dan"}
    await world.wait(minutes=3)  # carol's time is up: the round is over
    assert any("The round is over" in t for t in world.channel_texts())
    assert muted(world) == {"dan"}
    assert edits(world, "dan") == []
    assert await rows(world) == []


async def test_a_round_that_ended_while_the_bot_was_down_is_unmuted_at_start_up(world: DiscordWorld):
    await setup_room(world)
    await start_round(world)
    assert muted(world) == {"carol", "alice", "dan"}
    async with world.app.store.session() as session:  # ended elsewhere while this bot was away
        run = (await session.exec(select(StepRun))).one()
        run.status = "stopped"
        await session.commit()

    await world.restart()
    assert muted(world) == {"dan"}
    assert edits(world, "dan") == []
    assert await rows(world) == []


async def test_someone_out_of_voice_at_the_end_is_unmuted_when_they_come_back(world: DiscordWorld):
    await setup_room(world)
    await start_round(world)
    world.join_voice("carol", None)  # carol leaves voice, still server-muted
    await world.settle()
    await world.command("alice", "turns stop")
    assert [r.user_id for r in await rows(world)] == [str(PEOPLE["carol"])]  # Discord can't unmute her yet
    world.join_voice("carol", mute=True)
    await world.settle()
    assert "carol" not in muted(world)
    assert await rows(world) == []


async def test_without_mute_members_the_channel_is_told_once_and_the_round_runs(world: DiscordWorld):
    await setup_room(world)
    world.grant(mute_members=False)
    await start_round(world)
    await world.wait(minutes=3)
    told = [t for t in world.channel_texts() if "Mute Members" in t]
    assert len(told) == 1
    assert any(f"<@{PEOPLE['carol']}> has the floor" in t for t in world.channel_texts())
    assert muted(world) == {"dan"}
    assert await rows(world) == []


async def test_a_mute_discord_refuses_is_told_once_and_the_round_runs(world: DiscordWorld):
    """The role may allow it while Discord still refuses (a channel override, a higher role): 403."""
    await setup_room(world)
    world.rest.mute_allowed = False
    await start_round(world)
    await world.wait(minutes=3)
    assert len([t for t in world.channel_texts() if "Mute Members" in t]) == 1
    assert any(f"<@{PEOPLE['carol']}> has the floor" in t for t in world.channel_texts())
    assert muted(world) == {"dan"}
    assert await rows(world) == []
    await world.command("alice", "turns stop")
    assert muted(world) == {"dan"} and edits(world, "dan") == []


async def test_someone_joining_the_room_mid_turn_is_muted_and_unmuted_at_the_end(world: DiscordWorld):
    await world.command("alice", "event start", name="Yorimichi")
    for person in ("bob", "carol"):
        await world.command(person, "join")
    for person in ("alice", "bob", "carol"):
        world.join_voice(person)
    await start_round(world)
    assert muted(world) == {"carol", "alice"}
    world.join_voice("dan")  # arrives during bob's turn
    await world.settle()
    assert muted(world) == {"carol", "alice", "dan"}
    await world.command("alice", "turns stop")
    assert muted(world) == set()
    assert edits(world, "dan") == [True, False]
    assert await rows(world) == []


async def stored(world: DiscordWorld) -> list[bytes]:
    """Every value of every table, as bytes (tests/rituals/barriers_support.py reads them the same way)."""
    from sqlalchemy import text
    from sqlmodel import SQLModel

    import bot.store.tables  # noqa: F401  (every table registered)

    values = []
    async with world.app.store.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in await connection.execute(text(f'SELECT * FROM "{table.name}"')):
                values += [str(v).encode() for v in row if v is not None]
    return values


async def test_forget_me_mid_round_lifts_the_bots_mute_and_no_table_names_them(world: DiscordWorld):
    """carol, server-muted while bob speaks, runs forget-me: she is unmuted at once, her voice_mute row
    (and every other row naming her) is gone, and the round's later turns leave her unmuted."""
    await world.command("alice", "event start", name="Yorimichi")
    for person in ("bob", "carol", "dan"):
        await world.command(person, "join")
        world.join_voice(person)
    world.join_voice("alice")
    people = " ".join(f"<@{PEOPLE[p]}>" for p in ("bob", "carol", "dan"))
    await world.command("alice", "turns start", people=people, order="given", minutes="3", **MUTE)
    assert muted(world) == {"carol", "dan", "alice"}
    carol = str(PEOPLE["carol"]).encode()
    assert any(carol in value for value in await stored(world))  # her row, her member, her step

    answers = await world.command("carol", "forget-me", confirm="confirm")
    assert any("deleted" in a.text() for a in answers)  # what she reads: everything about her is gone
    assert muted(world) == {"dan", "alice"}
    assert edits(world, "carol") == [True, False]
    assert [row for row in await rows(world) if row.user_id == str(PEOPLE["carol"])] == []
    assert not [value for value in await stored(world) if carol in value]

    await world.wait(minutes=3)  # her turn is dropped: dan speaks next; carol, still in the room, is spared
    assert muted(world) == {"bob", "alice"}
    assert edits(world, "carol") == [True, False]
    assert not [value for value in await stored(world) if carol in value]
    await world.wait(minutes=3)
    assert muted(world) == set()
    assert await rows(world) == []
