"""The console World's button look-up, now by label: the newest message a person can see, updates included."""

from __future__ import annotations

import gc
import sys
from datetime import UTC, datetime

from adapters.console.world import Shown, World
from bot.actions import Button, Field, Form, Input, Message

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


def test_a_form_is_found_among_the_persons_own_only_the_newest_first() -> None:
    world = World()
    old = Form("f:1", "Share a barrier", (Input("card", "Card"),), "Send")
    new = Form("f:2", "Share a barrier", (Input("card", "Card"),), "Send")
    world.add(Shown(0, NOW, "bob form", "#main", frozenset({"bob"}), None, old))
    world.add(Shown(1, NOW, "bob form", "#main", frozenset({"bob"}), None, new))
    world.add(Shown(2, NOW, "carol form", "#main", frozenset({"carol"}), None, old))
    assert world.find_form("bob", "share a barrier").form == new
    assert world.find_form("carol", "Share a barrier").form == old
    assert world.find_form("dave", "Share a barrier") is None


def test_what_was_shown_reads_back_as_it_was_given() -> None:
    world = World()
    message = Message("**Board**", fields=(Field("Cards", "3"),), buttons=(Button("Me too #1", "b:1"),))
    board = world.add(Shown(0, NOW, "#main", "#main", None, message, ref="board", lines=["a", "b"]))
    assert board.message == message and board.lines == ("a", "b")
    assert world.find_button("alice", "me too #1") == (board, "b:1"), "ignoring case"


def test_a_long_session_costs_the_garbage_collector_nothing_a_message() -> None:
    """Every full collection walks all the World keeps: kept as given, each message was half a dozen
    objects (message, buttons, fields, lists, its audience), then one, and at 100 events those walks
    stalled the loop for hundreds of ms. Now the messages and their audiences are out of the collector's
    lists (reference counting still frees them), and a group's DMs share one audience."""
    world = World()
    gc.collect()
    before = len(gc.get_objects())
    for n in range(2000):
        message = Message(
            f"turn {n}",
            fields=(Field("Speaker", f"<@u{n}>"), Field("Left", "3 min")),
            buttons=(Button("Done", f"t:done:{n}"), Button("Next", f"t:next:{n}"), Button("Pause", "t:p")),
        )
        world.add(Shown(n, NOW, "DM bob+carol", "dm:bob+carol", frozenset({"bob", "carol"}), message))
    # A collection stops tracking a tuple of strings; a tuple of such tuples, once a collection finds its
    # pairs already untracked (the order it meets them in varies): a second one finishes the job.
    gc.collect()
    gc.collect()
    grown = len(gc.get_objects()) - before
    assert grown <= 50, grown
    assert len(world.audiences) == 1
    assert not gc.is_tracked(world.shown[-1]) and not gc.is_tracked(world.shown[-1].audience)
    assert world.find_button("carol", "Next") == (world.shown[-1], "t:next:1999")
    assert world.shown[-1].message.fields[0].value == "<@u1999>"


def test_a_message_out_of_the_collectors_lists_is_still_freed_when_nothing_holds_it() -> None:
    """Untracked is not immortal: when the World lets go of a message, reference counting frees it, and
    what it held with it (here, a form's title string made for this test alone)."""
    world = World()
    form = Form("f:1", "".join(["A form ", "only this test names"]), (Input("card", "Card"),), "Send")
    world.add(Shown(0, NOW, "bob form", "#main", frozenset({"bob"}), None, form))
    shown_ = world.shown[0]
    title = shown_.form_title
    assert not gc.is_tracked(shown_)
    held = sys.getrefcount(title)
    world.shown.clear()
    world.forms.clear()
    del shown_
    assert sys.getrefcount(title) == held - 1, "the Shown was freed, and with it its hold on the title"
