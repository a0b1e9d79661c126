"""`tsunagari rehearse`: a run sheet played on the console's virtual clock with made-up participants,
printed as a timeline (each step's start and end, what the room saw, the total against the plan).

Everything really runs, as in `tsunagari demo`: the same core, rituals and database code. The people are
of mixed organisations, regions, generations and languages; on a board step they share cards, and where
a step waits for the facilitator, the facilitator presses Next step.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from adapters.console.runner import ScriptRunner
from adapters.console.script import Step as Line
from bot.config import Settings
from bot.rituals.agenda.sheets import Sheet
from bot.steps.models import LIVE, Step, StepRun

START = datetime(2026, 1, 15, 18, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
HOST = "host"
SHOWN_POSTS = 4
NAMES = (
    "aiko", "ben", "chen", "dara", "emi", "felix", "gita", "hiro", "ines", "jun", "kofi", "lena",
    "mei", "nadia", "omar", "priya", "quinn", "rin", "sora", "tomas", "umi", "vik", "wen", "yuki",
)  # fmt: skip
ORGS = ("Fujitsu", "LinkedIn", "Musubi", "NPO", "City-Hall", "University", "Startup", "Freelance")
REGIONS = ("Tokyo", "Osaka", "Fukuoka", "Sapporo", "New-York", "Seoul", "Berlin", "Lagos", "Sendai")
GENERATIONS = ("20s", "30s", "40s", "50s", "60s")
LANGUAGES = ("ja", "en", "ja,en", "en,ja", "ja")
# The category of each of the sample cards in prompts/<lang>/agenda.yaml (`agenda.rehearsal.cards`).
CARD_CATEGORIES = ("fear", "bias", "dependence", "taboo", "bias", "isolation")


def person(index: int) -> tuple[str, str]:
    """(name, join options) of the index-th made-up participant: the lists have no common factor, so
    neighbours differ in every way and the room mixes as a real one would."""
    name = NAMES[index % len(NAMES)] + ("" if index < len(NAMES) else str(index // len(NAMES) + 1))
    options = (
        f"--org {ORGS[index % len(ORGS)]} --region {REGIONS[index % len(REGIONS)]} "
        f"--generation {GENERATIONS[index % len(GENERATIONS)]} --languages {LANGUAGES[index % len(LANGUAGES)]}"
    )
    return name, options


@dataclass
class Row:
    """One step of the timeline."""

    number: int
    title: str
    kind: str
    start: datetime
    end: datetime
    planned: int
    saw: list[str] = field(default_factory=list)
    private: int = 0
    facilitator: bool = False

    @property
    def seconds(self) -> int:
        return round((self.end - self.start).total_seconds())


@dataclass
class Timeline:
    sheet: Sheet
    people: int
    lang: str
    rows: list[Row]
    finished: bool
    elapsed: int

    @property
    def total(self) -> int:
        """From the first step's start to the last one's end."""
        if not self.rows:
            return 0
        return round((self.rows[-1].end - self.rows[0].start).total_seconds())

    @property
    def sum_of_steps(self) -> int:
        return sum(row.seconds for row in self.rows)

    @property
    def planned(self) -> int:
        return self.sheet.planned(self.people)


async def rehearse(
    sheet: Sheet, source: Path | None, *, people: int, lang: str, settings: Settings
) -> Timeline:
    """Play `sheet` (from the file `source`, or the bot's own folders when None) and return its timeline."""
    with tempfile.TemporaryDirectory(prefix="tsunagari-rehearsal-") as folder:
        root = Path(folder)
        update: dict = {"database_url": f"sqlite+aiosqlite:///{root / 'rehearsal.db'}"}
        if source is not None:
            update["prompts_dir"] = _words_folder(root, sheet, source, settings.prompts_dir)
        runner = ScriptRunner(settings.model_copy(update=update), write=lambda line: None)
        runner.zone = START.tzinfo
        await runner._boot(START)
        try:
            return await _play(runner, sheet, people=people, lang=lang)
        finally:
            await runner.app.close()


def _words_folder(root: Path, sheet: Sheet, source: Path, operator: Path | None) -> Path:
    """A file not yet installed: a folder of its own for it, beside the operator's own words."""
    folder = root / "prompts"
    (folder / "agenda").mkdir(parents=True)
    shutil.copy(source, folder / "agenda" / f"{sheet.name}.yaml")
    if operator is not None:
        for sub in ("en", "ja"):
            if (Path(operator) / sub).is_dir():
                (folder / sub).symlink_to(Path(operator).resolve() / sub)
    return folder


async def _say(runner: ScriptRunner, user: str, text: str) -> None:
    await runner.step(Line(0, "say", user=user, text=text))


async def _run(runner: ScriptRunner) -> StepRun | None:
    async with runner.app.store.session() as session:
        return (
            await session.exec(
                select(StepRun).where(StepRun.ritual == "agenda").order_by(col(StepRun.id).desc())
            )
        ).first()


async def _play(runner: ScriptRunner, sheet: Sheet, *, people: int, lang: str) -> Timeline:
    app = runner.app
    event = app.catalog.text(lang, "agenda.rehearsal.event")
    await _say(runner, HOST, f'/tsunagari event start "{event}" --lang {lang} --tz Asia/Tokyo')
    names = []
    for index in range(people):
        name, options = person(index)
        names.append(name)
        await _say(runner, name, f"/tsunagari join {options}")
    await _say(runner, HOST, f"/tsunagari agenda start {sheet.name}")
    cards = app.catalog.raw(lang, "agenda.rehearsal.cards")
    shared: set[int] = set()
    pressed: set[int] = set()
    limit = START + timedelta(seconds=max(3 * sheet.planned(people), 6 * 3600))
    finished = False
    for _ in range(10_000):
        run = await _run(runner)
        if run is None:
            break
        if run.status not in LIVE:
            finished = run.status == "finished"
            break
        part = run.options.get("part") or {}
        kind = part.get("kind")
        if part.get("waiting"):
            pressed.add(run.current)
            await _say(runner, HOST, "/tsunagari agenda next")
            continue
        if kind == "board" and run.current not in shared:
            shared.add(run.current)
            step = sheet.steps[run.current]
            for index, name in enumerate(names[: max(step.min_cards, len(names) // 2)]):
                card = index % len(cards)
                category = CARD_CATEGORIES[card % len(CARD_CATEGORIES)]
                await _say(runner, name, f"/tsunagari barriers share {cards[card]} --category {category}")
            continue
        due = await app.timers.next_due_at()
        if due is None or due > limit:
            break
        await app.timers.advance_to(max(due, app.clock.now()))
        await app.core.settle()
    elapsed = round((app.clock.now() - START).total_seconds())
    return Timeline(sheet, people, lang, await _rows(runner, sheet, people, lang, pressed), finished, elapsed)


async def _rows(runner: ScriptRunner, sheet: Sheet, people: int, lang: str, pressed: set[int]) -> list[Row]:
    run = await _run(runner)
    async with runner.app.store.session() as session:
        steps = (
            await session.exec(select(Step).where(Step.run_id == run.id).order_by(col(Step.position)))
        ).all()
    # What the room saw during a step: everything shown from its announcement to the next one's.
    position, seen = 0, {}
    for shown in runner.world.shown:
        if shown.ref and shown.ref.startswith(f"agenda:{run.id}:"):
            position = int(shown.ref.rsplit(":", 1)[1])
        seen.setdefault(position, []).append(shown)
    rows = []
    for step in steps:
        if step.started_at is None or step.ended_at is None:
            continue
        spec = sheet.steps[step.position]
        row = Row(
            number=step.position + 1,
            title=spec.title[lang],
            kind=spec.kind,
            start=step.started_at,
            end=step.ended_at,
            planned=spec.planned(people),
            facilitator=step.position in pressed,
        )
        for shown in seen.get(step.position, []):
            if shown.place == "#main" and shown.lines:
                row.saw.append(shown.lines[0].split(" | ", 1)[-1])
            elif shown.place.startswith("DM "):
                row.private += 1
        rows.append(row)
    return rows


def print_timeline(timeline: Timeline, catalog, write: Callable[[str], None] = print) -> None:  # noqa: ANN001
    lang = timeline.lang

    def t(key: str, **params: object) -> str:
        return catalog.text(lang, f"agenda.rehearsal.{key}", **params)

    def clock(when: datetime) -> str:
        return when.astimezone(START.tzinfo).strftime("%H:%M")

    sheet = timeline.sheet
    write(
        t(
            "header",
            title=sheet.title[lang],
            file=sheet.file,
            count=timeline.people,
            start=START.strftime("%Y-%m-%d %H:%M %Z"),
        )
    )
    write(t("people", people=catalog.people(lang, [person(i)[0] for i in range(timeline.people)])))
    write("")
    count = len(sheet.steps)
    for row in timeline.rows:
        write(
            t(
                "step",
                start=clock(row.start),
                end=clock(row.end),
                number=row.number,
                count=count,
                title=row.title,
                kind=row.kind,
                length=catalog.duration(lang, row.seconds),
                planned=catalog.duration(lang, row.planned),
            )
        )
        for line in row.saw[:SHOWN_POSTS]:
            write(t("saw", text=line[:140]))
        if len(row.saw) > SHOWN_POSTS:
            write(t("more", count=len(row.saw) - SHOWN_POSTS))
        if row.private:
            write(t("private", count=row.private))
        if row.facilitator:
            write(t("facilitator"))
    write("")
    if not timeline.finished:
        write(t("unfinished", length=catalog.duration(lang, timeline.elapsed)))
    write(
        t(
            "total",
            length=catalog.duration(lang, timeline.total),
            planned=catalog.duration(lang, timeline.planned),
            sum=catalog.duration(lang, timeline.sum_of_steps),
        )
    )
