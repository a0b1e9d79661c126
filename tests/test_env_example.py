"""`.env.example` lists every setting the bot reads (the README says so), each spelled as Settings reads it."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import Settings

EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"


def test_every_setting_is_in_env_example() -> None:
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", EXAMPLE.read_text("utf-8"), flags=re.MULTILINE))
    settings = {field.alias or name.upper() for name, field in Settings.model_fields.items()}
    assert sorted(settings - listed) == []
    assert sorted(listed - settings) == [], "listed in .env.example, but no setting reads it"
