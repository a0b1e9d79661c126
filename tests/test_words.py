"""Words that read as a person wrote them: every prompt, in both languages, filled with sample values
(0, 1, 2 and 11 people; ASCII and Japanese names), held to the rules a careful writer keeps."""

from __future__ import annotations

import re

import pytest

from bot.i18n import LANGUAGES, Catalog, placeholders
from bot.rituals.oneonone import templates

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
        "core.error.event_ended",
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
# Placeholders that carry a list of people, joined by Catalog.people.
PEOPLE_LISTS = {"people", "waiting", "members", "order", "speakers", "users"}
LIST_SIZES = (1, 2, 11)
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


def crowd(lang: str, size: int, japanese_names: bool) -> str:
    person = NAMES["ja" if japanese_names else "en"][0]
    return CATALOG.people(lang, [f"{person}{n}" for n in range(1, size + 1)])


def filled(lang: str, key: str, count: int, japanese_names: bool, people: int = 2) -> str:
    person, event = NAMES["ja" if japanese_names else "en"]
    params = {}
    for name in placeholders(CATALOG.raw("en", key)):
        if name in PEOPLE_LISTS and not key.startswith("pairs.summary"):
            params[name] = crowd(lang, people, japanese_names)
        elif name in NUMBERS:
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


LISTS = sorted(
    key for key in SENTENCES if placeholders(CATALOG.raw("en", key)) & PEOPLE_LISTS and "summary" not in key
)


@pytest.mark.parametrize("key", LISTS)
def test_every_name_in_a_japanese_list_of_people_has_its_san(key: str) -> None:
    """「@chie さん、@emi さん」: never "@chie @emi さん" or "@chie, @emi"; English says "@chie and @emi"."""
    for size in LIST_SIZES:
        for japanese_names in (False, True):
            person = NAMES["ja" if japanese_names else "en"][0]
            listed = re.compile(rf"{re.escape(person)}\d+")
            ja = filled("ja", key, 1, japanese_names, people=size)
            assert len(listed.findall(ja)) == size, f"{key}: {ja!r}"
            for found in listed.finditer(ja):
                assert ja[found.end() :].startswith(" さん"), f"{key} with {size}: {ja!r}"
            assert ", " not in ja, f"{key} with {size}: {ja!r}"
            en = filled("en", key, 1, japanese_names, people=size)
            assert not re.search(rf"{re.escape(person)}\d+ @", en), f"{key} with {size}: {en!r}"
            if size > 1:
                assert f"{person}{size - 1} and {person}{size}" in en, f"{key} with {size}: {en!r}"


def test_the_catalog_joins_names_and_things_as_each_language_does() -> None:
    names = ["<@chie>", "<@emi>", "<@ken>"]
    assert CATALOG.people("en", names[:1]) == "<@chie>"
    assert CATALOG.people("en", names[:2]) == "<@chie> and <@emi>"
    assert CATALOG.people("en", names) == "<@chie>, <@emi> and <@ken>"
    assert CATALOG.people("ja", names[:1]) == "<@chie>"
    assert CATALOG.people("ja", names) == "<@chie> さん、<@emi> さん、<@ken>"
    assert CATALOG.people("ja", []) == ""
    assert CATALOG.listing("en", ["a", "b", "c"]) == "a, b and c"
    events = [CATALOG.text("ja", "core.list.event", name=n) for n in ("春", "秋")]
    assert CATALOG.listing("ja", events) == "「春」、「秋」"


def test_no_code_joins_names_by_hand() -> None:
    """Every list of people a reader sees goes through Catalog.people (or the pairs' members_phrase, which
    uses its words): a `" ".join(mention(...))` would print 「@chie @emi さん」."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    by_hand = re.compile(r"""["'][ ,、]+["']\.join\((f?["']<@|mention\(|names\)|\[?mention)""")
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("bot", "adapters")
        for path in sorted((root / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if by_hand.search(line) and "a line that pings, not a sentence" not in line
    ]
    assert offenders == []


SAMPLE_LENGTHS = (30, 90, 180, 600)


def template_sentences(template: templates.Template) -> list[tuple[str, str, set[str]]]:
    """(where, sentence, placeholders) of everything a one-on-one template says."""
    found = [
        ("title", template.title, set()),
        ("summary", template.summary, {"first", "length"}),
        ("closing", template.closing, set()),
    ]
    for step in template.steps:
        found.append((f"{step.name}.say", step.say, templates.SAY_PLACEHOLDERS[step.kind]))
        for where, text in (("button", step.button), ("form_title", step.form_title)):
            if text:
                found.append((f"{step.name}.{where}", text, set()))
        for item in step.inputs:
            found.append((f"{step.name}.{item.name}", item.label, set()))
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_one_on_one_templates_keep_the_same_rules(lang: str) -> None:
    """prompts/<lang>/oneonone/*.yaml are read as templates, not as catalogue keys: walked here."""
    loaded = templates.load(lang)
    assert set(loaded) >= {"checkin", "reflect"}
    for name, template in loaded.items():
        for where, sentence, allowed in template_sentences(template):
            label = f"{lang}/oneonone/{name}.yaml {where}"
            if lang == "ja":
                assert not re.search(rf"{JAPANESE_TEXT} \{{", sentence), f"{label}: {sentence!r}"
                assert not re.search(rf"\}} (?!さん|様){JAPANESE_TEXT}", sentence), f"{label}: {sentence!r}"
                assert not re.search(rf"(?<=[{KANA_OR_KANJI}])\d+ ?(minutes|min)\b", sentence), label
            for seconds in SAMPLE_LENGTHS:
                for japanese_names in (False, True):
                    person = NAMES["ja" if japanese_names else "en"][0]
                    values = {
                        "first": person,
                        "speaker": person,
                        "listener": "@emi",
                        "until": "09:10",
                        "length": CATALOG.duration(lang, seconds),
                    }
                    text = templates.fill(sentence, **{k: v for k, v in values.items() if k in allowed})
                    assert "{" not in text, f"{label}: {text!r}"
                    if lang == "en":
                        for slip in ENGLISH_SLIPS:
                            assert not slip.search(text), f"{label}: {text!r}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_one_on_one_introduction_says_the_length_it_was_started_with(lang: str) -> None:
    """No fixed "3 minutes each" in a summary: `--minutes 1m30s` is what the two are told."""
    for name, template in templates.load(lang).items():
        assert not re.search(r"\d+ ?(minutes|分)", template.summary), f"{lang}/{name}: {template.summary!r}"
        assert "{length}" in template.summary, f"{lang}/{name}"
        said = templates.fill(template.summary, first="@bob", length=CATALOG.duration(lang, 90))
        assert CATALOG.duration(lang, 90) in said
