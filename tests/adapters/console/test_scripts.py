"""The console script language: what a script author sees when a script is wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from adapters.console.runner import run_script
from adapters.console.script import ScriptError, parse_script

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("script", "line", "says"),
    [
        ("alice: hello", 1, "must be a /tsunagari command"),
        ("# fine\nalice clicks Next", 2, "can't read this line"),
        ("alice: /tsunagari help\nat 2026-01-15 18:00", 2, "only be the first step"),
        ("at 2026-01-15 18:00 Mars/Olympus", 1, "unknown time zone"),
        ('bob submits "Form" novalue', 1, "key=value"),
    ],
)
def test_a_malformed_line_is_named(script: str, line: int, says: str) -> None:
    with pytest.raises(ScriptError) as caught:
        parse_script(script)
    assert caught.value.line == line and says in caught.value.message


@pytest.mark.db
async def test_an_unmet_expectation_fails_on_its_line_and_shows_what_was_there(database_url: str) -> None:
    script = 'alice: /tsunagari event start "Night"\nexpect #main "has the floor"\n'
    with pytest.raises(ScriptError) as caught:
        await run_script(script, database_url=database_url, write=lambda line: None)
    assert caught.value.line == 2
    assert "Night has started" in caught.value.message


@pytest.mark.db
async def test_a_button_nobody_can_see_fails_the_script(database_url: str) -> None:
    with pytest.raises(ScriptError) as caught:
        await run_script('bob clicks "Next"', database_url=database_url, write=lambda line: None)
    assert "bob sees no button 'Next'" in caught.value.message


@pytest.mark.db
async def test_expect_no_fails_when_the_text_shows_up(database_url: str) -> None:
    script = 'alice: /tsunagari event start "Night"\nexpect no #main "Night has started"'
    with pytest.raises(ScriptError) as caught:
        await run_script(script, database_url=database_url, write=lambda line: None)
    assert "should not have" in caught.value.message


def tsunagari(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)},
    )


def test_the_demo_plays_in_both_languages() -> None:
    done = tsunagari("demo")
    assert done.returncode == 0, done.stderr
    assert "#main | Yorimichi January has started" in done.stdout
    assert "#tokyo | 「ヨリミチ部 1月」を開始しました" in done.stdout
    lines = done.stdout.splitlines()
    # A newcomer reads what was typed, a heading per part, the date when it changes, the scene switch,
    # and what to try next.
    assert lines[0] == "━━ 2026-01-15 (Asia/Tokyo) ━━"
    assert '> alice: /tsunagari event start "Yorimichi January" --lang en --tz Asia/Tokyo' in lines
    assert '> carol clicks "Done"' in lines
    assert (
        "> carol submits \"Share anonymously\" text='Nobody here talks about loneliness' category='taboo'"
        in lines
    )
    assert (
        "── 2. The barrier board: what makes connection hard, shared anonymously, revealed together ──"
        in lines
    )
    assert "   … 16 h later" in lines
    assert lines.index("━━ 2026-01-16 (Asia/Tokyo) ━━") > lines.index("   … 16 h later")
    scene = lines.index("━━ meanwhile in #tokyo: another event, another channel ━━")
    assert lines[scene + 1].startswith('> kenji in #tokyo: /tsunagari event start "ヨリミチ部 1月"')
    assert lines[-5:] == [
        "That was the whole bot, on a virtual clock. What to try next:",
        "  tsunagari console            chat with it yourself, as several people (`as bob`)",
        "  tsunagari rehearse january   the whole two-hour January evening from its run sheet, as a timeline",
        '  Slack                        README, "Connect to Slack": a manifest, two tokens, `tsunagari run`',
        '  Discord                      README, "Connect to Discord": a token, `tsunagari discord invite-url`, '
        "`tsunagari run`",
    ]


def test_a_failing_script_exits_non_zero_with_the_line(tmp_path: Path) -> None:
    script = tmp_path / "broken.tsu"
    script.write_text('alice: /tsunagari help\nexpect #main "nothing like this"\n', "utf-8")
    done = tsunagari("console", "--script", str(script))
    assert done.returncode == 1
    assert f"FAILED {script}:2:" in done.stderr


def test_run_without_tokens_opens_the_console_and_says_how_to_connect(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        input='/tsunagari event start "Live"\nquit\n',
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert "Connect Slack or Discord" in done.stdout
    assert "#main | Live has started" in done.stdout
    assert (tmp_path / "tsunagari.db").exists()  # the embedded default: a SQLite file beside you


def test_console_request_ids_differ_from_one_process_to_the_next() -> None:
    """The core drops a request id it has seen, so ids that restarted at 1 in each process would silence
    the first commands typed after a restart on the same database."""
    import subprocess
    import sys

    probe = (
        "from adapters.console.adapter import ConsoleAdapter;"
        "from adapters.console.world import World;"
        "print(ConsoleAdapter(World(), None, None, None).command('alice', '#main', 'help').request_id)"
    )
    ids = {
        subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    }
    assert len(ids) == 2
