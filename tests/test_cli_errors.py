"""What the command line prints when a setting, a script, the network or a token is wrong: the setting or
file named in one or two lines with what to do, exit code 2, and no traceback."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import discord.http
import pytest

from bot.cli import main
from tests.fakes.discord_login import unauthorized_discord

ROOT = Path(__file__).resolve().parents[1]


def tsunagari(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed command line as an operator runs it, in an empty folder (no .env), no tokens set."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "TSUNAGARI_"))}
    clean.pop("LC_ALL", None)
    clean.update({"LANG": "C.UTF-8", "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"} | env)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=clean | {"PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("env", "args", "first_line"),
    [
        (
            {"DISCORD_APPLICATION_ID": "abc"},
            ("discord", "invite-url"),
            "tsunagari: DISCORD_APPLICATION_ID=abc is not valid: it must be a whole number.",
        ),
        (
            {"SLACK_PORT": "abc"},
            ("run",),
            "tsunagari: SLACK_PORT=abc is not valid: it must be a whole number.",
        ),
        (
            {"TSUNAGARI_DEFAULT_LANG": "jp"},
            ("demo",),
            "tsunagari: TSUNAGARI_DEFAULT_LANG=jp is not valid: it must be en or ja.",
        ),
        (
            {"TSUNAGARI_TIMERS_IN_FLIGHT": "0"},
            ("run",),
            "tsunagari: TSUNAGARI_TIMERS_IN_FLIGHT=0 is not valid: it must be 1 or more.",
        ),
    ],
)
def test_a_bad_setting_is_named_with_what_to_do_and_exit_code_2(
    tmp_path: Path, env: dict[str, str], args: tuple[str, ...], first_line: str
) -> None:
    done = tsunagari(*args, tmp_path=tmp_path, **env)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        first_line,
        "Fix it in the environment or in .env, then run the command again.",
    ]
    assert done.stdout == ""


def test_a_bad_setting_is_explained_in_japanese_to_a_japanese_terminal(tmp_path: Path) -> None:
    done = tsunagari("run", tmp_path=tmp_path, SLACK_PORT="abc", LANG="ja_JP.UTF-8")
    assert done.returncode == 2
    assert (
        done.stderr.splitlines()[0] == "tsunagari: 「SLACK_PORT=abc」は使えません: 整数で指定してください。"
    )


def test_a_missing_script_is_named_in_two_lines_not_a_traceback(tmp_path: Path) -> None:
    done = tsunagari("console", "--script", "/missing.tsu", tmp_path=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "tsunagari: there is no script at /missing.tsu.",
        "Give the path of a .tsu file (the scripts in tests/scenarios/ are examples).",
    ]


def test_a_script_that_is_a_folder_is_named_in_one_line(tmp_path: Path, capsys) -> None:
    assert main(["console", "--script", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"tsunagari: cannot read the script {tmp_path}: Is a directory."
    ]


# -- discord sync: the real discord.py HTTP client, against a closed port and a local stand-in that says 401 --


@pytest.fixture
def discord_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    monkeypatch.setenv("DISCORD_APPLICATION_ID", "900000000000000001")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'sync.db'}")
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("TSUNAGARI_DEFAULT_LANG", raising=False)
    monkeypatch.chdir(tmp_path)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nobody listens there once the probe is closed


@pytest.fixture
def unauthorized() -> Iterator[str]:
    with unauthorized_discord() as base:
        yield base


def test_discord_sync_without_a_network_says_so_in_two_lines(discord_settings, monkeypatch, capsys) -> None:
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{closed_port()}/api/v10")
    assert main(["discord", "sync"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2, err
    assert err[0].startswith("tsunagari: could not reach Discord (Cannot connect to host 127.0.0.1:")
    assert err[1] == "Check this machine's network connection (or proxy) and run the command again."


def test_discord_sync_with_a_revoked_token_names_the_token(
    discord_settings, unauthorized, monkeypatch, capsys
):
    monkeypatch.setattr(discord.http.Route, "BASE", unauthorized)
    assert main(["discord", "sync"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "tsunagari: Discord refused DISCORD_TOKEN (401 Unauthorized): it is wrong, or it was revoked or reset.",
        "Put the current token in DISCORD_TOKEN (environment or .env) and start again.",
    ]
    assert "not-a-real-token" not in err


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")


# -- `tsunagari run` with a bad or revoked token: one line in the log, two on stderr, exit code 2 ----------


def test_run_with_a_reset_discord_token_stops_at_once_naming_it(
    discord_settings, unauthorized, monkeypatch, capsys, caplog
) -> None:
    monkeypatch.setattr(discord.http.Route, "BASE", unauthorized)
    assert main(["run"]) == 2
    err = capsys.readouterr().err.splitlines()
    # The log's own line (bot/logs.py writes it to stderr too, timestamped) and then the two for people.
    [error] = [line for line in err if LOG_LINE.match(line) and " ERROR " in line]
    assert error.endswith("ERROR tsunagari: Discord refused DISCORD_TOKEN at start-up: 401 Unauthorized")
    assert [line for line in err if not LOG_LINE.match(line)] == [
        "tsunagari: Discord refused DISCORD_TOKEN (401 Unauthorized): it is wrong, or it was revoked or reset.",
        "Put the current token in DISCORD_TOKEN (environment or .env) and start again.",
    ]
    [logged] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert logged == "Discord refused DISCORD_TOKEN at start-up: 401 Unauthorized"
