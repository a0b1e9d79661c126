"""bot/logs.py: what reaches the log from our code and from the libraries, at each setting."""

from __future__ import annotations

import logging

import pytest

from bot import logs
from bot.config import Settings
from tests.operator_log import OperatorLog, operator_log

PAYLOAD = {"user_id": "U0BOB", "text": "barriers share I fear looking foolish --category fear"}


@pytest.fixture
def settings() -> Settings:
    return Settings().model_copy(update={"log_level": "DEBUG"})


def messages(log: OperatorLog) -> list[str]:
    return [entry.split(": ", 1)[1].rstrip("\n") for entry in log.entries]


def test_our_lines_pass_as_written_and_library_debug_lines_are_dropped(settings):
    with operator_log(settings) as log:
        logging.getLogger("bot.core").debug("command %s in %s", "turns", "slack:T1")
        logging.getLogger("slack_bolt.AsyncApp").debug(f"Received message: {PAYLOAD}")
        logging.getLogger("some.library.nobody.listed").debug("payload %s", PAYLOAD)
    assert messages(log) == ["command turns in slack:T1"]


def test_a_library_line_keeps_its_words_and_numbers_but_no_value_from_a_payload(settings):
    with operator_log(settings) as log:
        http = logging.getLogger("discord.http")
        http.warning("%s %s with %s has returned %s", "POST", "/channels/940/messages", PAYLOAD, 429)
        http.warning("retrying in %.2f seconds (%d tries)", 1.5, 3)
        # (a logger of its own: bolt sets AsyncApp's level when an app is built, in whichever test ran first)
        logging.getLogger("slack_bolt.test_logs").info(
            f"Invalid request signature detected (signature: v0=ab, timestamp: 1, body: {PAYLOAD})"
        )
        logging.getLogger("discord.gateway").warning("guild %d is %s", 10**18, "ready")  # %d given `…`
    assert messages(log) == [
        "… … with … has returned 429",
        "retrying in 1.50 seconds (3 tries)",
        "Invalid request signature detected …",
        "guild …",
    ]
    assert "U0BOB" not in "".join(log.entries) and "foolish" not in "".join(log.entries)


def test_a_library_traceback_keeps_its_frames_but_not_its_message(settings):
    with operator_log(settings) as log:
        try:
            raise ValueError(f"bad body {PAYLOAD}")
        except ValueError:
            logging.getLogger("aiohttp.server").exception("Error handling request")
    [entry] = log.entries
    assert "Traceback" not in entry  # the frames, without the header that format_exception adds
    assert "test_logs.py" in entry and "builtins.ValueError: …" in entry
    assert "U0BOB" not in entry


def test_library_debug_lets_the_libraries_speak_but_only_in_outline(settings):
    with operator_log(settings, library_debug=True) as log:
        logging.getLogger("slack_sdk.web.async_base_client").debug(
            f"Sending a request - url: https://slack.com/api/chat.postEphemeral, json: {PAYLOAD}"
        )
        logging.getLogger("aiohttp.access").info('127.0.0.1 "POST /slack/events HTTP/1.1" 200')
    assert messages(log) == ["Sending a request - url …", "…"]


def test_the_default_level_keeps_the_access_log_and_sqlalchemy_quiet_and_undo_restores_them():
    settings = Settings().model_copy(update={"log_level": "INFO"})
    before = {name: logging.getLogger(name).level for name in ("sqlalchemy", "aiohttp.access", "discord")}
    with operator_log(settings) as log:
        logging.getLogger("aiohttp.access").info('127.0.0.1 "POST /slack/events HTTP/1.1" 200')
        logging.getLogger("sqlalchemy.engine.Engine").info("SELECT barrier_card.text FROM barrier_card")
        logging.getLogger("discord.client").info("logging in using static token")
    assert messages(log) == ["logging in using static token"]
    assert {name: logging.getLogger(name).level for name in before} == before


def test_quiet_commands_log_warnings_only():
    stream = OperatorLog()
    setup = logs.configure(Settings(), quiet=True, stream=stream)
    try:
        logging.getLogger("bot.core").info("command turns in console")
        logging.getLogger("alembic.runtime.migration").info("Running upgrade")
        logging.getLogger("bot.core").warning("something to see")
    finally:
        setup.undo()
    assert messages(stream) == ["something to see"]
