"""`tsunagari run` against the fake Slack with a token Slack refuses: the start stops at once, naming the
token in one log line and two lines on stderr, exit code 2 (a systemd unit does not restart into it)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from bot.cli import _run
from tests.adapters.slack.harness import slack_settings
from tests.fakes.slack_api import APP_TOKEN, FakeSlack


def _settings(slack: FakeSlack, tmp_path: Path, **changes):
    return slack_settings(slack.api_url, database_url=f"sqlite+aiosqlite:///{tmp_path / 'run.db'}", **changes)


async def test_a_revoked_bot_token_stops_the_start_naming_it(slack: FakeSlack, tmp_path, capsys, caplog):
    settings = _settings(slack, tmp_path, slack_bot_token=SecretStr("xoxb-revoked-yesterday"))
    assert await _run(settings) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "tsunagari: Slack refused SLACK_BOT_TOKEN (invalid_auth): it is wrong, or it was revoked or reset.",
        "Put the current token in SLACK_BOT_TOKEN (environment or .env) and start again.",
    ]
    assert "xoxb-revoked-yesterday" not in err + caplog.text
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        "Slack refused SLACK_BOT_TOKEN at start-up: invalid_auth"
    ]
    assert [call.method for call in slack.calls] == ["auth.test"]  # nothing else was tried


async def test_a_wrong_app_token_in_socket_mode_names_the_app_token(slack: FakeSlack, tmp_path, capsys):
    settings = _settings(slack, tmp_path, slack_app_token=SecretStr("xapp-wrong"), slack_signing_secret=None)
    assert await _run(settings) == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        "tsunagari: Slack refused SLACK_APP_TOKEN (invalid_auth): it is wrong, or it was revoked or reset."
    )
    assert APP_TOKEN not in [call.token for call in slack.calls]
