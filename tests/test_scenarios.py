"""Every script in tests/scenarios/ plays against the whole bot on every database backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.console.runner import run_script

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.tsu"))


@pytest.mark.db
@pytest.mark.parametrize("script", SCENARIOS, ids=[path.stem for path in SCENARIOS])
async def test_scenario(script: Path, database_url: str) -> None:
    lines: list[str] = []
    await run_script(script.read_text("utf-8"), database_url=database_url, write=lines.append)
    assert lines, "a scenario that shows nothing checks nothing"
