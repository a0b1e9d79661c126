"""The Outbox side: what the core sends with no interaction to answer (timers, nudges) reaches Discord:
DMs, a refused DM falling back to a mention, group DMs as private threads, updates after a restart."""

from __future__ import annotations

import discord

from bot.actions import Attachment, Button, DirectMessage, Message, Post, Update, Upload
from tests.fakes.discord_world import GUILD_ID, MAIN_ID, PEOPLE, DiscordWorld

TENANT = f"discord:{GUILD_ID}"


def uid(name: str) -> str:
    return str(PEOPLE[name])


async def test_a_dm_reaches_the_person_with_its_buttons_carrying_the_guild(world: DiscordWorld):
    message = Message("Thank you for today", buttons=(Button("Snooze", "nudges:snooze:7"),))
    [delivery] = await world.adapter.send(TENANT, [DirectMessage((uid("bob"),), message, near=str(MAIN_ID))])
    assert delivery.status == "ok"
    [dm] = world.rest.dms_to(PEOPLE["bob"])
    assert dm.content == "Thank you for today"
    assert dm.custom_ids() == [f"g{GUILD_ID}|nudges:snooze:7"]


async def test_a_refused_dm_falls_back_to_a_mention_in_the_channel_once(world: DiscordWorld):
    world.rest.refuse_dms.add(PEOPLE["bob"])
    action = DirectMessage((uid("bob"),), Message("Your partner is Carol"), near=str(MAIN_ID))
    [delivery] = await world.adapter.send(TENANT, [action])
    assert delivery.status == "dm_refused"
    assert world.rest.refused == [PEOPLE["bob"]]  # tried once, never retried
    [fallback] = world.rest.in_channel(MAIN_ID)
    assert fallback.content.startswith(f"<@{PEOPLE['bob']}>")
    assert "Your partner is Carol" in fallback.content


async def test_a_refused_dm_without_a_channel_is_reported_not_retried(world: DiscordWorld):
    world.rest.refuse_dms.add(PEOPLE["bob"])
    [delivery] = await world.adapter.send(TENANT, [DirectMessage((uid("bob"),), Message("hello"))])
    assert delivery.status == "dm_refused"
    assert world.rest.refused == [PEOPLE["bob"]] and world.rest.sent == []


async def test_a_dm_to_someone_discord_does_not_know_is_unknown_user(world: DiscordWorld):
    [delivery] = await world.adapter.send(TENANT, [DirectMessage(("999",), Message("hello"))])
    assert delivery.status == "unknown_user"


async def test_a_group_dm_is_a_private_thread_beside_the_channel(world: DiscordWorld):
    action = DirectMessage(
        (uid("bob"), uid("carol")), Message("Meet your pair", title="Pair 1"), near=str(MAIN_ID)
    )
    [delivery] = await world.adapter.send(TENANT, [action])
    assert delivery.status == "ok"
    [(thread_id, thread)] = world.rest.threads.items()
    assert thread["parent_id"] == str(MAIN_ID) and thread["name"] == "Pair 1"
    assert thread["type"] == discord.ChannelType.private_thread.value
    assert thread["thread_metadata"]["invitable"] is False
    assert sorted(world.rest.thread_members[thread_id]) == sorted([PEOPLE["bob"], PEOPLE["carol"]])
    [sent] = world.rest.in_channel(thread_id)
    assert f"<@{PEOPLE['bob']}>" in sent.content and "Meet your pair" in sent.content


async def test_a_dm_refused_by_one_of_two_without_a_channel_reports_the_refusal(world: DiscordWorld):
    world.rest.refuse_dms.add(PEOPLE["carol"])
    action = DirectMessage((uid("bob"), uid("carol")), Message("Meet your pair"))
    [delivery] = await world.adapter.send(TENANT, [action])
    assert delivery.status == "dm_refused"
    assert len(world.rest.dms_to(PEOPLE["bob"])) == 1


async def test_an_update_after_a_restart_edits_the_message_it_names(world: DiscordWorld):
    post = Post(
        str(MAIN_ID), Message("Aiko has the floor", buttons=(Button("Next", "turns:next:1"),)), ref="turns:1"
    )
    await world.adapter.send(TENANT, [post])
    [sent] = world.rest.in_channel(MAIN_ID)

    await world.restart()

    [delivery] = await world.adapter.send(TENANT, [Update("turns:1", Message("The round is over"))])
    assert delivery.status == "ok"
    assert sent.edits and sent.payload["content"] == "The round is over"
    assert sent.payload["components"] == []  # no buttons any more


