"""Run sheets: the evening as a YAML file of steps, read and checked whole before anything runs.

Shipped sheets live in prompts/agenda/; an operator adds their own in $TSUNAGARI_PROMPTS_DIR/agenda/ (a
file of the same name replaces ours). A file with any error is refused, naming its line and what is wrong,
so a sheet never half-runs. Words are given in both languages in the one file:

    title: {en: "The January evening", ja: "1月の夜"}
    summary: {en: "…", ja: "…"}
    steps:
      - name: meaning                       # short, lowercase
        kind: talk                          # prompt | talk | turns | board | pairs | oneonone | break | end
        minutes: 15                         # how long the step lasts (turns: `each`, per speaker)
        each: 3                             # talk: instead of `minutes`, each person's turn in minutes
        then: next                          # next: move on by itself; wait: wait for the facilitator
        title: {en: "…", ja: "…"}
        say: {en: "…", ja: "…"}             # posted to the room when the step begins
        size: 2                             # talk, pairs: people per group
        bridge: [org, region, generation]   # talk, pairs: what the groups bridge
        min: 3                              # board: cards needed before the reveal
        template: reflect                   # oneonone: the one-on-one template
"""

from __future__ import annotations

import difflib
import importlib.util
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bot.i18n import LANGUAGES

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
KINDS = ("prompt", "talk", "turns", "board", "pairs", "oneonone", "break", "end")
THEN = ("next", "wait")
BRIDGES = ("org", "region", "generation", "role")
MAX_STEPS = 30
MIN_MINUTES, MAX_MINUTES = 0.5, 180
MIN_EACH, MAX_EACH = 0.5, 30
TALK_TURN_MIN, TALK_TURN_MAX = 30, 30 * 60  # a talk's turn, as bot.rituals.talk allows
COMMON = {"name", "kind", "minutes", "then", "title", "say"}
FIELDS = {
    "prompt": COMMON,
    "talk": COMMON | {"size", "bridge", "each"},
    "turns": COMMON - {"minutes"} | {"each"},
    "board": COMMON | {"min"},
    "pairs": COMMON | {"size", "bridge"},
    "oneonone": COMMON | {"template"},
    "break": COMMON,
    "end": COMMON - {"minutes", "then"} | {"end_event"},
}
TOP = {"title", "summary", "steps"}


def talk_available() -> bool:
    """Timed small-group talk comes from another part of the bot (bot/rituals/talk, branch `talk`)."""
    return importlib.util.find_spec("bot.rituals.talk") is not None


def largest_group(people: int, size: int) -> int:
    """The largest group a room of `people` makes in groups of `size` (as the matcher makes them)."""
    from bot.rituals.pairing.grouping import group_sizes

    return max(group_sizes(people, size)) if people >= 2 else size


class SheetError(ValueError):
    """What is wrong with a sheet: `problem` is a key under `agenda.problem` in prompts/, with its params."""

    def __init__(self, file: str, line: int | None, problem: str, **params: Any) -> None:
        super().__init__(f"{file}:{line}: {problem} {params}")
        self.file, self.line, self.problem, self.params = file, line, problem, params


