"""Words that read as a person wrote them: every prompt, in both languages, filled with sample values
(0, 1, 2 and 11 people; ASCII and Japanese names), held to the rules a careful writer keeps."""

from __future__ import annotations

import re

import pytest

from bot.i18n import Catalog, placeholders

CATALOG = Catalog.load()
SENTENCES = sorted(key for key in CATALOG.keys("en") if isinstance(CATALOG.raw("en", key), str))
COUNTS = (0, 1, 2, 11)
# Placeholders that carry a number of things.
NUMBERS = {"count", "number", "people", "groups", "days", "metoo", "max", "min", "seconds", "minutes"}
NAMES = {"en": ("@chie", "Spring's workshop"), "ja": ("@ちえ", "ヨリミチ部 1月")}
# Placeholders that carry an event's name (as `**name**`).
EVENT_NAMES = {"event"} | {
    f"{key}:name"
    for key in (
        "event.started",
        "event.ended",
        "event.already",
        "event.handed_over",
        "event.zone_set",
        "people.joined",
        "people.already_joined",
        "people.profile_updated",
        "people.profile_show",
        "people.left",
        "people.help_in_event",
        "pairs.round_posted",
    )
}
KANA_OR_KANJI = "\u3040-\u30ff\u4e00-\u9fff"
JAPANESE_TEXT = f"[{KANA_OR_KANJI}、。「」『』（）：！？]"
# English that reads as a machine wrote it.
ENGLISH_SLIPS = [
    re.compile(
        r"\b1 (groups|people|persons|cards|speakers|links|days|rounds|connections|minutes|items|trios)\b"
    ),
    re.compile(r"\bthere are [01]\b", re.I),
    re.compile(r"\ball [01] of you\b", re.I),
    re.compile(r"\b(is|are) [01] now\b"),
]


def filled(lang: str, key: str, count: int, japanese_names: bool) -> str:
    person, event = NAMES["ja" if japanese_names else "en"]
    params = {}
    for name in placeholders(CATALOG.raw("en", key)):
        if name in NUMBERS:
            params[name] = count
        elif f"{key}:{name}" in EVENT_NAMES or name == "event":
            params[name] = f"**{event}**"
        else:
            params[name] = person
    return CATALOG.text(lang, key, **params)


@pytest.mark.parametrize("key", SENTENCES)
def test_english_counts_agree_with_their_nouns(key: str) -> None:
    for count in COUNTS:
        for japanese_names in (False, True):
            text = filled("en", key, count, japanese_names)
            assert "{" not in text, f"{key} left a placeholder unfilled: {text!r}"
            for slip in ENGLISH_SLIPS:
                assert not slip.search(text), f"{key} with {count}: {text!r}"


@pytest.mark.parametrize("key", SENTENCES)
def test_japanese_has_no_stray_spaces_around_inserted_values(key: str) -> None:
    template = CATALOG.raw("ja", key)
    # A mention is followed by さん with a space (「@chie さん」), so the client ends the mention there.
    assert not re.search(rf"{JAPANESE_TEXT} \{{", template), f"{key}: {template!r}"
    assert not re.search(rf"\}} (?!さん|様){JAPANESE_TEXT}", template), f"{key}: {template!r}"
    for count in COUNTS:
        text = filled("ja", key, count, True)
        assert "{" not in text, f"{key} left a placeholder unfilled: {text!r}"


@pytest.mark.parametrize("key", SENTENCES)
def test_japanese_puts_event_names_in_brackets(key: str) -> None:
    template = CATALOG.raw("ja", key)
    for name in placeholders(template):
        if name == "event" or f"{key}:{name}" in EVENT_NAMES:
            bracketed = template.count("「{" + name + "}」") + template.count("（{" + name + "}）")
            assert template.count("{" + name) == bracketed, f"{key}: {template!r}"


def test_the_anonymity_sentence_says_what_is_true() -> None:
    """A card is read by everyone at the reveal: what nobody learns is who wrote it."""
    sentence = "このカードを書いたのがあなただとは、誰にもわかりません"
    assert sentence in CATALOG.text("ja", "barriers.shared", category="fear")
    assert sentence in CATALOG.raw("ja", "barriers.form.placeholder")
    for key in CATALOG.keys("ja"):
        value = CATALOG.raw("ja", key)
        if isinstance(value, str):
            assert "あなたが書いたこと" not in value, f"{key} says the card itself is unseen: {value!r}"
    assert "Nobody can tell that you wrote this card" in CATALOG.text(
        "en", "barriers.shared", category="fear"
    )


def test_japanese_names_are_joined_with_san() -> None:
    from bot.rituals.nudges.messages import people_list
    from bot.store.models import Member

    people = [Member(tenant_id="t", user_id=user) for user in ("chie", "emi", "ken")]

    def thanks(lang: str, count: int) -> str:
        names = people_list(CATALOG, lang, people[:count])
        return CATALOG.text(lang, "nudges.thanks.text", people=names, event="**x**")

    assert "<@chie> さんと出会いました" in thanks("ja", 1)
    assert "<@chie> さん、<@emi> さんと出会いました" in thanks("ja", 2)
    assert "<@chie> さん、<@emi> さん、<@ken> さんと出会いました" in thanks("ja", 3)
    assert "You met <@chie>, <@emi> and <@ken> at" in thanks("en", 3)
