"""Nudge plans (prompts/nudge_plans.yaml) and quiet hours: when each step of a plan reaches a person."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

STEPS = ("thanks", "warm", "stage")
_DURATION = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")


def parse_span(text: str | int) -> timedelta:
    match = _DURATION.match(str(text))
    if match is None:
        raise ValueError(f"nudge plan duration {text!r}: write 90m, 3h or 7d")
    amount, unit = int(match.group(1)), match.group(2)
    return {"m": timedelta(minutes=amount), "h": timedelta(hours=amount), "d": timedelta(days=amount)}[unit]


@dataclass(frozen=True)
class PlanStep:
    step: str
    after: timedelta
    useful_for: timedelta
    deliver_by: timedelta | None = None


@dataclass(frozen=True)
class Plans:
    plans: dict[str, tuple[PlanStep, ...]]
    quiet_start: time
    quiet_end: time
    snooze: timedelta

    def steps(self, name: str) -> tuple[PlanStep, ...]:
        return self.plans.get(name, self.plans["default"])

    def step(self, plan: str, step: str) -> PlanStep | None:
        return next((s for s in self.steps(plan) if s.step == step), None)


def parse_plans(document: dict) -> Plans:
    plans: dict[str, tuple[PlanStep, ...]] = {}
    for name, steps in (document.get("plans") or {}).items():
        parsed = []
        for raw in steps or []:
            if raw["step"] not in STEPS:
                raise ValueError(f"nudge plan {name}: unknown step {raw['step']!r}")
            parsed.append(
                PlanStep(
                    raw["step"],
                    parse_span(raw["after"]),
                    parse_span(raw["useful_for"]),
                    parse_span(raw["deliver_by"]) if raw.get("deliver_by") else None,
                )
            )
        plans[str(name)] = tuple(parsed)
    if "default" not in plans:
        raise ValueError("nudge plans need a `default` plan")
    quiet = document.get("quiet_hours") or {}
    return Plans(
        plans,
        time.fromisoformat(quiet.get("start", "21:00")),
        time.fromisoformat(quiet.get("end", "09:00")),
        parse_span(document.get("snooze", "1d")),
    )


@lru_cache(maxsize=1)
def load_plans() -> Plans:
    text = (resources.files("prompts") / "nudge_plans.yaml").read_text("utf-8")
    return parse_plans(yaml.safe_load(text))


def zone_of(*names: str | None) -> ZoneInfo:
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def is_quiet(when: datetime, zone: ZoneInfo, start: time, end: time) -> bool:
    local = when.astimezone(zone).time()
    if start <= end:  # a window inside one day
        return start <= local < end
    return local >= start or local < end  # the usual case: it crosses midnight


def next_waking(when: datetime, zone: ZoneInfo, start: time, end: time) -> datetime:
    """`when` itself if it is outside quiet hours, else the morning that ends them, in UTC."""
    if not is_quiet(when, zone, start, end):
        return when
    local = when.astimezone(zone)
    morning = datetime.combine(local.date(), end, tzinfo=zone)
    if morning <= local:
        morning = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=zone)
    # Wall-clock arithmetic in the zone, then back to UTC (a DST jump moves the instant, not the hour).
    return morning.astimezone(UTC)


def waking_for_all(when: datetime, zones: list[ZoneInfo], start: time, end: time) -> datetime:
    """The first moment at or after `when` outside quiet hours in every zone (a message to two people in
    Tokyo and Berlin waits for an hour both are awake). If their waking hours never meet, the first
    zone's morning."""
    candidate = when
    for _ in range(2 * len(zones) + 1):
        moved = candidate
        for zone in zones:
            moved = next_waking(moved, zone, start, end)
        if moved == candidate:
            return candidate
        candidate = moved
    return next_waking(when, zones[0], start, end) if zones else when


def last_waking_before(deadline: datetime, zone: ZoneInfo, start: time, end: time) -> datetime:
    """The latest moment at or before `deadline` outside quiet hours: the deadline, or the evening before."""
    if not is_quiet(deadline, zone, start, end):
        return deadline
    local = deadline.astimezone(zone)
    evening = datetime.combine(local.date(), start, tzinfo=zone)
    if evening > local:
        evening = datetime.combine(local.date() - timedelta(days=1), start, tzinfo=zone)
    return (evening - timedelta(minutes=15)).astimezone(UTC)


def delivery_time(
    planned: datetime,
    zone: ZoneInfo,
    plans: Plans,
    *,
    not_before: datetime,
    deliver_by: datetime | None = None,
) -> datetime:
    """When a nudge planned for `planned` should reach someone in `zone`.

    Never in their quiet hours. If the next morning would break a promise (`deliver_by`), the last
    waking moment before the promise is used instead, as long as it is not in the past.
    """
    planned = max(planned, not_before)
    candidate = next_waking(planned, zone, plans.quiet_start, plans.quiet_end)
    if deliver_by is not None and candidate > deliver_by:
        earlier = last_waking_before(deliver_by, zone, plans.quiet_start, plans.quiet_end)
        if earlier >= not_before:
            return earlier
    return candidate
