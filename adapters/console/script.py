"""The console script language (DESIGN.md): one step per line, parsed before anything runs."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ScriptError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Step:
    line: int
    verb: str  # at | say | click | submit | wait | expect | restart | refuse_dms | allow_dms | locale | part
    user: str | None = None
    channel: str = "#main"
    text: str = ""
    values: dict[str, str] = field(default_factory=dict)
    delta: timedelta = timedelta(0)
    when: datetime | None = None
    zone: str | None = None
    negate: bool = False


NAME = r"[A-Za-z0-9_.\-]+"
_AT = re.compile(r"^at\s+(\d{4}-\d{2}-\d{2})\s+(\d{1,2}:\d{2})(?:\s+(\S+))?$")
_SAY = re.compile(rf"^({NAME})(?:\s+in\s+(#[\w\-]+))?:\s*(.*)$")
_CLICK = re.compile(rf'^({NAME})\s+clicks\s+"([^"]+)"$')
_SUBMIT = re.compile(rf'^({NAME})\s+submits\s+"([^"]+)"(.*)$')
_EXPECT = re.compile(r'^expect\s+(no\s+)?(#[\w\-]+|DM\s+\S+|\S+\s+only|\S+\s+form)\s+"(.*)"$')
_WAIT = re.compile(r"^wait\s+((?:\d+\s*[dhms]\s*)+)$")
_DMS = re.compile(rf"^({NAME})\s+(refuses|allows)\s+DMs$")
_LOCALE = re.compile(rf"^({NAME})\s+speaks\s+(\w[\w\-]*)$")
# A heading for a part of the evening, shown when the script is narrated (the demo); its words are
# `console.part.<name>` in prompts/. Scripts that check behaviour may leave them out.
_PART = re.compile(r"^part\s+([a-z_]+)$")


def parse_wait(text: str) -> timedelta:
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    return timedelta(seconds=sum(int(n) * units[u] for n, u in re.findall(r"(\d+)\s*([dhms])", text)))


def parse_script(text: str) -> list[Step]:
    steps: list[Step] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        steps.append(parse_line(number, line, first=not steps))
    return steps


def parse_line(number: int, line: str, *, first: bool = False) -> Step:
    if match := _AT.match(line):
        if not first:
            raise ScriptError(number, "`at` may only be the first step")
        zone = match.group(3) or "UTC"
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ScriptError(number, f"unknown time zone {zone!r}") from None
        try:
            when = datetime.fromisoformat(f"{match.group(1)} {match.group(2).zfill(5)}").replace(tzinfo=tz)
        except ValueError:
            raise ScriptError(number, "a date and time like 2026-01-15 18:00") from None
        return Step(number, "at", when=when, zone=zone)
    if line == "restart":
        return Step(number, "restart")
    if match := _PART.match(line):
        return Step(number, "part", text=match.group(1))
    if match := _WAIT.match(line):
        return Step(number, "wait", delta=parse_wait(match.group(1)))
    if match := _EXPECT.match(line):
        return Step(
            number,
            "expect",
            channel=" ".join(match.group(2).split()),
            text=match.group(3),
            negate=bool(match.group(1)),
        )
    if match := _CLICK.match(line):
        return Step(number, "click", user=match.group(1), text=match.group(2))
    if match := _SUBMIT.match(line):
        try:
            pairs = shlex.split(match.group(3))
        except ValueError as error:
            raise ScriptError(number, f"form values: {error}") from None
        values = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep:
                raise ScriptError(number, f"form values are key=value, not {pair!r}")
            values[key] = value
        return Step(number, "submit", user=match.group(1), text=match.group(2), values=values)
    if match := _DMS.match(line):
        return Step(number, "refuse_dms" if match.group(2) == "refuses" else "allow_dms", user=match.group(1))
    if match := _LOCALE.match(line):
        return Step(number, "locale", user=match.group(1), text=match.group(2))
    if match := _SAY.match(line):
        text = match.group(3).strip()
        if not text.startswith("/tsunagari"):
            raise ScriptError(number, "a person's line must be a /tsunagari command")
        return Step(number, "say", user=match.group(1), channel=match.group(2) or "#main", text=text)
    raise ScriptError(number, f"I can't read this line: {line[:80]!r}")
