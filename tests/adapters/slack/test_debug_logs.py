"""At DEBUG, through bolt's Socket Mode client and its HTTP handler, the log never ties a card to its author.

The bot runs whole (core, store, timers) with logging set up by `bot.logs.configure`, as `tsunagari run`
does; participants share by the slash command and by the Share form, list and withdraw their own card,
and say "me too" after the reveal. Every entry the log handler writes, from any logger at any level, is
then checked: none holds a card's words or a category's name together with a person's id or name.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from slack_bolt.response import BoltResponse

from bot.bootstrap import build
from bot.clock import VirtualClock
from tests import operator_log as _ol
from tests.adapters.slack.conftest import PEOPLE, make_adapter
from tests.adapters.slack.harness import Workspace, slack_settings
from tests.fakes import slack_requests as sr
from tests.fakes.slack_api import APP_TOKEN
from tests.operator_log import OperatorLog

pytestmark = pytest.mark.db

CARDS = ("ALPHA-WORDS-OF-BOB", "BRAVO-WORDS-OF-CAROL", "CHARLIE-WORDS-OF-DAVE", "DELTA-WORDS-OF-BOB")
CATEGORIES = ("Expectation and fear", "Taboo and stigma", "Institutional isolation", "Trust deficit")
CATEGORY_KEYS = ("category fear", "category isolation", "category trust", '"taboo"', "'taboo'")


class SocketWorkspace(Workspace):
    """The same people, their requests arriving as Socket Mode envelopes instead of signed HTTP posts."""

    async def _envelope(self, kind: str, payload: dict[str, Any]) -> BoltResponse:
        ack = await self.slack.socket_send(kind, payload)
        await self.adapter.settle()
        assert "envelope_id" in ack
        return BoltResponse(status=200)

    async def command(self, name: str, text: str, *, channel: str = "C0MAIN") -> BoltResponse:
        payload = sr.slash_command(
            self.escape(text),
            user=self.ids[name],
            user_name=name,
            channel=channel,
            trigger_id=self.slack.new_trigger_id(),
            response_url=self.slack.new_response_url(self.ids[name], channel),
        )
        return await self._envelope("slash_commands", payload)

    async def click(self, name: str, label: str, *, channel: str = "C0MAIN") -> BoltResponse:
        message, button = self.find_button(label, channel=channel, name=name)
        payload = sr.block_actions(
            button["action_id"],
            user=self.ids[name],
            user_name=name,
            channel=channel,
            message_ts=message.get("ts", "0.0"),
            trigger_id=self.slack.new_trigger_id(),
            response_url=self.slack.new_response_url(self.ids[name], channel),
        )
        return await self._envelope("interactive", payload)

    async def submit(self, name: str, values: dict[str, str], *, view: dict[str, Any] | None = None):
        payload = sr.view_submission(view or self.open_view(), values, user=self.ids[name], user_name=name)
        return await self._envelope("interactive", payload)


class HttpWorkspace(Workspace):
    """Requests posted, signed, to the adapter's own aiohttp server: bolt's HTTP handler end to end."""

    url = ""

    async def dispatch(self, body: str, headers: dict[str, str]) -> BoltResponse:
        async with aiohttp.ClientSession() as http, http.post(self.url, data=body, headers=headers) as answer:
            status = answer.status
        await self.adapter.settle()
        return BoltResponse(status=status)


async def a_board_shared_withdrawn_and_voted_on(app, ws: Workspace) -> None:
    await ws.command("alice", 'event start "Yorimichi" --lang en')
    for name in ("bob", "carol", "dave"):
        await ws.command(name, "join")
    await ws.command("alice", "barriers open --min 3")
    await ws.command("bob", f"barriers share {CARDS[0]} --category fear")
    assert ws.whispers("bob")[-1].startswith("Your card is in (Expectation and fear)")
    await ws.click("carol", "Share anonymously")
    await ws.submit("carol", {"text": CARDS[1], "category": "taboo"})
    assert ws.whispers("carol")[-1].startswith("Your card is in (Taboo and stigma)")
    await ws.command("dave", f'barriers share "{CARDS[2]}" --category isolation')
    # bob lists his own cards (the list quotes his card, to him alone), withdraws it, shares another.
    await ws.click("bob", "My cards")
    assert CARDS[0] in ws.whispers("bob")[-1]
    await ws.command("bob", "barriers withdraw 1")
    assert ws.whispers("bob")[-1].startswith("Your card is withdrawn")
    await ws.command("bob", f"barriers share {CARDS[3]} --category trust")
    await ws.wait(app, minutes=1)
    await ws.command("alice", "barriers reveal")
    assert all(card in "\n".join(ws.channel()) for card in CARDS[1:])
    await ws.click("carol", "Me too #1")
    assert ws.whispers("carol")[-1].startswith("Counted")
    await ws.command("dave", "barriers metoo 2")
    await ws.wait(app, minutes=1)
    await ws.command("alice", "barriers close")


def identities(ws: Workspace) -> list[str]:
    """What names a participant: their user id, their name, a DM channel the bot opened with them."""
    people = [ws.ids[name] for name in ("bob", "carol", "dave")] + ["bob", "carol", "dave"]
    return people + [c for c in ws.slack.messages if c.startswith("D")]


def assert_no_line_links_a_card_to_its_author(log: OperatorLog, ws: Workspace) -> None:
    assert log.linking(CARDS + CATEGORIES + CATEGORY_KEYS, identities(ws)) == []
    assert log.holding(CARDS) == []  # the words themselves are never logged, by anyone


@asynccontextmanager
async def slack_bot(
    settings, vtime, workspace: type[Workspace], slack
) -> AsyncIterator[tuple[Any, Workspace]]:
    """The whole bot, built after the logging is set up (bolt copies the root's level into its loggers
    when an app is built, as it does under `tsunagari run`), its adapter started for real."""
    app = build(settings, clock=VirtualClock(datetime(2026, 1, 15, 9, 0, 7, tzinfo=UTC)))
    adapter = make_adapter(app.core, settings, vtime, store=app.store)
    app.dispatcher.register("slack", adapter)
    app.adapters.append(adapter)
    await app.store.upgrade()
    await app.timers.start()
    ws = workspace(slack, adapter)
    for name, locale in PEOPLE:
        ws.person(name, locale=locale)
    await adapter.start()
    try:
        if adapter.settings.socket_mode:
            await slack.socket_connected()
        else:
            ws.url = f"http://127.0.0.1:{adapter.port}/slack/events"
        yield app, ws
    finally:
        await app.close()


@pytest.mark.parametrize("library_debug", [False, True], ids=["libraries-capped", "libraries-at-debug"])
async def test_socket_mode_at_debug_logs_no_card_with_its_author(database_url, slack, vtime, library_debug):
    settings = slack_settings(
        slack.api_url,
        database_url=database_url,
        slack_app_token=SecretStr(APP_TOKEN),
        slack_signing_secret=None,
        log_level="DEBUG",
        library_debug=library_debug,
    )
    with _ol.operator_log(settings) as log:
        async with slack_bot(settings, vtime, SocketWorkspace, slack) as (app, ws):
            await a_board_shared_withdrawn_and_voted_on(app, ws)
    assert_no_line_links_a_card_to_its_author(log, ws)
    assert log.from_logger("bot.")  # our own DEBUG lines were written: the log was live
    if library_debug:
        # Bolt's Socket Mode client did log each envelope, and slack_sdk each Web API call: as their shape.
        assert log.from_logger("slack_bolt") and log.from_logger("slack_sdk")
    else:
        assert [e for e in log.entries if " DEBUG " in e] == [e for e in log.entries if " DEBUG bot." in e]


async def test_http_mode_at_debug_logs_no_card_with_its_author(database_url, slack, vtime):
    settings = slack_settings(slack.api_url, database_url=database_url, log_level="DEBUG", library_debug=True)
    with _ol.operator_log(settings) as log:
        async with slack_bot(settings, vtime, HttpWorkspace, slack) as (app, ws):
            await a_board_shared_withdrawn_and_voted_on(app, ws)
    assert_no_line_links_a_card_to_its_author(log, ws)
    assert log.from_logger("aiohttp.access") and log.from_logger("slack_sdk")


async def test_http_mode_at_the_default_level_writes_nothing_while_a_share_is_handled(
    database_url, slack, vtime
):
    """A line's own time would date the share: neither our lines nor aiohttp's access log write one."""
    settings = slack_settings(slack.api_url, database_url=database_url, log_level="INFO")
    with _ol.operator_log(settings) as log:
        async with slack_bot(settings, vtime, HttpWorkspace, slack) as (app, ws):
            await ws.command("alice", 'event start "Yorimichi" --lang en')
            for name in ("bob", "carol", "dave"):
                await ws.command(name, "join")
            await ws.command("alice", "barriers open --min 2")
            during: list[str] = []
            for act in (
                lambda: ws.command("bob", f"barriers share {CARDS[0]} --category fear"),
                lambda: ws.click("carol", "Share anonymously"),
                lambda: ws.submit("carol", {"text": CARDS[1], "category": "taboo"}),
                lambda: ws.click("bob", "My cards"),
                lambda: ws.command("bob", "barriers withdraw 1"),
                lambda: ws.command("dave", f"barriers share {CARDS[2]}"),
            ):
                before = len(log.entries)
                assert (await act()).status == 200
                during += log.entries[before:]
            await ws.wait(app, minutes=1)
            await ws.command("alice", "barriers reveal")
            assert CARDS[1] in "\n".join(ws.channel()) and CARDS[2] in "\n".join(ws.channel())
    assert during == []
    assert log.from_logger("bot.core")  # the facilitator's commands were logged as usual
