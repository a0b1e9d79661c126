"""Every script in tests/scenarios/ plays against the whole bot on every database backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.console.runner import run_script
from bot.config import Settings

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.tsu"))
# The operator's folder the scenarios run with (TSUNAGARI_PROMPTS_DIR): run sheets of their own in
# agenda/, among them one with a typo; no words or templates, so every other scenario reads ours.
OPERATOR_PROMPTS = Path(__file__).parent / "scenarios" / "prompts"


@pytest.mark.db
@pytest.mark.parametrize("script", SCENARIOS, ids=[path.stem for path in SCENARIOS])
async def test_scenario(script: Path, database_url: str) -> None:
    lines: list[str] = []
    settings = Settings().model_copy(update={"prompts_dir": OPERATOR_PROMPTS})
    await run_script(
        script.read_text("utf-8"), database_url=database_url, write=lines.append, settings=settings
    )
    assert lines, "a scenario that shows nothing checks nothing"
