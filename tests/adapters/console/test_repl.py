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
