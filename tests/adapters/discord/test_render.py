"""Core messages and forms fit Discord's limits: split, clipped, with markup left native; plain data."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.discord.render import (
    CONTENT_MAX,
    Outgoing,
    render_form,
    render_message,
    split_text,
)
from bot.actions import Button, Choice, Field, Form, Input, Message


def within_limits(out: Outgoing) -> None:
    assert len(out.content) <= 2000
    assert out.content or out.embed or out.rows
    buttons = out.buttons()
    assert len(buttons) <= 25 and len(out.rows) <= 5
    assert all(len(row) <= 5 for row in out.rows)
    assert all(len(b.custom_id) <= 100 and len(b.label) <= 80 for b in buttons)
    if out.embed:
        assert len(out.embed.fields) <= 25
        assert len(out.embed.title or "") <= 256
        assert out.embed.size() <= 6000
        assert all(len(n) <= 256 and len(v) <= 1024 for n, v in out.embed.fields)


def test_short_message_is_one_message_with_markup_untouched():
    text = "**Aiko** has the floor until <t:1768467780:t> (<t:1768467780:R>), then <@123>"
    [out] = render_message(Message(text=text, buttons=(Button("Next", "turns:next:42", "primary"),)))
    assert out.content == text
    assert [(b.label, b.custom_id, b.style) for b in out.buttons()] == [("Next", "turns:next:42", "primary")]


def test_title_and_fields_go_in_an_embed_and_the_text_stays_in_content():
    message = Message(text="Pairs are ready", title="Round 1", fields=(Field("<@1> + <@2>", "org"),))
    [out] = render_message(message)
    assert out.content == "Pairs are ready"
    assert out.embed.title == "Round 1"
    assert out.embed.fields == (("<@1> + <@2>", "org"),)


def test_long_text_splits_on_lines_and_keeps_every_word():
    lines = [f"line {n} <@{n}> at <t:17684677{n:02d}:t>" for n in range(200)]
    outs = render_message(Message(text="\n".join(lines), buttons=(Button("Done", "turns:done:1"),)))
    assert len(outs) > 1
    for out in outs:
        within_limits(out)
    assert "\n".join(o.content for o in outs).split("\n") == lines
    assert outs[-1].buttons() and not any(o.buttons() for o in outs[:-1])


def test_a_cut_never_falls_inside_a_mention_or_a_timestamp():
    text = ("x" * 1990) + " <@123456789012345678> <t:1768467780:R>"
    first, second = split_text(text)
    assert first == "x" * 1990
    assert second == "<@123456789012345678> <t:1768467780:R>"


def test_bold_cut_in_two_is_closed_and_reopened():
    text = "**" + "word " * 600 + "**"
    pieces = split_text(text)
    assert len(pieces) == 2
    assert all(p.startswith("**") and p.endswith("**") for p in pieces)
    assert all(len(p) <= CONTENT_MAX for p in pieces)


def test_thirty_buttons_make_two_messages_of_rows_of_five():
    buttons = tuple(Button(f"B{n}", f"pairs:pick:{n}") for n in range(30))
    outs = render_message(Message(text="Pick", buttons=buttons))
    assert [len(o.buttons()) for o in outs] == [25, 5]
    assert outs[0].content == "Pick"
    for out in outs:
        within_limits(out)


def test_forty_fields_make_two_embeds():
    fields = tuple(Field(f"name {n}", "v" * 100) for n in range(40))
    outs = render_message(Message(text="", title="Report", fields=fields))
    assert [len(o.embed.fields) for o in outs] == [25, 15]
    assert outs[0].embed.title == "Report" and outs[1].embed.title is None


def test_huge_fields_stay_under_the_embed_total():
    fields = tuple(Field("n" * 300, "v" * 2000) for _ in range(10))
    outs = render_message(Message(text="t", title="T", fields=fields))
    for out in outs:
        within_limits(out)
    assert sum(len(o.embed.fields) for o in outs) == 10


def test_dm_buttons_carry_the_guild():
    [out] = render_message(Message(text="hi", buttons=(Button("Snooze", "nudges:snooze:9"),)), guild_id=42)
    assert out.buttons()[0].custom_id == "g42|nudges:snooze:9"


def test_empty_message_still_sends_something():
    [out] = render_message(Message(text=""))
    assert out.content


@given(
    text=st.lists(
        st.sampled_from(["a", "bb ", " ", "\n", "**", "<@42>", "<t:1768467780:R>", "x" * 700]), max_size=60
    ).map("".join),
    buttons=st.integers(0, 60),
    fields=st.integers(0, 60),
)
def test_every_message_renders_within_limits(text, buttons, fields):
    message = Message(
        text=text,
        title="T" * 300 if fields % 2 else None,
        fields=tuple(Field("f" * (fields * 7), "v" * (fields * 30)) for _ in range(fields)),
        buttons=tuple(Button("L" * buttons * 2, f"x:y:{n}") for n in range(buttons)),
    )
    outs = render_message(message, guild_id=123456789012345678)
    for out in outs:
        within_limits(out)
    assert sum(len(o.buttons()) for o in outs) == buttons
    assert sum(len(o.embed.fields) for o in outs if o.embed) == fields


def test_form_fits_a_modal():
    form = Form(
        form_id="barriers:share:7",
        title="Share a barrier that makes connection hard for you",
        inputs=tuple(Input(f"i{n}", "Label " * 20, placeholder="p" * 300) for n in range(5)),
        submit_label="Share",
    )
    modal = render_form(form, guild_id=42)
    assert len(modal.title) <= 45
    assert len(modal.inputs) == 5
    assert all(len(i.label) <= 45 and len(i.placeholder) <= 100 for i in modal.inputs)
    assert modal.custom_id == "g42|barriers:share:7"


def test_the_core_never_builds_a_form_a_modal_cannot_hold():
    with pytest.raises(ValueError, match="1 to 5 inputs, not 6"):
        Form("barriers:share:7", "Share", tuple(Input(f"i{n}", "L") for n in range(6)), "Share")


def test_form_select_keeps_its_choices():
    form = Form(
        "barriers:share:7",
        "Share",
        (Input("category", "Category", "select", (Choice("fear", "Expectation and fear"),)),),
        "Share",
    )
    [category] = render_form(form).inputs
    assert category.kind == "select" and category.choices == (("fear", "Expectation and fear"),)


def test_every_sentence_in_the_catalog_renders_within_limits():
    from bot.i18n import LANGUAGES, Catalog

    catalog = Catalog.load()
    checked = 0
    for lang in LANGUAGES:
        for key in catalog.keys(lang):
            value = catalog.raw(lang, key)
            if not isinstance(value, str):
                continue
            long_names = {
                name: "<@123456789012345678> " * 20 for name in ("name", "user", "users", "facilitator")
            }
            text = value
            for name, filler in long_names.items():
                text = text.replace("{" + name + "}", filler)
            outs = render_message(
                Message(text, title=value[:300], buttons=(Button(value[:200] or "x", "core:x:1"),)),
                guild_id=1,
            )
            for out in outs:
                within_limits(out)
            checked += 1
    assert checked > 100


def test_a_bilingual_post_and_its_buttons_fit_discord():
    """A `--lang ja,en` room: every sentence in both languages, with long names, as a post with a
    title, fields and buttons of it, within Discord's limits (2000 characters, labels of 80)."""
    from bot.i18n import Catalog, placeholders

    catalog = Catalog.load()
    checked = 0
    for key in sorted(catalog.keys("en")):
        if not isinstance(catalog.raw("en", key), str):
            continue
        names = placeholders(catalog.raw("en", key)) | placeholders(catalog.raw("ja", key))
        params = {name: "<@123456789012345678> " * 20 if name in ("name", "user") else 3 for name in names}
        text = catalog.text("ja,en", key, **params)
        message = Message(
            text * 6, title=text, fields=(Field(text, text),), buttons=(Button(text, "core:x:1"),)
        )
        for out in render_message(message, guild_id=1):
            within_limits(out)
        checked += 1
    assert checked > 100
