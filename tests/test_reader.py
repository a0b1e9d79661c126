"""Each reader's language and zone, decided in one place; an event's zone when nobody names one."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from adapters.console.runner import run_script
from bot.cli import main
from bot.config import Settings
from bot.reader import language_of, zone_name_of
from bot.store.models import Event, Member
from tests.support import Chat

SCENARIOS = Path(__file__).parent / "scenarios"


def member(**values: str) -> Member:
    return Member(tenant_id="t", user_id="u", **values)


def event(lang: str = "en", tz: str = "UTC") -> Event:
    return Event(tenant_id="t", channel_id="c", name="e", lang=lang, tz=tz)


@pytest.mark.parametrize(
    ("settings", "profile", "the_event", "expected"),
    [
        ({"locale": "ja", "locale_hint": "en-US"}, "en", event("en"), "ja"),  # what they chose
        ({"locale_hint": "ja-JP"}, "en", event("en"), "ja"),  # else their platform's
        ({}, "ja", event("en"), "ja"),  # else the one language of their profile
        ({}, "ja,ko", event("en"), "ja"),  # ... the one we speak
        ({}, "ja,en", event("en"), "en"),  # two we speak: the event decides
        ({}, None, event("ja"), "ja"),  # else the event's
        ({}, None, event("ja,en"), "ja"),  # its first language
        ({}, None, None, "en"),  # else the default
    ],
)
def test_a_readers_language_in_order(settings, profile, the_event, expected) -> None:
    assert language_of(member(**settings), profile=profile, event=the_event, default="en") == expected


def test_a_readers_zone_in_order() -> None:
    tokyo = event(tz="Asia/Tokyo")
    assert zone_name_of(member(tz="Europe/Paris", tz_hint="America/New_York"), tokyo) == "Europe/Paris"
    assert zone_name_of(member(tz_hint="America/New_York"), tokyo) == "America/New_York"
    assert zone_name_of(member(tz_hint="Not/AZone"), tokyo) == "Asia/Tokyo"
    assert zone_name_of(member(), None) == "UTC"


def test_an_invalid_default_zone_is_an_error_naming_the_setting(monkeypatch, capsys) -> None:
    monkeypatch.setenv("TSUNAGARI_DEFAULT_TZ", "Tokyo")
    with pytest.raises(ValidationError, match="TSUNAGARI_DEFAULT_TZ"):
        Settings()
    assert main(["db", "upgrade"]) == 2
    assert "TSUNAGARI_DEFAULT_TZ" in capsys.readouterr().err
    monkeypatch.setenv("TSUNAGARI_DEFAULT_TZ", "asia/tokyo")
    assert Settings().default_tz == "Asia/Tokyo"


@pytest.mark.db
async def test_the_default_zone_setting_comes_before_the_events_language(database_url: str) -> None:
    chat = Chat(database_url, datetime(2026, 1, 15, 9, 0, tzinfo=ZoneInfo("UTC")))
    chat.settings = chat.runner.settings = chat.settings.model_copy(update={"default_tz": "Europe/Berlin"})
    await chat.start()
    try:
        lines = await chat.say("kenji", "/tsunagari event start Night --lang ja")
        assert any("Europe/Berlin（このボットの既定）" in line for line in lines)
    finally:
        await chat.close()


@pytest.mark.db
async def test_a_japanese_event_without_tz_sends_every_nudge_between_nine_and_nine(database_url: str) -> None:
    lines: list[str] = []
    script = (SCENARIOS / "lang_tokyo_default_ja.tsu").read_text("utf-8")
    await run_script(script, database_url=database_url, write=lines.append)
    # The script's clock is shown in Tokyo time (its `at` line): every DM lands in the waking day there.
    times = [re.match(r"\[(\d\d):(\d\d)\] DM ", line) for line in lines]
    shown = [int(m.group(1)) * 60 + int(m.group(2)) for m in times if m]
    assert len(shown) >= 6, "thank-yous, keep-warm chats and stage checks for both"
    assert all(9 * 60 <= minute <= 21 * 60 for minute in shown), lines