async def test_a_dm_updated_after_a_restart_keeps_buttons_that_carry_the_guild(world: DiscordWorld):
    message = Message("Nudge", buttons=(Button("Snooze", "nudges:snooze:7"),))
    dm = DirectMessage((uid("bob"),), message, near=str(MAIN_ID), ref="nudge:7")
    await world.adapter.send(TENANT, [dm])
    await world.restart()
    again = Message("Nudge, again", buttons=(Button("Snooze", "nudges:snooze:7"),))
    [delivery] = await world.adapter.send(TENANT, [Update("nudge:7", again)])
    assert delivery.status == "ok"
    [sent] = world.rest.dms_to(PEOPLE["bob"])
    assert sent.content == "Nudge, again"
    assert sent.custom_ids() == [f"g{GUILD_ID}|nudges:snooze:7"]  # a press in the DM still finds the guild


async def test_an_update_that_grows_sends_new_parts_and_one_that_shrinks_deletes_them(world: DiscordWorld):
    await world.adapter.send(TENANT, [Post(str(MAIN_ID), Message("short"), ref="board:1")])
    [first] = world.rest.in_channel(MAIN_ID)
    long_text = "\n\n".join(f"paragraph {n} " + "x" * 900 for n in range(7))
    await world.adapter.send(TENANT, [Update("board:1", Message(long_text))])
    grown = world.rest.in_channel(MAIN_ID)
    assert grown[0] is first and len(grown) == 4  # part 1 edited, parts 2-4 sent after it
    assert "".join(p.content for p in grown).count("paragraph") == 7
    await world.restart()  # the new parts' ids were stored too
    await world.adapter.send(TENANT, [Update("board:1", Message("short again"))])
    assert [p.content for p in world.rest.in_channel(MAIN_ID)] == ["short again"]
    assert world.rest.deleted == [p.message_id for p in grown[1:]]


async def test_an_update_of_an_unknown_ref_fails_quietly(world: DiscordWorld):
    [delivery] = await world.adapter.send(TENANT, [Update("turns:404", Message("x"))])
    assert delivery.status == "failed"


async def test_a_long_post_arrives_in_pieces_with_the_buttons_last(world: DiscordWorld):
    text = "\n".join(f"{n}. <@{PEOPLE['bob']}> and <@{PEOPLE['carol']}>" for n in range(120))
    await world.adapter.send(
        TENANT, [Post(str(MAIN_ID), Message(text, buttons=(Button("Done", "pairs:done:1"),)))]
    )
    pieces = world.rest.in_channel(MAIN_ID)
    assert len(pieces) >= 2 and all(len(p.content) <= 2000 for p in pieces)
    assert pieces[-1].custom_ids() == ["pairs:done:1"] and not pieces[0].custom_ids()


async def test_a_button_pressed_in_a_dm_reaches_the_guild_it_came_from(world: DiscordWorld):
    await world.command("alice", "event start", name="Yorimichi")
    [confirm] = [c for a in await world.command("bob", "forget-me") for c in a.custom_ids()]
    # The same button, sent by DM (as a nudge would be), is pressed there: no guild in the interaction.
    await world.adapter.send(
        TENANT, [DirectMessage((uid("bob"),), Message("Sure?", buttons=(Button("Forget me", confirm),)))]
    )
    [dm] = world.rest.dms_to(PEOPLE["bob"])
    [wrapped] = dm.custom_ids()
    answers = await world.press("bob", wrapped, dm=True)
    assert any("deleted" in a.text() for a in answers)


async def test_a_dm_button_that_names_no_guild_is_answered_not_guessed(world: DiscordWorld):
    answers = await world.press("bob", "people:forget:1", dm=True)
    [answer] = answers
    assert answer.kind == "message" and answer.ephemeral
    assert "inside a server" in answer.text()


async def test_without_permission_for_private_threads_a_group_dm_is_one_dm_each(world: DiscordWorld):
    world.rest.private_threads_allowed = False
    world.rest.refuse_dms.add(PEOPLE["carol"])
    action = DirectMessage((uid("bob"), uid("carol")), Message("Meet your pair"), near=str(MAIN_ID))
    [delivery] = await world.adapter.send(TENANT, [action])
    assert delivery.status == "dm_refused"
    assert world.rest.threads == {}
    assert [d.content for d in world.rest.dms_to(PEOPLE["bob"])] == ["Meet your pair"]
    [fallback] = world.rest.in_channel(MAIN_ID)
    assert fallback.content.startswith(f"<@{PEOPLE['carol']}>")


