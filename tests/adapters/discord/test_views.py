"""Rendered specs become discord.py objects whose payloads are what Discord accepts."""

from __future__ import annotations

from adapters.discord import views
from adapters.discord.render import render_form, render_message
from bot.actions import Button, Choice, Field, Form, Input, Message


async def test_buttons_become_persistent_rows_of_core_buttons():
    [out] = render_message(
        Message("Pick", buttons=tuple(Button(f"B{n}", f"x:y:{n}", "danger") for n in range(7)))
    )
    kwargs = views.send_kwargs(out)
    view = kwargs["view"]
    assert view.timeout is None and view.is_persistent()
    rows = view.to_components()
    assert [len(row["components"]) for row in rows] == [5, 2]
    assert rows[0]["components"][0] | {"disabled": False} == {
        "type": 2,
        "style": 4,
        "label": "B0",
        "custom_id": "x:y:0",
        "disabled": False,
    }
    assert all(isinstance(item, views.CoreButton) for item in view.children)


async def test_a_message_without_buttons_has_no_view_and_never_pings_everyone():
    [out] = render_message(Message("@everyone hello", title="T", fields=(Field("a", "b"),)))
    kwargs = views.send_kwargs(out)
    assert "view" not in kwargs
    assert kwargs["embeds"][0].to_dict()["fields"] == [{"name": "a", "value": "b", "inline": False}]
    mentions = kwargs["allowed_mentions"].to_dict()
    assert mentions["parse"] == [] and not mentions.get("users")  # nobody: the bot mentioned nobody


async def test_only_the_people_the_bot_mentions_may_be_pinged():
    [out] = render_message(Message("<@930000000000000002>, your turn"))
    mentions = views.send_kwargs(out)["allowed_mentions"].to_dict()
    assert mentions["parse"] == [] and mentions["users"] == [930000000000000002]


async def test_a_form_becomes_a_modal_of_labelled_inputs_with_the_initial_choice_selected():
    form = Form(
        "barriers:share:7",
        "Share anonymously",
        (
            Input("text", "Your barrier", "paragraph", max_length=2000, placeholder="What makes it hard?"),
            Input(
                "category",
                "Kind",
                "select",
                (Choice("fear", "Fear"), Choice("taboo", "Taboo")),
                False,
                initial="taboo",
            ),
        ),
        "Share",
    )
    modal = views.modal(render_form(form))
    payload = modal.to_dict()
    assert payload["custom_id"] == "barriers:share:7" and payload["title"] == "Share anonymously"
    text, select = (c["component"] for c in payload["components"])
    assert text["type"] == 4 and text["style"] == 2 and text["max_length"] == 2000
    assert select["type"] == 3 and [o.get("default", False) for o in select["options"]] == [False, True]
    assert select["min_values"] == 0
