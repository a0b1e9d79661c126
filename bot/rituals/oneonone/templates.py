"""One-on-one templates: YAML scripts of steps in prompts/<lang>/oneonone/, plus any a facilitator drops into
$TSUNAGARI_PROMPTS_DIR/<lang>/oneonone/. They are read when a one-on-one starts, so a new file needs no
restart and no code; a file that does not read as a template is logged and left out, never half-used.

    title: "Reflect"
    summary: "…"                   # {first}: who speaks first; {length}: a turn's length as started
    minutes: 3                      # a speaking turn's length unless a step names its own (--minutes overrides)
    followup_days: 7                # optional: a follow-up DM this many days after the end
    closing: "…"
    steps:
      - name: mind
        kind: turns                 # one turn each, the partner first | prompt (a timed step for both) | collect
        say: "{speaker} … {listener} … until {until} ({length})"
      - name: action
        kind: collect               # each fills in a form (or `oneonone action TEXT` for an input named action)
        minutes: 5                  # optional: move on after this long even if someone hasn't answered
        say: "…"
        button: "Write my action"
        form_title: "My action"
        inputs:
          - {name: action, label: "One action I'll take"}
"""

from __future__ import annotations

import logging
import re
import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bot.actions import MAX_FORM_INPUTS
from bot.i18n import FALLBACK, LANGUAGES

log = logging.getLogger(__name__)

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
KINDS = ("turns", "prompt", "collect")
INPUT_KINDS = ("text", "paragraph", "select")
SAY_PLACEHOLDERS = {
    "turns": {"speaker", "listener", "until", "length"},
    "prompt": {"until", "length"},
    "collect": {"until"},
}
MIN_MINUTES, MAX_MINUTES = 0.5, 30


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Input:
    name: str
    label: str
    kind: str = "text"
    required: bool = True
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepSpec:
    name: str
    kind: str
    say: str
    minutes: float | None = None
    button: str | None = None
    form_title: str | None = None
    inputs: tuple[Input, ...] = ()

    def input(self, name: str) -> Input | None:
        return next((item for item in self.inputs if item.name == name), None)


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    summary: str
    closing: str
    minutes: float
    followup_days: int | None
    steps: tuple[StepSpec, ...]

    def step(self, name: str | None) -> StepSpec | None:
        return next((step for step in self.steps if step.name == name), None)

    def action_step(self) -> StepSpec | None:
        """The collect step with an input named `action`: where `oneonone action TEXT` writes."""
        return next((s for s in self.steps if s.kind == "collect" and s.input("action")), None)


def fill(text: str, **params: Any) -> str:
    """Fill a template's sentence; the placeholders were checked when the file was read."""
    return text.format(**params)


def _text(node: dict, key: str, where: str, *, required: bool = True, allowed: set[str] = frozenset()) -> str:
    value = node.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise TemplateError(f"{where}: `{key}` must be a non-empty sentence")
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as error:
        raise TemplateError(f"{where}: `{key}` has a broken placeholder ({error})") from None
    unknown = names - allowed
    if unknown:
        raise TemplateError(
            f"{where}: `{key}` uses {{{sorted(unknown)[0]}}}; it may use {sorted(allowed) or 'no placeholders'}"
        )
    return value.strip()


def _minutes(node: dict, where: str) -> float | None:
    value = node.get("minutes")
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not MIN_MINUTES <= value <= MAX_MINUTES
    ):
        raise TemplateError(f"{where}: `minutes` must be a number from {MIN_MINUTES} to {MAX_MINUTES}")
    return float(value)


def _input(node: Any, where: str) -> Input:
    if not isinstance(node, dict):
        raise TemplateError(f"{where}: each input is a mapping with a name and a label")
    name = node.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise TemplateError(f"{where}: an input needs a short lowercase `name`")
    kind = node.get("kind", "text")
    if kind not in INPUT_KINDS:
        raise TemplateError(f"{where}: input `{name}` has kind {kind!r}; use one of {', '.join(INPUT_KINDS)}")
    choices = tuple(str(c) for c in node.get("choices") or ())
    if kind == "select" and not choices:
        raise TemplateError(f"{where}: the select input `{name}` needs `choices`")
    return Input(
        name,
        _text(node, "label", f"{where}, input {name}"),
        kind,
        bool(node.get("required", True)),
        choices,
    )


