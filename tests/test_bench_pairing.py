"""bench/pairing.py at a toy size: each table prints a row, and the matcher's row says how it compares."""

from __future__ import annotations

import pytest

from bench.pairing import pairing_table, rounds_table


def test_the_tables_print_bridges_languages_and_the_bound(capsys: pytest.CaptureFixture[str]) -> None:
    pairing_table((12,), repeat=1)
    rounds_table((6, 7))
    out = capsys.readouterr().out
    row = next(line.split() for line in out.splitlines() if line.split()[:1] == ["12"])
    bridges, languages = row[1], row[2]
    assert "/" in bridges and "-" not in bridges, "compared with networkx's optimum at this size"
    assert languages.split("/")[1].isdigit(), "pairs without a common language, ours/optimum's"
    # fixed group, languages ("shared"), rounds without a repeat, the bound, ...
    shared = {line.split()[0]: line.split() for line in out.splitlines() if line.split()[1:2] == ["shared"]}
    assert shared["6"][3] == "5" and shared["7"][3] == "4", "the counting bound: N-1 even, N(N-1)/(N+3) odd"
    assert int(shared["6"][2]) <= 5 and int(shared["7"][2]) <= 4, "no plan beats the bound"
    assert "load average" in out
