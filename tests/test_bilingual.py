"""A bilingual room (`--lang ja,en`): every sentence renders in each language, compactly, labels on one
line within the platforms' limits, and each language's own words in the parameters it is given."""

from __future__ import annotations

import os

import pytest

from bot.actions import LABEL_MAX, Button, Form, Input, Message
from bot.commands import parse_event_languages
from bot.errors import UserError
from bot.i18n import Catalog, Multi, placeholders

CATALOG = Catalog.load()
SENTENCES = sorted(key for key in CATALOG.keys("en") if isinstance(CATALOG.raw("en", key), str))


def filled(key: str) -> dict[str, object]:
    """A value for every placeholder: a number fills a count's forms as well as a name."""
    names = placeholders(CATALOG.raw("en", key)) | placeholders(CATALOG.raw("ja", key))
    return dict.fromkeys(names, 3)


def shows(rendered: str, line: str) -> bool:
    """`line` is in `rendered`, whole or side by side with the other language ("• 次へ / Next")."""
    if not line.strip() or line in rendered:
        return True
    return any(line.endswith(shown.split(" / ")[-1]) for shown in rendered.split("\n") if " / " in shown)


@pytest.mark.parametrize("order", ["ja,en", "en,ja"])
@pytest.mark.parametrize("key", SENTENCES)
def test_every_sentence_of_a_bilingual_post_reads_in_both_languages(key: str, order: str) -> None:
    params = filled(key)
    rendered = CATALOG.text(order, key, **params)
    first, second = order.split(",")
    for lang in (first, second):
        alone = CATALOG.text(lang, key, **params)
        assert all(shows(rendered, line) for line in alone.split("\n")), (key, lang, rendered)
    assert isinstance(rendered, Multi) or CATALOG.text("ja", key, **params) == CATALOG.text(
        "en", key, **params
    )
    # In the order given: the first line that differs reads in the first language, then the second.
    for mine, theirs in zip(
        CATALOG.text(first, key, **params).split("\n"),
        CATALOG.text(second, key, **params).split("\n"),
        strict=False,
    ):
        if mine != theirs and mine.strip() and theirs.strip():
            shared = len(os.path.commonprefix([mine, theirs]))
            if not mine[shared:] or not theirs[shared:]:
                break
            assert rendered.index(mine[shared:]) < rendered.index(theirs[shared:], 1), (key, rendered)
            break


def test_a_post_names_each_language_in_its_own_words() -> None:
    # A duration given to a sentence is "1分30秒" in the Japanese line and "1 min 30 s" in the English.
    length = CATALOG.duration("ja,en", 90)
    text = CATALOG.text("ja,en", "turns.summary.total", length=length)
    assert text.parts == {"ja": "話した時間の合計: 1分30秒", "en": "Time spoken in all: 1 min 30 s."}
    assert str(text) == "話した時間の合計: 1分30秒 / Time spoken in all: 1 min 30 s."


def test_joining_and_adding_keep_each_language_apart() -> None:
    separator = CATALOG.text("ja,en", "pairs.list.separator")
    joined = separator.join(["A", "B"])
    assert joined.parts == {"ja": "A・B", "en": "A, B"}
    bullet = "• " + CATALOG.text("ja,en", "turns.button.next")
    assert bullet.parts == {"ja": "• 次の人へ", "en": "• Next"}
    assert str(bullet) == "• 次の人へ / Next"


def test_a_long_sentence_stacks_and_a_shared_line_is_shown_once() -> None:
    text = CATALOG.text("ja,en", "barriers.reveal.header", prompt="Why?", count=2)
    lines = str(text).split("\n")
    assert lines[0] == "**Why?**" and lines.count("**Why?**") == 1
    assert lines[1].startswith("2枚のカード") and lines[2].startswith("2 cards")


@pytest.mark.parametrize("key", [k for k in SENTENCES if ".button" in k or k.endswith("_button")])
def test_every_button_label_fits_in_both_languages(key: str) -> None:
    label = Button(CATALOG.text("ja,en", key, **filled(key)), "x:y:1").label
    assert len(label) <= LABEL_MAX and " / " in label or "\n" not in label, (key, label)
    assert "\n" not in label


def test_a_label_too_long_for_a_button_is_cut_alike_in_each_language() -> None:
    long = Multi({"ja": "あ" * 60, "en": "b" * 60})
    label = Button(long, "x:y:1").label
    assert len(label) <= LABEL_MAX
    assert label.startswith("あ") and "b" in label and label.count("…") == 2


def test_titles_and_forms_are_one_line() -> None:
    title = CATALOG.text("ja,en", "barriers.board.title")
    assert Message("x", title=title).title == "つながりの壁ボード / Barrier board"
    form = Form("a:b:1", title, (Input("text", title),), CATALOG.text("ja,en", "barriers.form.submit"))
    assert len(form.title) <= 24 and "\n" not in form.inputs[0].label


def test_an_events_languages_are_checked_and_each_kept_once() -> None:
    assert parse_event_languages("ja,en,ja") == "ja,en"
    assert parse_event_languages("English、日本語") == "en,ja"
    assert parse_event_languages("JA") == "ja"
    with pytest.raises(UserError) as refused:
        parse_event_languages("ja,xx")
    assert refused.value.key == "core.error.bad_event_lang" and refused.value.params["value"] == "xx"
    text = CATALOG.text("en", refused.value.key, **refused.value.params)
    assert text.startswith("`xx` is not a language I speak.")


def test_a_single_language_is_plain_text() -> None:
    assert type(CATALOG.text("ja", "turns.button.next")) is str
    assert type(CATALOG.text("ja,ja", "turns.button.next")) is str
