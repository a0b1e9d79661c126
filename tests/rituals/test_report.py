"""The insight report: files that match the text, pictures whose numbers are the text's, Japanese that is
Japanese, and no cell that describes fewer than 3 people."""

from __future__ import annotations

import asyncio
import csv
import json
import re
import shutil
import subprocess
from concurrent.futures import Executor, Future
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot.cli import main as cli_main
from bot.compute import Compute
from bot.markup import unmark
from bot.rituals.report import render
from bot.rituals.report.figures import FEWEST, build_report, gini, random_crossing
from bot.rituals.report.files import write_report
from bot.store.models import Event
from tests.support import Chat

SCENARIOS = Path(__file__).parent.parent / "scenarios"
START = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)  # 18:00 in Tokyo, as the scenario's first line says
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def evening(name: str = "report_en.tsu") -> str:
    """The scenario without its `at` line (the Chat sets the clock)."""
    return "\n".join(
        line for line in (SCENARIOS / name).read_text("utf-8").splitlines() if not line.startswith("at ")
    )


@pytest.fixture
async def month(database_url: str) -> Chat:
    """An evening, its thanks, a week's yeses and a month's stage checks, played on the virtual clock."""
    chat = Chat(database_url, START, "Asia/Tokyo")
    await chat.start()
    await chat.play(evening())
    try:
        yield chat
    finally:
        await chat.close()


async def _report(chat: Chat, now: datetime | None = None):  # noqa: ANN202
    async with chat.app.store.session() as session:
        event = await session.get(Event, 1)
        return event, await build_report(session, event, now=now or chat.app.clock.now())


def test_gini_and_the_random_baseline_are_computed_not_assumed() -> None:
    assert gini([60, 60, 60]) == 0
    assert gini([0, 0, 90]) == pytest.approx(2 / 3)
    # Two of four people from one organisation: a random pair crosses unless it is those two (1 of 6).
    assert random_crossing(["A", "A", "B", "C"], 2) == pytest.approx(5 / 6)
    # Nobody gave a value: nothing can cross, at random or not.
    assert random_crossing([None, None, None], 2) == 0


@pytest.mark.db
async def test_no_cell_describes_fewer_than_3_people(month: Chat) -> None:
    """Every count of people (or pairs, two people each) between 1 and 2 reads "fewer than 3", in the chat,
    the CSV and the HTML; the facilitator sees counts and never a name."""
    _, report = await _report(month)
    catalog = month.app.catalog
    masked = 0
    for section in report.sections:
        for figure in section.figures:
            if figure.per and figure.kind != "rate" and figure.value and figure.value * figure.per < FEWEST:
                assert figure.masked, figure
                assert render.value_text(catalog, "en", figure) == "fewer than 3", figure
                masked += 1
    assert masked >= 5  # the scenario has small cells on purpose: the test would pass on nothing otherwise
    shown = "\n".join(r.value for r in render.rows(catalog, "en", report))
    text = render.message(catalog, "en", report)
    everything = text.text + "".join(f.value for f in text.fields) + render.csv_text(catalog, "en", report)
    for name in ("bob", "carol", "dave", "erin", "frank", "gina", "hiro", "alice"):
        assert name not in everything.lower()
    assert "fewer than 3" in shown


@pytest.mark.db
async def test_files_and_charts_carry_the_numbers_of_the_text_report(month: Chat, tmp_path: Path) -> None:
    event, report = await _report(month)
    catalog = month.app.catalog
    written = await write_report(month.app.store, catalog, event, tmp_path, now=month.app.clock.now())
    rows = {unmark(r.label): r.value for r in render.rows(catalog, "en", report)}
    # The CSV is the same rows as the chat's text.
    with written.csv.open(encoding="utf-8-sig") as file:
        table = list(csv.reader(file))
    assert table[0] == ["section", "key", "figure", "this event", "earlier events (median)"]
    assert {row[2]: row[3] for row in table[1:]} == rows
    assert rows["month 1: both agreed to keep talking"] == "2 (40%)"
    # The page is self-contained: charts inline, nothing fetched from anywhere.
    page = written.html.read_text("utf-8")
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert page.count('src="data:image/png;base64,') == 3
    assert '<tr data-key="links"><td>links made</td><td class=v>5</td>' in page
    # Each chart shows the same values as the text, and a masked bar is drawn at zero length.
    assert set(written.charts) == {"funnel", "bridging", "board"}
    for name, path in written.charts.items():
        image = Image.open(path)
        assert image.format == "PNG" and image.size[0] >= 600
        for bar in json.loads(image.text["Description"]):
            assert rows[bar["label"]] == bar["value"], (name, bar)
    funnel = json.loads(Image.open(written.charts["funnel"]).text["Description"])
    assert [b["value"] for b in funnel] == ["5", "3 (60%)", "2 (40%)", "2 (40%)", "fewer than 3", "0 (0%)"]


