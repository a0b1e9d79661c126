"""A timed talk in small groups on Discord: each group talks in its own private thread beside the event's
channel (only its members added), with buttons naming its own run; another group's member is refused,
and the channel hears only the start and the call back."""

from __future__ import annotations

from types import SimpleNamespace

import discord
from discord.ext.test import backend

from tests.fakes.discord_world import MAIN_ID, PEOPLE, DiscordWorld

MORE = {"erin": 930_000_000_000_000_005, "frank": 930_000_000_000_000_006}


def add_people(world: DiscordWorld) -> None:
    for name, user_id in MORE.items():
        world.users[name] = backend.make_user(name, 1, id_num=user_id)
        world.rest.add_user(world.users[name])


def thread(world: DiscordWorld, thread_id: int) -> SimpleNamespace:
    """Where a press or a command in the private thread comes from, as the interaction names it."""
    raw = dict(world.rest.threads[thread_id])
    return SimpleNamespace(id=thread_id, type=discord.ChannelType.private_thread, raw=raw)


def texts(world: DiscordWorld, thread_id: int) -> list[str]:
    return [s.text() for s in world.rest.in_channel(thread_id)]


def custom_ids(world: DiscordWorld, thread_id: int) -> set[str]:
    return {cid for s in world.rest.in_channel(thread_id) for cid in s.custom_ids()}


async def test_every_group_talks_in_its_own_private_thread_with_its_own_buttons(world: DiscordWorld):
    add_people(world)
    ids = {**PEOPLE, **MORE}
    await world.command("alice", "event start", name="Yorimichi")
    for person in ("bob", "carol", "dan", "erin", "frank"):
        await world.command(person, "join")
    await world.command("alice", "pairs start", talk="2m")

    threads = {tid: set(members) for tid, members in world.rest.thread_members.items()}
    assert sorted(len(m) for m in threads.values()) == [2, 3]  # five people: a pair and a trio
    assert all(world.rest.threads[tid]["parent_id"] == str(MAIN_ID) for tid in threads)
    assert all(world.rest.threads[tid]["type"] == discord.ChannelType.private_thread.value for tid in threads)
    channel = "\n".join(world.channel_texts())
    assert "Timed talk in 2 groups: each person has 2 min" in channel
    assert "has the floor" not in channel

    pair = next(tid for tid, m in threads.items() if len(m) == 2)
    trio = next(tid for tid in threads if tid != pair)
    for tid in threads:
        said = "\n".join(texts(world, tid))
        assert "Timed talk, 2 min each" in said and "has the floor until <t:" in said
        others = set().union(*(m for t, m in threads.items() if t != tid))
        assert not any(f"<@{user}>" in said.split("Timed talk", 1)[1] for user in others)
    assert not custom_ids(world, pair) & custom_ids(world, trio)  # each group's own buttons

    # The pair's Next, pressed by someone in the trio: refused, and the pair's thread hears nothing.
    [pair_next] = [cid for cid in custom_ids(world, pair) if cid.startswith("talk:next:")]
    outsider = next(name for name, user in ids.items() if user in threads[trio])
    before = len(texts(world, pair))
    answers = await world.press(outsider, pair_next, channel=thread(world, pair))
    assert any("These buttons belong to another group's talk" in a.text() and a.ephemeral for a in answers)
    assert len(texts(world, pair)) == before

    # Someone in the pair who does not have the floor hands it on: only the pair's thread moves.
    first = texts(world, pair)[-1].split("<@", 1)[1].split(">", 1)[0]  # "Order: <@first>, …" comes first
    listener = next(name for name, user in ids.items() if user in threads[pair] and str(user) != first)
    trio_before = len(texts(world, trio))
    await world.press(listener, pair_next, channel=thread(world, pair))
    assert "The floor moves on." in texts(world, pair)[-1]
    assert len(texts(world, trio)) == trio_before

    # Typed in the thread, a control finds the caller's own group.
    trio_member = next(name for name, user in ids.items() if user in threads[trio])
    await world.command(trio_member, "talk pause", channel=thread(world, trio))
    assert "Paused by" in texts(world, trio)[-1]
    await world.command(trio_member, "talk resume", channel=thread(world, trio))
    assert "Resumed by" in texts(world, trio)[-1]

    await world.wait(minutes=1, seconds=30)
    assert any(t.endswith("30 seconds left.") for t in texts(world, trio))
    await world.wait(minutes=5)
    assert any("Yours was the last group" in t for t in texts(world, trio))
    assert [t for t in world.channel_texts() if "Time to come back" in t] == [
        "Every group has finished its talk. Time to come back, everyone!"
    ]
    assert len(world.rest.threads) == 2  # the introduction and the talk share each group's thread
