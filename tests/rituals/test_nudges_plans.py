"""When a nudge reaches a person: quiet hours in their own zone, crossing midnight, and the 24-hour promise."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.rituals.nudges.plans import (
    delivery_time,
    is_quiet,
    load_plans,
    parse_plans,
    parse_span,
    waking_for_all,
)

TOKYO, LOS_ANGELES = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles")
PLANS = load_plans()


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


def test_the_default_plan_thanks_within_a_day_keeps_warm_after_a_week_and_checks_after_a_month() -> None:
    steps = {s.step: s for s in PLANS.steps("default")}
    assert steps["thanks"].after == timedelta(hours=3) and steps["thanks"].deliver_by == timedelta(hours=24)
    assert steps["warm"].after == timedelta(days=7)
    assert steps["stage"].after == timedelta(days=30)
    assert [s.step for s in PLANS.steps("light")] == ["thanks", "stage"]
    assert PLANS.steps("off") == ()
    assert (PLANS.quiet_start, PLANS.quiet_end) == (time(21), time(9))


@pytest.mark.parametrize(
    ("hour", "minute", "quiet"),
    [
        (20, 59, False),
        (21, 0, True),
        (23, 30, True),
        (0, 0, True),
        (3, 0, True),
        (8, 59, True),
        (9, 0, False),
    ],
)
def test_quiet_hours_cross_midnight(hour: int, minute: int, quiet: bool) -> None:
    assert is_quiet(local(TOKYO, 2026, 1, 15, hour, minute), TOKYO, time(21), time(9)) is quiet


def test_a_thank_you_due_at_midnight_in_tokyo_waits_for_nine_the_next_morning() -> None:
    end = local(TOKYO, 2026, 1, 15, 21, 0)
    when = delivery_time(
        end + timedelta(hours=3), TOKYO, PLANS, not_before=end, deliver_by=end + timedelta(hours=24)
    )
    assert when == local(TOKYO, 2026, 1, 16, 9, 0)
    assert when - end <= timedelta(hours=24)


def test_the_same_moment_is_morning_in_los_angeles_so_it_goes_out_there_on_time() -> None:
    end = local(TOKYO, 2026, 1, 16, 2, 0)  # 09:00 on the 15th in Los Angeles
    assert delivery_time(end, LOS_ANGELES, PLANS, not_before=end) == end


def test_an_evening_in_los_angeles_waits_past_midnight_for_nine() -> None:
    end = local(LOS_ANGELES, 2026, 1, 15, 19, 30)
    when = delivery_time(end + timedelta(hours=3), LOS_ANGELES, PLANS, not_before=end)
    assert when.astimezone(LOS_ANGELES) == local(LOS_ANGELES, 2026, 1, 16, 9, 0)


def test_when_the_morning_would_break_the_promise_the_last_waking_hour_before_it_is_used() -> None:
    plans = parse_plans(
        {"plans": {"default": [{"step": "thanks", "after": "20h", "deliver_by": "24h", "useful_for": "3d"}]}}
    )
    end = local(TOKYO, 2026, 1, 15, 12, 0)  # due 08:00 the next day (quiet); promise until 12:00 the next day
    when = delivery_time(
        end + timedelta(hours=20), TOKYO, plans, not_before=end, deliver_by=end + timedelta(hours=24)
    )
    assert when == local(TOKYO, 2026, 1, 16, 9, 0)  # 09:00 is still inside the promise
    end = local(TOKYO, 2026, 1, 15, 6, 0)  # due 02:00, promise until 06:00: no morning in time
    when = delivery_time(
        end + timedelta(hours=20), TOKYO, plans, not_before=end, deliver_by=end + timedelta(hours=24)
    )
    assert when == local(TOKYO, 2026, 1, 15, 20, 45)  # the evening before quiet hours, not in the night


def test_a_spring_forward_night_still_ends_at_nine_local_time() -> None:
    when = local(LOS_ANGELES, 2026, 3, 8, 1, 30)  # clocks jump 02:00 -> 03:00 that night
    assert delivery_time(when, LOS_ANGELES, PLANS, not_before=when).astimezone(LOS_ANGELES).hour == 9


def test_durations_in_plans_are_minutes_hours_or_days() -> None:
    assert parse_span("90m") == timedelta(minutes=90) and parse_span("7d") == timedelta(days=7)
    with pytest.raises(ValueError):
        parse_span("soon")
    with pytest.raises(ValueError):
        parse_plans({"plans": {"default": [{"step": "dance", "after": "1h", "useful_for": "1d"}]}})


def test_a_message_to_two_people_waits_until_both_are_awake_or_for_the_first_when_they_never_are():
    quiet = (time(21), time(9))
    tokyo, berlin, sao_paulo = (
        ZoneInfo("Asia/Tokyo"),
        ZoneInfo("Europe/Berlin"),
        ZoneInfo("America/Sao_Paulo"),
    )
    noon_utc = datetime(2026, 1, 22, 12, 0, tzinfo=ZoneInfo("UTC"))  # 21:00 in Tokyo, 13:00 in Berlin
    # Tokyo wakes at 00:00 UTC, when Berlin sleeps (01:00); both are awake from 08:00 UTC (17:00 / 09:00).
    both = waking_for_all(noon_utc, [tokyo, berlin], *quiet)
    assert both == datetime(2026, 1, 23, 8, 0, tzinfo=ZoneInfo("UTC"))
    assert not is_quiet(both, tokyo, *quiet) and not is_quiet(both, berlin, *quiet)
    # Awake already for both: no wait.
    morning = datetime(2026, 1, 22, 8, 30, tzinfo=ZoneInfo("UTC"))
    assert waking_for_all(morning, [tokyo, berlin], *quiet) == morning
    # Tokyo and São Paulo are 12 hours apart: one's waking hours are the other's night. The first's morning.
    assert waking_for_all(noon_utc, [tokyo, sao_paulo], *quiet) == datetime(
        2026, 1, 23, 0, 0, tzinfo=ZoneInfo("UTC")
    )
