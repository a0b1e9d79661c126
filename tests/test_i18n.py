"""Every sentence exists in English and Japanese with the same keys and the same placeholders."""

from __future__ import annotations

import re

import pytest

from bot.i18n import Catalog, normalise_locale, placeholders

CATALOG = Catalog.load()
# Kana, kanji, or Japanese punctuation (a list joined with 、 is Japanese with no word in it).
JAPANESE = re.compile(r"[\u3001-\u303f\u3040-\u30ff\u4e00-\u9fff]")


def test_both_languages_have_the_same_keys() -> None:
    english, japanese = CATALOG.keys("en"), CATALOG.keys("ja")
    assert english, "no prompts were loaded"
    assert sorted(english - japanese) == [], "missing in Japanese"
    assert sorted(japanese - english) == [], "missing in English"


@pytest.mark.parametrize("key", sorted(CATALOG.keys("en")))
def test_placeholders_match_and_japanese_is_japanese(key: str) -> None:
    english, japanese = CATALOG.raw("en", key), CATALOG.raw("ja", key)
    assert type(english) is type(japanese), key
    if isinstance(english, str):
        assert english.strip() and japanese.strip(), f"{key} is empty"
        assert placeholders(english) == placeholders(japanese), key
        # A sentence that has letters in English must read as Japanese, not be left untranslated.
        if re.search(r"[A-Za-z]{3,}", re.sub(r"`[^`]*`|\{[^}]*\}", "", english)):
            assert JAPANESE.search(japanese), f"{key} looks untranslated: {japanese!r}"


def test_a_reader_gets_their_language_and_english_when_we_do_not_speak_theirs() -> None:
    assert normalise_locale("ja-JP") == "ja"
    assert normalise_locale("en_GB") == "en"
    assert normalise_locale("fr") is None
    assert CATALOG.text("ja", "people.lang_set").startswith("わかりました")
    assert CATALOG.text("fr-FR", "people.lang_set").startswith("Got it")


def test_a_missing_placeholder_value_never_crashes_a_reply() -> None:
    assert "{name}" in CATALOG.text("en", "event.already")
