"""Core messages and forms become Block Kit that Slack accepts, split rather than refused when too long."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.views import View

from adapters.slack import render
from bot.actions import Button, Choice, Field, Form, Input, Message
from bot.markup import clock_time, relative_time
from tests.fakes.slack_limits import block_errors, view_errors


def payloads(message: Message) -> list[dict]:
    out = [m.payload() for m in render.render_message(message)]
    for p in out:
        assert block_errors(p["blocks"], limit=50) == []
    return out


def test_bold_becomes_slack_bold_and_mentions_stay():
    assert render.mrkdwn("**Alice** hands over to <@U0BOB>") == "*Alice* hands over to <@U0BOB>"


def test_clock_time_becomes_a_date_token_with_a_utc_fallback():
    when = datetime(2026, 1, 15, 9, 3, tzinfo=UTC)
    assert (
        render.mrkdwn(f"ends at {clock_time(when)}")
        == f"ends at <!date^{int(when.timestamp())}^{{time}}|09:03 UTC>"
    )
    assert "{ago}" in render.mrkdwn(relative_time(when))


def test_user_text_cannot_ping_the_channel_or_break_markup():
    assert render.mrkdwn("<!channel> & <b>") == "&lt;!channel&gt; &amp; &lt;b&gt;"


def test_plain_text_uses_names_for_mentions():
    assert render.plain("**Pair** with <@U1>", {"U1": "bob"}) == "Pair with @bob"


def test_message_has_header_section_fields_and_buttons():
    message = Message(
        text="**Alice** has the floor",
        title="Round 1",
        fields=(Field("Next", "<@U0BOB>"),),
        buttons=(Button("Next", "turns:next:42", "primary"), Button("Stop", "turns:stop:42", "danger")),
    )
    [payload] = payloads(message)
    kinds = [b["type"] for b in payload["blocks"]]
    assert kinds == ["header", "section", "section", "actions"]
    assert payload["blocks"][1]["text"] == {
        "type": "mrkdwn",
        "text": "*Alice* has the floor",
        "verbatim": True,
    }
    buttons = payload["blocks"][3]["elements"]
    assert [b["action_id"] for b in buttons] == ["turns:next:42", "turns:stop:42"]
    assert buttons[0]["style"] == "primary"
    assert "Alice" in payload["text"]


def test_long_text_is_split_into_sections_at_paragraphs():
    paragraphs = [f"paragraph {i} " + "word " * 150 for i in range(10)]
    [payload] = payloads(Message(text="\n\n".join(paragraphs)))
    sections = [b["text"]["text"] for b in payload["blocks"]]
    assert len(sections) > 1
    assert all(len(s) <= 3000 for s in sections)
    assert all(s.startswith("paragraph") for s in sections)  # cut between paragraphs, not inside
    assert re.sub(r"\s", "", "".join(sections)) == re.sub(r"\s", "", "".join(paragraphs))


def test_japanese_text_without_spaces_is_cut_after_a_sentence():
    sentence = "最近気になっていることを互いに三分ずつ話します。"  # 24 characters, no spaces
    [payload] = payloads(Message(text=sentence * 300))
    sections = [b["text"]["text"] for b in payload["blocks"]]
    assert len(sections) == 3
    assert all(s.endswith("。") and len(s) <= 3000 for s in sections)
    assert "".join(sections) == sentence * 300


def test_one_huge_word_is_cut_and_a_mention_is_never_cut():
    text = "x" * 7000 + " " + "<@U0BOB> " * 400
    [payload] = payloads(Message(text=text))
    joined = "".join(b["text"]["text"] for b in payload["blocks"])
    assert joined.count("x") == 7000
    assert joined.count("<@U0BOB>") == 400


def test_more_than_fifty_blocks_become_several_messages_with_buttons_last():
    fields = tuple(Field(f"Person {i}", "x" * 1900) for i in range(30))  # 30 fields -> 3 sections
    text = "\n\n".join("y" * 2900 for _ in range(60))
    buttons = tuple(Button(f"B{i}", f"pairs:pick:{i}") for i in range(30))
    out = payloads(Message(text=text, fields=fields, buttons=buttons))
    assert len(out) == 2
    assert sum(len(p["blocks"]) for p in out) == 60 + 3 + 2
    assert out[-1]["blocks"][-1]["type"] == "actions"
    assert len(out[-1]["blocks"][-2]["elements"]) == 25


def test_a_field_too_long_for_a_field_becomes_its_own_sections():
    [payload] = payloads(Message(text="report", fields=(Field("Notes", "n " * 2500),)))
    assert [b["type"] for b in payload["blocks"]] == ["section", "section", "section"]
    assert payload["blocks"][1]["text"]["text"].startswith("*Notes*\nn n")


def test_long_labels_are_clipped_not_refused():
    [payload] = payloads(Message(text="t", title="T" * 200, buttons=(Button("L" * 100, "a:b:1"),)))
    assert len(payload["blocks"][0]["text"]["text"]) == 150
    assert len(payload["blocks"][-1]["elements"][0]["text"]["text"]) == 75


def form() -> Form:
    return Form(
        form_id="barriers:share:7",
        title="Share a barrier anonymously, please",
        inputs=(
            Input(
                "text",
                "What makes connection hard?",
                kind="paragraph",
                max_length=500,
                placeholder="Anonymous",
            ),
            Input(
                "category",
                "Category",
                kind="select",
                choices=(Choice("fear", "Expectation and fear"), Choice("bias", "Unconscious bias")),
                required=False,
                initial="bias",
            ),
        ),
        submit_label="Share",
    )


def test_form_becomes_a_valid_modal():
    view = render.render_form(form(), close_label="Cancel", channel="C0MAIN")
    assert isinstance(view, View)
    data = view.to_dict()
    assert view_errors(data) == []
    assert data["callback_id"] == "barriers:share:7"
    assert len(data["title"]["text"]) == 24
    assert [b["block_id"] for b in data["blocks"]] == ["text", "category"]
    assert data["blocks"][0]["element"]["multiline"] is True
    assert data["blocks"][1]["optional"] is True
    assert data["blocks"][1]["element"]["initial_option"]["value"] == "bias"
    assert '"C0MAIN"' in data["private_metadata"]


def test_a_select_with_many_choices_uses_option_groups():
    choices = tuple(Choice(f"v{i}", f"Choice {i}") for i in range(150))
    big = Form("x:y:1", "Pick", (Input("pick", "Pick one", kind="select", choices=choices),), "OK")
    element = render.render_form(big, close_label="Cancel").to_dict()["blocks"][0]["element"]
    assert [len(g["options"]) for g in element["option_groups"]] == [100, 50]


@given(
    st.lists(
        st.one_of(
            st.text(alphabet="ab \n", min_size=1, max_size=40),
            st.just("<@U0BOB>"),
            st.just("<!date^1760000000^{time}|09:03 UTC>"),
            st.just("w" * 70),
        ),
        max_size=60,
    ),
    st.integers(min_value=80, max_value=400),
)
def test_split_keeps_every_piece_within_the_limit_and_loses_nothing(atoms, limit):
    text = "".join(atoms)
    pieces = render.split(text, limit)
    assert all(len(p) <= limit for p in pieces)
    assert re.sub(r"\s", "", "".join(pieces)) == re.sub(r"\s", "", text)
    tokens = re.findall(r"<[^<>]*>", text)
    assert [t for p in pieces for t in re.findall(r"<[^<>]*>", p)] == tokens


def test_a_bilingual_post_and_its_buttons_fit_slack():
    """A `--lang ja,en` room: every sentence in both languages, with long names, as a post with a
    title and a button of it; Slack's fake accepts every block and each label is within 75."""
    from bot.i18n import Catalog, placeholders

    catalog = Catalog.load()
    checked = 0
    for key in sorted(catalog.keys("en")):
        if not isinstance(catalog.raw("en", key), str):
            continue
        names = placeholders(catalog.raw("en", key)) | placeholders(catalog.raw("ja", key))
        params = {name: "<@U0123456789> " * 20 if name in ("name", "user", "users") else 3 for name in names}
        text = catalog.text("ja,en", key, **params)
        message = Message(text * 4, title=text, buttons=(Button(text, "core:x:1"), Button(text, "core:y:1")))
        for payload in payloads(message):
            for block in payload["blocks"]:
                for element in block.get("elements", []):
                    assert len(element["text"]["text"]) <= 75, key
        checked += 1
    assert checked > 100
