"""The interactive console: what the person at the keyboard reads, in the bot's default language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.console import repl
from bot.bootstrap import build
from bot.config import Settings


@pytest.mark.parametrize(
    ("lang", "intro", "unknown_button", "script_only"),
    [
        ("en", "Tsunagari console.", "no such button or form", "only works in scripts"),
        ("ja", "Tsunagari コンソールです。", "そのボタンやフォームはありません", "スクリプトの中でだけ"),
    ],
)
async def test_the_console_greets_and_explains_in_the_default_language(
    tmp_path, monkeypatch, capsys, lang, intro, unknown_button, script_only
) -> None:  # noqa: ANN001
    typed: Iterator[str | None] = iter(
        ['/tsunagari event start "Yorimichi"', 'bob clicks "Nope"', "wait 3m", None]
    )
    monkeypatch.setattr(repl, "_read", lambda prompt: next(typed))
    settings = Settings().model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{tmp_path / 'console.db'}", "default_lang": lang}
    )
    await repl.repl(build(settings))
    out = capsys.readouterr().out
    assert intro in out
    assert "Yorimichi" in out  # the command was played as alice
    assert unknown_button in out
    assert script_only in out and "`wait`" in out


async def test_a_name_the_console_cannot_read_is_refused_at_once_and_times_follow_the_event_zone(
    tmp_path, monkeypatch, capsys
) -> None:  # noqa: ANN001
    typed: Iterator[str | None] = iter(
        ["as 太郎", '/tsunagari event start "Tokyo" --tz Asia/Tokyo', "/tsunagari help", None]
    )
    monkeypatch.setattr(repl, "_read", lambda prompt: next(typed))
    settings = Settings().model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{tmp_path / 'console.db'}", "default_lang": "en"}
    )
    await repl.repl(build(settings))
    lines = capsys.readouterr().out.splitlines()
    assert any('submits "Share anonymously"' in line for line in lines)  # the intro shows forms too
    assert (
        "  ? `太郎` can't be a person here: use letters a-z, digits, _ . or - (for example taro)."
        in " ".join(lines)
    )
    started = next(
        line for line in lines if "Tokyo has started, facilitated by @alice" in line
    )  # still alice
    helped = next(line for line in lines if "alice only | Here is what you can do in Tokyo" in line)
    utc, tokyo = (int(line[1:3]) * 60 + int(line[4:6]) for line in (started, helped))
    # The start is stamped before the event exists (UTC); from then on, the event's zone: UTC+9.
    assert (tokyo - utc) % (24 * 60) in (9 * 60, 9 * 60 + 1)


def test_tsunagari_run_without_tokens_is_the_console_without_log_lines(tmp_path) -> None:  # noqa: ANN001
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "TSUNAGARI_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'run.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        input="quit\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Tsunagari console.")
    assert done.stderr == ""  # no alembic, apscheduler or leadership INFO lines before the prompt
