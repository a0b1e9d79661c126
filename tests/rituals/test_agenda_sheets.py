"""Run sheets are read whole and checked before anything runs: a file with an error names its line and
what is wrong (in both languages), and the shipped January sheet is a real two-hour evening."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.i18n import Catalog
from bot.rituals.agenda.sheets import KINDS, SheetError, every, find, parse

CATALOG = Catalog.load()

GOOD = """\
title: {en: "An evening", ja: "夜"}
summary: {en: "Short.", ja: "短い。"}
steps:
  - name: welcome
    kind: prompt
    minutes: 5
    title: {en: "Welcome", ja: "ようこそ"}
    say: {en: "Hello.", ja: "こんにちは。"}
  - name: round
    kind: turns
    each: 1.5
    title: {en: "A round", ja: "一巡"}
    say: {en: "One and a half minutes each.", ja: "1人1分30秒ずつ。"}
  - name: end
    kind: end
    title: {en: "Thanks", ja: "ありがとう"}
    say: {en: "Bye.", ja: "またね。"}
"""


def refused(text: str) -> SheetError:
    with pytest.raises(SheetError) as caught:
        parse("evening", "agenda/evening.yaml", text)
    return caught.value


def said(error: SheetError, lang: str = "en") -> str:
    return CATALOG.text(lang, f"agenda.problem.{error.problem}", **error.params)


def test_a_good_sheet_reads_with_its_lengths() -> None:
    sheet = parse("evening", "agenda/evening.yaml", GOOD)
    assert [step.kind for step in sheet.steps] == ["prompt", "turns", "end"]
    assert sheet.steps[1].each_seconds == 90
    assert sheet.planned(10) == 5 * 60 + 10 * 90  # a round's length is each speaker's, times the room


def test_a_misspelt_kind_names_its_line_and_the_kind_meant() -> None:
    error = refused(GOOD.replace("kind: prompt", "kind: promt"))
    assert error.line == 5
    assert said(error).startswith("`promt` is not a kind of step; did you mean `prompt`?")
    assert "`prompt`のことですか" in said(error, "ja")


def test_a_misspelt_field_names_its_line() -> None:
    error = refused(GOOD.replace("    each: 1.5", "    eahc: 1.5"))
    assert error.line == 11
    assert "`eahc` is not a field of a turns step or sheet; did you mean `each`?" in said(error)


def test_words_in_one_language_only_are_refused_at_their_line() -> None:
    error = refused(GOOD.replace('say: {en: "Hello.", ja: "こんにちは。"}', 'say: {en: "Hello."}'))
    assert error.line == 8
    assert said(error) == "`say` needs words in both languages, as `en:` and `ja:`"


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        (("minutes: 5", "minutes: 500"), 6, "`minutes` must be a number of minutes from 0.5 to 180"),
        (("minutes: 5", "minutes: soon"), 6, "`minutes` must be a number of minutes"),
        (("    minutes: 5\n", ""), 4, "`minutes` is missing"),
        (("name: round", "name: welcome"), 9, "two steps are called `welcome`"),
        (("name: round", "name: Round One"), 9, "`Round One` is not a name"),
        (("kind: turns\n", "kind: turns\n    then: later\n"), 11, "`then` is `later`"),
        (
            ('title: {en: "An evening", ja: "夜"}', 'title: {en: "An evening", ja: "夜", fr: "Soir"}'),
            1,
            "`fr`",
        ),
    ],
)
def test_each_mistake_is_named_with_its_line(change: tuple[str, str], line: int, words: str) -> None:
    error = refused(GOOD.replace(*change, 1))
    assert error.line == line
    assert words in said(error)


def test_nothing_may_follow_the_end() -> None:
    text = GOOD + "  - name: more\n    kind: break\n    minutes: 5\n    title: {en: a, ja: あ}\n"
    error = refused(text)
    assert (error.line, said(error)) == (18, "nothing can come after the `end` step")


def test_broken_yaml_names_the_line_it_breaks_on() -> None:
    error = refused(
        GOOD.replace(
            '    say: {en: "Hello.", ja: "こんにちは。"}', '    say: {en: "Hello.", ja: "こんにちは。"'
        )
    )
    assert error.problem == "syntax"
    assert error.line in (8, 9)


def test_a_key_given_twice_is_refused() -> None:
    error = refused(GOOD.replace("    minutes: 5\n", "    minutes: 5\n    minutes: 6\n"))
    assert (error.line, error.problem) == (7, "twice")


def test_the_january_evening_is_two_hours_on_the_five_questions() -> None:
    sheet = find("january", None)
    assert sheet is not None
    assert sheet.planned(9) == sheet.planned(24) == 120 * 60
    kinds = [step.kind for step in sheet.steps]
    assert kinds == ["prompt", "talk", "talk", "break", "board", "talk", "oneonone", "prompt", "end"]
    for number, step in zip(
        (1, 2, 3, 4, 5), ("meaning", "building", "barriers", "future", "start"), strict=True
    ):
        found = next(s for s in sheet.steps if s.name == step)
        assert found.say["en"].startswith(f"Question {number}:")
        assert found.say["ja"].startswith(f"問い{number}：")
    assert set(KINDS) - set(kinds) == {"turns", "pairs"}


def test_an_operators_sheet_replaces_ours_and_a_broken_one_is_listed_as_its_error(tmp_path: Path) -> None:
    folder = tmp_path / "agenda"
    folder.mkdir()
    (folder / "january.yaml").write_text(GOOD, "utf-8")
    (folder / "typo.yaml").write_text(GOOD.replace("kind: end", "kind: ende"), "utf-8")
    assert [s.kind for s in find("january", tmp_path).steps] == ["prompt", "turns", "end"]
    listed = {getattr(item, "name", None) or item.file: item for item in every(tmp_path)}
    broken = [item for item in listed.values() if isinstance(item, SheetError)]
    assert len(broken) == 1 and broken[0].file.endswith("agenda/typo.yaml") and broken[0].line == 15


TALK_EACH = GOOD.replace(
    "  - name: round\n    kind: turns\n    each: 1.5\n",
    "  - name: round\n    kind: talk\n    each: 3\n    size: 2\n",
)


def test_a_talk_of_three_minutes_each_lasts_as_long_as_its_largest_group_needs() -> None:
    """`each: 3` is the workshop's "three minutes each": a room of pairs takes 6 minutes, one with a trio 9."""
    sheet = parse("evening", "agenda/evening.yaml", TALK_EACH)
    talk = sheet.steps[1]
    assert talk.talk_turn(10) == talk.talk_turn(9) == 180
    assert (talk.planned(10), talk.planned(9)) == (6 * 60, 9 * 60)


def test_a_talk_with_both_each_and_minutes_is_refused_at_the_minutes() -> None:
    error = refused(TALK_EACH.replace("    each: 3\n", "    each: 3\n    minutes: 10\n"))
    assert (error.line, error.problem) == (12, "each_or_minutes")
    assert "not both" in said(error) and "両方は書けません" in said(error, "ja")