@pytest.mark.db
async def test_japanese_charts_are_drawn_in_a_font_that_has_the_glyphs(month: Chat, tmp_path: Path) -> None:
    """No boxes for glyphs: the font the charts use holds every character of every Japanese label."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    from bot.rituals.report.charts import FONT

    event, _ = await _report(month)
    written = await write_report(
        month.app.store, month.app.catalog, event, tmp_path, lang="ja", now=month.app.clock.now()
    )
    path = font_manager.findfont(font_manager.FontProperties(family=FONT), fallback_to_default=False)
    font = FT2Font(path)
    labels = [
        bar["label"] for p in written.charts.values() for bar in json.loads(Image.open(p).text["Description"])
    ]
    assert any(JAPANESE.search(label) for label in labels)
    missing = {
        ch for label in labels for ch in label if not ch.isspace() and font.get_char_index(ord(ch)) == 0
    }
    assert missing == set()
    assert "生まれたリンク" in written.html.read_text("utf-8")


def test_the_command_line_writes_the_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`tsunagari report --channel '#main'` on the bot's database (SQLite here) prints and writes."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"

    async def play() -> None:
        chat = Chat(url, START, "Asia/Tokyo")
        await chat.start()
        await chat.play(evening("report_ja.tsu"))
        await chat.close()

    asyncio.run(play())
    out = tmp_path / "out"
    assert cli_main(["report", "--channel", "#main", "--database", url, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "生まれたリンク：5" in printed and "レポートを" in printed
    assert sorted(p.name for p in out.iterdir()) == [
        "board.png",
        "bridging.png",
        "funnel.png",
        "report.csv",
        "report.html",
    ]
    assert cli_main(["report", "--event", "42", "--database", url, "--out", str(out)]) == 2


CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.mark.db
async def test_a_browser_opens_the_page_offline(month: Chat, tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.skip("no /usr/bin/chromium: install the Debian package `chromium` to run the browser test")
    event, _ = await _report(month)
    written = await write_report(
        month.app.store, month.app.catalog, event, tmp_path, now=month.app.clock.now()
    )
    browse = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu"]
    dom = (await asyncio.to_thread(_run, [*browse, "--dump-dom", written.html.as_uri()])).stdout
    assert "links made" in dom and dom.count("<img") == 3
    shot = tmp_path / "shot.png"
    await asyncio.to_thread(_run, [*browse, f"--screenshot={shot}", written.html.as_uri()])
    assert Image.open(shot).size[0] > 0


def _run(command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)


def _seen_by(chat: Chat, user: str) -> list[str]:
    """Everything `user` could see: the channels, and what was shown to them alone or with others."""
    return [
        line
        for shown in chat.runner.world.shown
        if shown.audience is None or user in shown.audience
        for line in shown.lines
    ]


@pytest.mark.db
async def test_a_one_sided_yes_leaves_no_trace_the_other_or_the_report_can_see(database_url: str) -> None:
    """dave would like to keep talking with gina; gina says nothing. Gina sees nothing new, the
    facilitator's report does not change by a single cell, and dave hears the same words he would have
    heard had gina not answered yet. When both say yes, both are told together, and the report counts it."""
    script = evening()
    chat = Chat(database_url, START, "Asia/Tokyo")
    await chat.start()
    try:
        await chat.play(script[: script.index('bob clicks "Yes, carol"')])
        # The report as it would read four days on, had dave said nothing.
        _, before = await _report(chat, chat.app.clock.now() + timedelta(days=4))
        gina_before = _seen_by(chat, "gina")
        lines = await chat.click("dave", "Yes, gina")
        assert lines == [
            "[21:03] dave only | Noted, just for you. If @gina would like to keep talking too, I'll tell you "
            "both together. If not, nobody will ever know you asked."
        ]
        await chat.wait(days=4)
        _, after = await _report(chat)
        catalog = chat.app.catalog
        assert _seen_by(chat, "gina") == gina_before
        assert render.rows(catalog, "en", after) == render.rows(catalog, "en", before)
        assert after.figure("funnel", "agreed", moment="week1").value == 0
        # Both say yes: told together, once, and counted.
        await chat.click("bob", "Yes, carol")
        lines = await chat.click("carol", "Yes, bob")
        assert any(" DM bob+carol | @bob and @carol: you both said" in line for line in lines)
        # Said after the week's moment was read, so it counts from the month's on.
        _, counted = await _report(chat, chat.app.clock.now() + timedelta(days=30))
        assert counted.figure("funnel", "agreed", moment="week1").value == 0
        assert counted.figure("funnel", "agreed", moment="month1").value == 1
        assert render.value_text(catalog, "en", counted.figure("funnel", "agreed", moment="month1")) == (
            "fewer than 3"
        )
    finally:
        await chat.close()


@pytest.mark.db
async def test_the_charts_are_drawn_after_the_transaction_has_ended(
    month: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """alice asks for the report; by the time its first chart is saved, the command's database
    connection is back in the pool: drawing never holds a transaction (or, on SQLite, a read snapshot)
    open. She still gets the text and the three charts by DM."""
    from matplotlib.figure import Figure as Canvas
    from sqlalchemy import event as sa_event

    pool = month.app.store.engine.sync_engine.pool
    out = {"held": 0}
    held_while_drawing: list[int] = []
    sa_event.listen(pool, "checkout", lambda *_: out.__setitem__("held", out["held"] + 1))
    sa_event.listen(pool, "checkin", lambda *_: out.__setitem__("held", out["held"] - 1))
    savefig = Canvas.savefig

    def watched(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        held_while_drawing.append(out["held"])
        return savefig(self, *args, **kwargs)

    monkeypatch.setattr(Canvas, "savefig", watched)
    # Charts are drawn in the worker; in a thread here, so this process sees each chart being saved.
    month.app.core.compute = Compute(mode="thread")
    lines = await month.say("alice", "/tsunagari report")
    assert any(line.startswith("[") and "alice only" in line and "Who came" in line for line in lines), lines
    assert sum(".png" in line for line in lines) == 3, lines
    assert held_while_drawing == [0, 0, 0]


class _HeldPool(Executor):
    """A worker pool that runs nothing until released: the figures are "still being worked out"."""

    def __init__(self) -> None:
        self.waiting: list[tuple[Future, object]] = []
        self.asked = asyncio.Event()  # a job was handed in

    def submit(self, fn, /, *args, **kwargs) -> Future:  # noqa: ANN001, ANN002, ANN003
        future: Future = Future()
        self.asked.set()
        self.waiting.append((future, lambda: fn(*args, **kwargs)))
        return future

    def release(self) -> None:
        for future, call in self.waiting:
            future.set_result(call())
        self.waiting.clear()


async def test_the_figures_are_worked_out_in_the_worker_while_other_rooms_are_served(month: Chat) -> None:
    """The report's figures are handed to the compute worker: while they are being worked out, a
    facilitator in another channel starts an event and is answered; then alice gets her report."""
    pool = _HeldPool()
    month.app.core.compute = Compute(executor=pool)
    asked = asyncio.create_task(month.say("alice", "/tsunagari report"))
    await pool.asked.wait()
    assert not asked.done()
    other = await month.say("zoe", '/tsunagari event start "Elsewhere"', channel="#other")
    assert any("#other" in line and "Elsewhere" in line for line in other), other
    assert pool.waiting and not asked.done(), "the report did not wait for its worker"
    pool.asked.clear()
    pool.release()  # the figures; then the charts are handed in
    await pool.asked.wait()
    pool.release()
    lines = await asked
    assert any("alice only" in line and "Who came" in line for line in lines), lines
    assert sum(".png" in line for line in lines) == 3, lines


async def test_figures_over_their_time_bound_are_stopped_with_a_localised_answer(month: Chat) -> None:
    month.app.core.compute = Compute(executor=_HeldPool(), timeout=0.05)  # never released
    lines = await month.say("alice", "/tsunagari report")
    assert len(lines) == 1 and lines[0].endswith(
        "alice only | Working out the report of Yorimichi January took longer than 0.05 seconds, so I "
        "stopped. Nothing was changed: please try again in a moment."
    ), lines
    await month.say("alice", "/tsunagari lang ja")
    lines = await month.say("alice", "/tsunagari report")
    assert len(lines) == 1 and "のレポートの集計に0.05秒以上かかったため、中断しました。" in lines[0], lines
