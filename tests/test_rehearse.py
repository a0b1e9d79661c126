"""`tsunagari rehearse`: the sheet plays on the virtual clock with made-up people, and its timeline adds up."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.console.rehearse import person, print_timeline, rehearse
from bot.cli import main
from bot.config import Settings
from bot.i18n import Catalog
from bot.rituals.agenda.sheets import find, load_file

SHEETS = Path(__file__).parent / "scenarios" / "prompts"


async def test_the_january_evening_plays_to_its_end_and_its_total_is_the_sum_of_its_steps() -> None:
    sheet = find("january", None)
    timeline = await rehearse(sheet, None, people=24, lang="en", settings=Settings())
    assert timeline.finished
    assert [row.kind for row in timeline.rows] == [step.kind for step in sheet.steps]
    assert timeline.total == timeline.sum_of_steps == timeline.planned == 120 * 60
    for row, following in zip(timeline.rows, timeline.rows[1:], strict=False):
        assert row.end == following.start  # one step after the other, no gap
    talk = timeline.rows[1]
    assert any("Timed talk in 12 groups" in line for line in talk.saw)
    assert any("Every group has finished its talk" in line for line in timeline.rows[2].saw)
    assert talk.private > 24  # every group's turns, in its own space
    board = timeline.rows[4]
    assert board.facilitator  # the board says `then: wait`: the facilitator pressed Next step
    assert any(line.startswith("Expectation and fear · ") for line in board.saw)  # the reveal


async def test_the_timeline_prints_each_step_and_the_total_against_the_plan() -> None:
    sheet = load_file(SHEETS / "agenda" / "short.yaml")
    timeline = await rehearse(
        sheet, SHEETS / "agenda" / "short.yaml", people=9, lang="ja", settings=Settings()
    )
    lines: list[str] = []
    print_timeline(timeline, Catalog.load(), lines.append)
    assert lines[0].startswith("「短い夜」（")
    assert "18:00–18:02  1/7「ようこそ」（prompt）：2分、予定2分" in lines
    assert "18:02–18:11  2/7「1人1分」（turns）：9分、予定9分" in lines
    assert lines[-1] == "合計：34分、予定34分（ステップの合計：34分）。"


def test_the_made_up_room_mixes_backgrounds_and_languages() -> None:
    room = [person(i)[1] for i in range(24)]
    assert len({options.split("--org ")[1].split()[0] for options in room}) >= 6
    assert len({options.split("--generation ")[1].split()[0] for options in room}) == 5
    assert {options.split("--languages ")[1] for options in room} == {"ja", "en", "ja,en", "en,ja"}
    assert len({person(i)[0] for i in range(60)}) == 60


def test_a_sheet_with_a_typo_is_refused_with_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rehearse", str(SHEETS / "agenda" / "typo.yaml")]) == 2
    error = capsys.readouterr().err
    assert "typo.yaml cannot be used: line 11: `promt` is not a kind of step; did you mean `prompt`?" in error


def test_an_unknown_sheet_and_a_room_too_small_are_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TSUNAGARI_DEFAULT_LANG", "en")
    assert main(["rehearse", "nosuch"]) == 2
    assert "there is no run sheet called nosuch. The sheets are: january" in capsys.readouterr().err
    assert main(["rehearse", "january", "--people", "1"]) == 2
    assert "--people 1 is not valid: a rehearsal has from 2 to 100 people." in capsys.readouterr().err
