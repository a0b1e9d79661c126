"""The shipped systemd unit is one systemd accepts, runs the installed command, and does not restart into
a configuration error (exit code 2)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[1] / "deploy" / "tsunagari.service"
INSTALLED = "/opt/tsunagari/bin/tsunagari"


def test_the_unit_runs_tsunagari_and_does_not_restart_into_a_bad_token() -> None:
    text = UNIT.read_text("utf-8")
    assert f"ExecStart={INSTALLED} run" in text
    assert f"ExecStartPre={INSTALLED} db upgrade" in text
    assert "Restart=on-failure" in text
    assert "RestartPreventExitStatus=2" in text  # bot/operator.py's CONFIG_ERROR


def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here, so the unit cannot be verified")
    # verify checks that the commands exist: point them at this checkout's installed `tsunagari`.
    command = Path(sys.executable).with_name("tsunagari")
    if not command.exists():
        pytest.skip(f"no installed tsunagari command beside {sys.executable}")
    unit = tmp_path / "tsunagari.service"
    unit.write_text(UNIT.read_text("utf-8").replace(INSTALLED, str(command)), "utf-8")
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tsunagari.service" not in done.stdout + done.stderr, done.stdout + done.stderr