def _step(node: Any, where: str) -> StepSpec:
    if not isinstance(node, dict):
        raise TemplateError(f"{where}: each step is a mapping")
    name, kind = node.get("name"), node.get("kind")
    if not isinstance(name, str) or not NAME.match(name):
        raise TemplateError(f"{where}: a step needs a short lowercase `name`")
    where = f"{where} `{name}`"
    if kind not in KINDS:
        raise TemplateError(f"{where}: `kind` must be one of {', '.join(KINDS)}")
    inputs: tuple[Input, ...] = ()
    button = form_title = None
    if kind == "collect":
        raw_inputs = node.get("inputs")
        if not isinstance(raw_inputs, list) or not raw_inputs:
            raise TemplateError(f"{where}: a collect step needs `inputs`")
        if len(raw_inputs) > MAX_FORM_INPUTS:  # a form holds five inputs on every platform
            raise TemplateError(
                f"{where}: a collect step holds at most {MAX_FORM_INPUTS} inputs, not {len(raw_inputs)}"
            )
        inputs = tuple(_input(item, where) for item in raw_inputs)
        if len({i.name for i in inputs}) != len(inputs):
            raise TemplateError(f"{where}: two inputs share a name")
        button = _text(node, "button", where)
        form_title = _text(node, "form_title", where)
    return StepSpec(
        name,
        kind,
        _text(node, "say", where, allowed=SAY_PLACEHOLDERS[kind]),
        _minutes(node, where),
        button,
        form_title,
        inputs,
    )


def parse(name: str, data: Any) -> Template:
    """A template from a file's YAML, or TemplateError saying what to fix."""
    if not NAME.match(name):
        raise TemplateError(f"{name}: a template's file name must be short, lowercase, without spaces")
    if not isinstance(data, dict):
        raise TemplateError(f"{name}: the file must be a mapping with a title and steps")
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps or len(steps) > 20:
        raise TemplateError(f"{name}: `steps` must list between 1 and 20 steps")
    parsed = tuple(_step(step, f"{name}, step {n + 1}") for n, step in enumerate(steps))
    if len({s.name for s in parsed}) != len(parsed):
        raise TemplateError(f"{name}: two steps share a name")
    followup = data.get("followup_days")
    if followup is not None and (
        isinstance(followup, bool) or not isinstance(followup, int) or not 1 <= followup <= 90
    ):
        raise TemplateError(f"{name}: `followup_days` must be a whole number of days from 1 to 90")
    return Template(
        name=name,
        title=_text(data, "title", name),
        summary=_text(data, "summary", name, allowed={"first", "length"}),
        closing=_text(data, "closing", name),
        minutes=_minutes(data, name) or 3.0,
        followup_days=followup,
        steps=parsed,
    )


def _folders(lang: str, extra: Path | None) -> list[Any]:
    folders: list[Any] = [resources.files("prompts") / lang / "oneonone"]
    if extra is not None:
        folders.append(Path(extra) / lang / "oneonone")
    return folders


def load(lang: str, extra: Path | None = None) -> dict[str, Template]:
    """Every readable template in one language; a facilitator's file of the same name replaces ours."""
    found: dict[str, Template] = {}
    for folder in _folders(lang, extra):
        if not folder.is_dir():
            continue
        for item in sorted(folder.iterdir(), key=lambda p: p.name):
            if not item.name.endswith((".yaml", ".yml")) or not item.is_file():
                continue
            name = item.name.rsplit(".", 1)[0]
            try:
                found[name] = parse(name, yaml.safe_load(item.read_text("utf-8")))
            except (TemplateError, yaml.YAMLError) as error:
                log.warning("one-on-one template %s/%s left out: %s", lang, item.name, error)
    return found


def find(name: str, lang: str, extra: Path | None = None) -> Template | None:
    """`name` in the reader's language, else in English (a facilitator may write one language only)."""
    for language in dict.fromkeys((lang if lang in LANGUAGES else FALLBACK, FALLBACK, *LANGUAGES)):
        template = load(language, extra).get(name)
        if template is not None:
            return template
    return None


def names(lang: str, extra: Path | None = None) -> list[str]:
    every: dict[str, None] = {}
    for language in dict.fromkeys((lang, FALLBACK, *LANGUAGES)):
        every.update(dict.fromkeys(load(language, extra)))
    return sorted(every)