@dataclass(frozen=True)
class SheetStep:
    name: str
    kind: str
    title: dict[str, str]
    say: dict[str, str]
    seconds: int | None  # the step's length; turns: None (each speaker has `each_seconds`); end: None
    then: str = "next"
    each_seconds: int | None = None
    size: int = 2
    bridge: tuple[str, ...] = ()
    min_cards: int = 3
    template: str = "reflect"
    end_event: bool = True

    def planned(self, people: int) -> int:
        """Seconds this step is planned to take in a room of `people`."""
        if self.kind == "turns":
            return (self.each_seconds or 0) * people
        if self.kind == "talk":  # a step of `each` minutes lasts as long as its largest group needs
            return self.talk_turn(people) * largest_group(people, self.size)
        return self.seconds or 0

    def talk_turn(self, people: int) -> int:
        """A talk's turn for each person: the step's time shared out in the largest group (a trio in a
        room of pairs), on a 30-second grid, so every group comes back within the step."""
        if self.each_seconds:  # the sheet gives each person's turn; the step lasts as its groups need
            return max(TALK_TURN_MIN, min(TALK_TURN_MAX, self.each_seconds))
        share = (self.seconds or 0) // largest_group(people, self.size)
        return max(TALK_TURN_MIN, min(TALK_TURN_MAX, share // 30 * 30))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "title": dict(self.title),
            "say": dict(self.say),
            "seconds": self.seconds,
            "then": self.then,
            "each_seconds": self.each_seconds,
            "size": self.size,
            "bridge": list(self.bridge),
            "min_cards": self.min_cards,
            "template": self.template,
            "end_event": self.end_event,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SheetStep:
        return cls(**{**data, "bridge": tuple(data.get("bridge") or ())})


@dataclass(frozen=True)
class Sheet:
    name: str
    file: str
    title: dict[str, str]
    summary: dict[str, str]
    steps: tuple[SheetStep, ...]

    def planned(self, people: int) -> int:
        return sum(step.planned(people) for step in self.steps)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.file,
            "title": dict(self.title),
            "summary": dict(self.summary),
            "steps": [step.as_dict() for step in self.steps],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sheet:
        return cls(
            name=data["name"],
            file=data["file"],
            title=dict(data["title"]),
            summary=dict(data["summary"]),
            steps=tuple(SheetStep.from_dict(step) for step in data["steps"]),
        )


# -- reading YAML with the line of every key ----------------------------------------------------------------
class _Mapping(dict):
    """A YAML mapping that remembers where it starts and where each of its keys is."""

    line: int = 0
    lines: dict[str, int]


class _Loader(yaml.SafeLoader):
    file = ""


def _mapping(loader: _Loader, node: yaml.MappingNode) -> _Mapping:
    loader.flatten_mapping(node)
    found = _Mapping()
    found.line, found.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise SheetError(loader.file, line, "key_not_word", field=str(key)[:40])
        if key in found:
            raise SheetError(loader.file, line, "twice", field=key)
        found[key] = loader.construct_object(value_node, deep=True)
        found.lines[key] = line
    return found


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _guess(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(word), sorted(choices), n=1, cutoff=0.6)
    return close[0] if close else ""


# -- checking -----------------------------------------------------------------------------------------------
class _Check:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, line: int | None, problem: str, **params: Any) -> SheetError:
        return SheetError(self.file, line, problem, **params)

    def fields(self, node: _Mapping, allowed: set[str], where: str) -> None:
        for key in node:
            if key not in allowed:
                guess = _guess(key, allowed)
                raise self.fail(
                    node.lines[key],
                    "unknown_field_guess" if guess else "unknown_field",
                    field=key[:40],
                    where=where,
                    guess=guess,
                    fields=", ".join(sorted(allowed)),
                )

    def words(self, node: _Mapping, key: str, *, required: bool = True) -> dict[str, str]:
        value = node.get(key)
        line = node.lines.get(key, node.line)
        if value is None:
            if required:
                raise self.fail(node.line, "missing", field=key)
            return {}
        if not isinstance(value, dict):
            raise self.fail(line, "words", field=key)
        extra = [lang for lang in value if lang not in LANGUAGES]
        if extra:
            raise self.fail(line, "words_language", field=key, language=str(extra[0])[:10])
        for lang in LANGUAGES:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                raise self.fail(value.lines.get(lang, line), "words", field=key)
        return {lang: value[lang].strip() for lang in LANGUAGES}

    def minutes(self, node: _Mapping, key: str, low: float, high: float) -> int | None:
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise self.fail(node.lines[key], "minutes", field=key, min=f"{low:g}", max=f"{high:g}")
        return round(value * 60)

    def whole(self, node: _Mapping, key: str, low: int, high: int, default: int) -> int:
        value = node.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(node.lines.get(key, node.line), "number", field=key, min=low, max=high)
        return value

    def step(self, node: Any, number: int, line: int) -> SheetStep:
        if not isinstance(node, _Mapping):
            raise self.fail(line, "step_not_mapping", number=number)
        kind = node.get("kind")
        if kind is None:
            raise self.fail(node.line, "missing", field="kind")
        if kind not in KINDS:
            guess = _guess(kind, KINDS)
            raise self.fail(
                node.lines["kind"],
                "kind_guess" if guess else "kind",
                value=str(kind)[:40],
                guess=guess,
                kinds=", ".join(KINDS),
            )
        name = node.get("name")
        if name is None:
            raise self.fail(node.line, "missing", field="name")
        if not isinstance(name, str) or not NAME.match(name):
            raise self.fail(node.lines["name"], "name", value=str(name)[:40])
        if kind == "talk" and not talk_available():
            raise self.fail(node.lines["kind"], "needs_talk")
        self.fields(node, FIELDS[kind], kind)
        then = node.get("then", "next")
        if then not in THEN:
            raise self.fail(node.lines["then"], "then", value=str(then)[:40])
        seconds = each = None
        if kind == "turns" or (kind == "talk" and "each" in node):
            each = self.minutes(node, "each", MIN_EACH, MAX_EACH)
            if each is None:
                raise self.fail(node.line, "missing", field="each")
            if kind == "talk" and "minutes" in node:  # one or the other: which would win is a guess
                raise self.fail(node.lines["minutes"], "each_or_minutes")
        elif kind != "end":
            seconds = self.minutes(node, "minutes", MIN_MINUTES, MAX_MINUTES)
            if seconds is None:
                raise self.fail(node.line, "missing", field="minutes")
        bridge: tuple[str, ...] = ()
        if "bridge" in node:
            raw = node["bridge"]
            if not isinstance(raw, list) or not raw or any(item not in BRIDGES for item in raw):
                raise self.fail(node.lines["bridge"], "bridge", choices=", ".join(BRIDGES))
            bridge = tuple(raw)
        template = node.get("template", "reflect")
        if not isinstance(template, str) or not NAME.match(template):
            raise self.fail(node.lines.get("template", node.line), "name", value=str(template)[:40])
        end_event = node.get("end_event", True)
        if not isinstance(end_event, bool):
            raise self.fail(node.lines["end_event"], "flag", field="end_event")
        return SheetStep(
            name=name,
            kind=kind,
            title=self.words(node, "title"),
            say=self.words(node, "say", required=kind not in ("break",)) or {},
            seconds=seconds,
            then=then if kind != "end" else "next",
            each_seconds=each,
            size=self.whole(node, "size", 2, 4, 2),
            bridge=bridge,
            min_cards=self.whole(node, "min", 2, 100, 3),
            template=template,
            end_event=end_event,
        )


def parse(name: str, file: str, text: str) -> Sheet:
    """A sheet from a file's text, or SheetError naming the line and what is wrong."""
    check = _Check(file)
    if not NAME.match(name):
        raise check.fail(None, "file_name")
    loader = _Loader(text)
    loader.file = file
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise check.fail(mark.line + 1 if mark else None, "syntax", detail=error.problem or "") from None
    except yaml.YAMLError as error:
        raise check.fail(None, "syntax", detail=str(error)[:80]) from None
    finally:
        loader.dispose()
    if not isinstance(data, _Mapping):
        raise check.fail(1, "not_mapping")
    check.fields(data, TOP, "sheet")
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise check.fail(data.lines.get("steps", data.line), "no_steps")
    if len(steps) > MAX_STEPS:
        raise check.fail(data.lines["steps"], "too_many_steps", count=len(steps), max=MAX_STEPS)
    parsed: list[SheetStep] = []
    line = data.lines["steps"]
    for number, node in enumerate(steps, start=1):
        line = node.line if isinstance(node, _Mapping) else line
        step = check.step(node, number, line)
        if any(earlier.name == step.name for earlier in parsed):
            raise check.fail(node.lines["name"], "same_name", value=step.name)
        if parsed and parsed[-1].kind == "end":
            raise check.fail(node.line, "after_end")
        parsed.append(step)
    return Sheet(
        name=name,
        file=file,
        title=check.words(data, "title"),
        summary=check.words(data, "summary"),
        steps=tuple(parsed),
    )


# -- finding ------------------------------------------------------------------------------------------------
def _folders(extra: Path | None) -> list[tuple[Any, str]]:
    """(folder, how its files are named in messages): ours first, the operator's after, so theirs win."""
    folders: list[tuple[Any, str]] = [(resources.files("prompts") / "agenda", "prompts/agenda")]
    if extra is not None:
        folders.append((Path(extra) / "agenda", str(Path(extra) / "agenda")))
    return folders


def files(extra: Path | None) -> dict[str, tuple[Any, str]]:
    """Every sheet file by name: (the file, its name as messages show it)."""
    found: dict[str, tuple[Any, str]] = {}
    for folder, shown in _folders(extra):
        if not folder.is_dir():
            continue
        for item in sorted(folder.iterdir(), key=lambda p: p.name):
            if item.name.endswith((".yaml", ".yml")) and item.is_file():
                found[item.name.rsplit(".", 1)[0]] = (item, f"{shown}/{item.name}")
    return found


def read(name: str, item: Any, shown: str) -> Sheet:
    try:
        text = item.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        detail = str(getattr(error, "strerror", "") or error)[:80]
        raise SheetError(shown, None, "unreadable", detail=detail) from None
    return parse(name, shown, text)


def find(name: str, extra: Path | None) -> Sheet | None:
    """The sheet called `name`, or None; SheetError if its file is wrong."""
    entry = files(extra).get(name)
    if entry is None:
        return None
    return read(name, *entry)


def load_file(path: Path) -> Sheet:
    """A sheet from a file anywhere (the rehearsal of a sheet not yet installed)."""
    name = path.name.rsplit(".", 1)[0]
    return read(name, path, str(path))


def every(extra: Path | None) -> list[Sheet | SheetError]:
    """Every sheet, in name order; a broken one as its error (the list shows what to fix)."""
    found: list[Sheet | SheetError] = []
    for name, entry in files(extra).items():
        try:
            found.append(read(name, *entry))
        except SheetError as error:
            found.append(error)
    return found