async def test_the_same_pair_keeps_one_private_thread_even_after_a_restart(world: DiscordWorld):
    pair = (uid("bob"), uid("carol"))
    await world.adapter.send(
        TENANT, [DirectMessage(pair, Message("Reflect", title="Reflect"), near=str(MAIN_ID))]
    )
    await world.adapter.send(
        TENANT, [DirectMessage(pair, Message("Bob, what's on your mind?"), near=str(MAIN_ID))]
    )
    await world.restart()
    await world.adapter.send(TENANT, [DirectMessage(pair, Message("Time's up, Bob."), near=str(MAIN_ID))])
    [thread_id] = world.rest.threads
    contents = [s.content for s in world.rest.in_channel(thread_id)]
    assert contents == [
        f"<@{PEOPLE['bob']}> <@{PEOPLE['carol']}>\nReflect",
        "Bob, what's on your mind?",
        "Time's up, Bob.",
    ]
    # Another pair beside the same channel gets a thread of its own.
    await world.adapter.send(
        TENANT, [DirectMessage((uid("alice"), uid("bob")), Message("Hi"), near=str(MAIN_ID))]
    )
    assert len(world.rest.threads) == 2


async def test_a_deleted_thread_is_opened_anew(world: DiscordWorld):
    pair = (uid("bob"), uid("carol"))
    await world.adapter.send(TENANT, [DirectMessage(pair, Message("One"), near=str(MAIN_ID))])
    [first] = world.rest.threads
    world.rest.deleted_channels.add(first)
    [delivery] = await world.adapter.send(TENANT, [DirectMessage(pair, Message("Two"), near=str(MAIN_ID))])
    assert delivery.status == "ok"
    [second] = [t for t in world.rest.threads if t != first]
    assert [s.content for s in world.rest.in_channel(second)][-1].endswith("Two")


async def test_a_429_is_waited_out_by_discord_py_and_the_message_goes_out(world: DiscordWorld):
    world.rest.too_many_requests = 2  # Discord's 429 with retry_after: discord.py sleeps and retries
    [delivery] = await world.adapter.send(TENANT, [Post(str(MAIN_ID), Message("one"))])
    assert delivery.status == "ok"
    assert [s.content for s in world.rest.in_channel(MAIN_ID)] == ["one"]
    assert len(world.rest.requests) == 3  # two refused, the third taken


async def test_a_429_that_outlasts_discord_py_s_retries_is_reported_for_the_sender_to_hold(
    world: DiscordWorld,
):
    from bot.pacing import retry_after_of

    world.rest.too_many_requests = 5  # discord.py tries five times, then gives up with the 429
    posts = [Post(str(MAIN_ID), Message("one")), Post(str(MAIN_ID), Message("two"))]
    first, second = await world.adapter.send(TENANT, posts)
    assert first.status == "failed" and retry_after_of(first.detail) == 1.0
    assert second.status == "ok"
    assert [s.content for s in world.rest.in_channel(MAIN_ID)] == ["two"]


async def test_files_reach_the_person_as_attachments_of_one_dm(world: DiscordWorld):
    """The report's charts: discord.py sends them as multipart, the way Discord takes attachments."""
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    files = (
        Attachment("funnel.png", png, "From links to relationships"),
        Attachment("board.png", png, "Board"),
    )
    [delivery] = await world.adapter.send(TENANT, [Upload((uid("alice"),), files, "The report in pictures:")])
    assert delivery.status == "ok"
    [dm] = world.rest.dms_to(PEOPLE["alice"])
    assert dm.content == "The report in pictures:"
    assert dm.files == [("funnel.png", png), ("board.png", png)]


async def test_files_for_someone_who_refuses_dms_are_reported_refused(world: DiscordWorld):
    world.rest.refuse_dms.add(PEOPLE["alice"])
    png = b"\x89PNG\r\n\x1a\n"
    [delivery] = await world.adapter.send(TENANT, [Upload((uid("alice"),), (Attachment("a.png", png, "A"),))])
    assert delivery.status == "dm_refused"
