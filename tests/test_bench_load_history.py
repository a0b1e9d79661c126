"""bench/load.py --history at a toy size: the filled database is copied for every run with history, and
the runs alternate which goes first."""

from __future__ import annotations

import pytest

from bench.load import main


def test_history_runs_alternate_on_copies_of_one_filled_database(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--quick", "--history", "2", "--repeat", "2"])  # its exit code: whether the toy run met targets
    out = capsys.readouterr().out
    assert out.count("internal errors       0") == out.count("milestones missing    0") == 4
    starts = [line.split(":")[0] for line in out.splitlines() if line.startswith("run on ")]
    # none, then history; then history first: four fresh databases, two of them copies of the filled one.
    assert starts == [
        "run on SQLite",
        "run on SQLite, 2 earlier events",
        "run on SQLite, 2 earlier events",
        "run on SQLite",
    ]
    assert out.count("earlier events filled once") == 1
    table = out[out.index("flat in history") :]
    pairs = next(line for line in table.splitlines() if line.startswith("pairs "))
    none, with_history = (cell.strip() for cell in pairs.split("|")[1:3])
    assert none.count("/") == 2 and with_history.count("/") == 2, "min/median/max of each kind's runs"
    assert "target: every median within 15%" in table
