"""The console World's button look-up, now by label: the newest message a person can see, updates included."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.console.world import Shown, World
from bot.actions import Button, Message

NOW = datetime(2026, 1, 15, tzinfo=UTC)


def shown(world: World, audience: frozenset[str] | None, *labels: str) -> Shown:
    buttons = tuple(Button(label, f"x:{label}:{len(world.shown)}") for label in labels)
    return world.add(Shown(len(world.shown), NOW, "#main", "#main", audience, Message("m", buttons=buttons)))


def test_a_click_finds_the_newest_message_the_person_can_see_with_that_label() -> None:
    world = World()
    older = shown(world, None, "Next")
    shown(world, frozenset({"bob"}), "Next")  # bob's own: alice cannot see it
    for _ in range(50):
        shown(world, None, "Other")
    assert world.find_button("alice", "Next") == (older, older.message.buttons[0].action_id)
    assert world.find_button("bob", "Next")[0].audience == frozenset({"bob"})
    assert world.find_button("alice", "next")[0] is older, "ignoring case when nothing matches exactly"
    assert world.find_button("alice", "Missing") is None


def test_an_updated_message_is_clicked_by_its_new_buttons_only() -> None:
    world = World()
    board = shown(world, None, "Share")
    world.replace_message(board, Message("m", buttons=(Button("Reveal", "x:reveal"),)))
    assert world.find_button("alice", "Share") is None
    assert world.find_button("alice", "Reveal") == (board, "x:reveal")
