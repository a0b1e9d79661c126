"""A timed talk in small groups through Slack: each group talks in its own group DM (conversations.open),
with buttons that only its members (and a facilitator) can use, and nothing of one group reaches another."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.db

PEOPLE = (
    ("bob", "Fujitsu", "Tokyo"),
    ("carol", "LinkedIn", "Osaka"),
    ("dave", "Fujitsu", "Osaka"),
    ("erin", "NPO", "Fukuoka"),
    ("frank", "City", "Tokyo"),
)


def action_ids(ws, channel: str) -> set[str]:
    return {
        element["action_id"]
        for message in ws.slack.messages[channel]
        for block in message.get("blocks") or []
        for element in block.get("elements") or []
        if element.get("type") == "button"
    }


async def test_every_group_talks_in_its_own_slack_group_dm_with_its_own_buttons(bot):
    app, ws = bot
    await ws.command("alice", 'event start "Yorimichi January" --lang en')
    for name, org, region in PEOPLE:
        if name not in ws.ids:
            ws.person(name)
        await ws.command(name, f"join --org {org} --region {region} --languages en")
    await ws.command("alice", "pairs --talk 2m")

    groups = [c.args["users"].split(",") for c in ws.slack.calls_to("conversations.open", ok=True)]
    assert sorted(len(g) for g in groups) == [2, 3]  # five people: a pair and a trio
    rooms = {ws.slack.dm_channel(*group): set(group) for group in groups}
    assert len(rooms) == 2 and None not in rooms
    channel = "\n".join(ws.channel())
    assert "Timed talk in 2 groups: each person has 2 min" in channel
    assert "has the floor" not in channel  # the turns are the groups' own business

    buttons = {room: action_ids(ws, room) for room in rooms}
    for room in rooms:
        talk = "\n".join(ws.slack.texts(room))
        assert "Timed talk, 2 min each" in talk and "has the floor until" in talk
        assert "[Done]\n[Next]\n[Pause]" in talk
        others = set().union(*(m for r, m in rooms.items() if r != room))
        assert not any(f"<@{user}>" in talk.split("Timed talk", 1)[1] for user in others)
        # Its buttons name its own run: none is shared with the other group's.
        assert buttons[room] and not buttons[room] & set().union(
            *(b for r, b in buttons.items() if r != room)
        )

    # Someone from the other group clicks this group's Next: refused, and nothing moves here.
    pair = next(room for room, members in rooms.items() if len(members) == 2)
    trio = next(room for room in rooms if room != pair)
    outsider = next(name for name, user in ws.ids.items() if user in rooms[trio])
    before = len(ws.slack.messages[pair])
    await ws.click(outsider, "Next", channel=pair)
    assert ws.whispers(outsider)[-1] == "These buttons belong to another group's talk, so nothing happened."
    assert len(ws.slack.messages[pair]) == before

    # A member's Next moves their own group on, in their own group DM only.
    listener = next(
        name for name, user in ws.ids.items() if user in rooms[pair] and user != groups_first(ws, pair)
    )
    trio_before = len(ws.slack.messages[trio])
    await ws.click(listener, "Next", channel=pair)
    assert "The floor moves on." in ws.slack.texts(pair)[-1]
    assert len(ws.slack.messages[trio]) == trio_before
    # A facilitator outside both groups may move a group on too.
    await ws.click("alice", "Pause", channel=trio)
    assert "Paused by <@U0ALICE>" in ws.slack.texts(trio)[-1]
    assert ws.slack.texts(trio)[-1].endswith("[Resume]")
    await ws.click("alice", "Resume", channel=trio)

    # The warnings and hand-offs come on time in each group DM; the channel is called back once.
    await ws.wait(app, minutes=1, seconds=30)
    assert any(text.endswith("30 seconds left.") for text in ws.slack.texts(trio))
    await ws.wait(app, minutes=5)
    assert "Yours was the last group" in "\n".join(ws.slack.texts(trio))
    assert [t for t in ws.channel() if "Time to come back" in t] == [
        "Every group has finished its talk. Time to come back, everyone!"
    ]
    assert len(ws.slack.calls_to("conversations.open", ok=True)) >= 2
    assert {c.args["users"] for c in ws.slack.calls_to("conversations.open")} == {",".join(g) for g in groups}
    assert all(call.ok for call in ws.slack.calls), [c for c in ws.slack.calls if not c.ok]


def groups_first(ws, room: str) -> str:
    """The user who has the floor first in `room`: the first one the opening's order names."""
    opening = next(t for t in ws.slack.texts(room) if "Order:" in t)
    order = opening.split("Order:", 1)[1]
    return order.split("<@", 1)[1].split(">", 1)[0]
