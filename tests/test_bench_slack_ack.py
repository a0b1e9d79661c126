"""bench/slack_ack.py at a toy size: both apps are served, acked and stopped, and ours does the work."""

from __future__ import annotations

from pathlib import Path

from bench.slack_ack import measure


async def test_both_apps_ack_a_small_burst_and_stop(tmp_path: Path) -> None:
    for kind in ("bare", "tsunagari"):
        row = await measure(kind, 10, 3, str(tmp_path))
        assert row["failures"] == 0, f"{kind}: every command was acked with a 200"
    assert row["replies"] == 10, "Tsunagari answered each command through the fake's response_url"
