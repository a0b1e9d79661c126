"""At DEBUG, through discord.py's gateway and its HTTP client, the log never ties a card to its author.

Interactions arrive as gateway frames through `DiscordWebSocket.received_message` (which logs every
event it receives, member and options included, at DEBUG), and the bot's own REST calls go through
discord.py's real `HTTPClient` to a local stand-in for Discord's API (which logs every body at DEBUG).
Logging is set up by `bot.logs.configure`, as `tsunagari run` does, before the bot is built.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import UTC, datetime
from typing import Any

import discord
import pytest
from aiohttp import web
from discord.gateway import DiscordWebSocket

from bot.actions import DirectMessage, Message
from bot.commands import Parser
from bot.config import Settings
from tests import operator_log as _ol
from tests.fakes.discord_world import MAIN_ID, PEOPLE, DiscordWorld

pytestmark = pytest.mark.db

CARDS = ("ALPHA-WORDS-OF-BOB", "BRAVO-WORDS-OF-CAROL", "CHARLIE-WORDS-OF-DAN", "DELTA-WORDS-OF-BOB")
CATEGORIES = ("Expectation and fear", "Taboo and stigma", "Institutional isolation", "Trust deficit")
CATEGORY_KEYS = ("'fear'", "'taboo'", "'isolation'", "'trust'", '"fear"', '"taboo"', '"isolation"', '"trust"')


class GatewayWorld(DiscordWorld):
    """The same guild, its interactions delivered as gateway frames to a DiscordWebSocket."""

    async def boot(self, **kwargs: Any) -> None:
        await super().boot(**kwargs)
        bot = self.adapter.bot
        # What DiscordWebSocket.from_client attaches, without the network connection.
        gateway = DiscordWebSocket(None, loop=asyncio.get_running_loop())  # type: ignore[arg-type]
        gateway.token = "fake-token"
        gateway._connection = bot._connection
        gateway._discord_parsers = bot._connection.parsers
        gateway._dispatch = bot.dispatch
        gateway.call_hooks = bot._connection.call_hooks
        gateway.shard_id = None
        self.gateway = gateway
        self._sequence = itertools.count(1)
        self._frames: set[asyncio.Task[None]] = set()

    def _inject(self, payload: dict[str, Any]) -> str:
        self.webhooks.arrived(payload["token"])  # the interaction's 3-second window starts now
        frame = json.dumps({"op": 0, "t": "INTERACTION_CREATE", "s": next(self._sequence), "d": payload})
        task = asyncio.get_running_loop().create_task(self.gateway.received_message(frame))
        self._frames.add(task)
        task.add_done_callback(self._frames.discard)
        return payload["token"]


def custom_id(answers, prefix: str) -> str:
    return next(c for a in answers for c in a.custom_ids() if c.startswith(prefix))


async def a_board_shared_withdrawn_and_voted_on(world: DiscordWorld) -> None:
    await world.command("alice", "event start", name="Yorimichi")
    for person in ("bob", "carol", "dan"):
        await world.command(person, "join")
    await world.command("alice", "barriers open", min=3)
    [board] = [s for s in world.rest.in_channel(MAIN_ID) if "Cards in: 0" in s.text()]
    answers = await world.command("bob", "barriers share", text=CARDS[0], category="fear")
    assert any("Your card is in (Expectation and fear)" in a.text() for a in answers)
    [modal] = await world.press(
        "carol", next(c for c in board.custom_ids() if c.startswith("barriers:form:"))
    )
    answers = await world.submit("carol", modal.data["custom_id"], {"text": CARDS[1], "category": ["taboo"]})
    assert any("Your card is in (Taboo and stigma)" in a.text() for a in answers)
    await world.command("dan", "barriers share", text=CARDS[2], category="isolation")
    # bob lists his cards (the list quotes his card, to him alone), withdraws it, shares another.
    answers = await world.press("bob", next(c for c in board.custom_ids() if c.startswith("barriers:mine:")))
    assert any(CARDS[0] in a.text() for a in answers)
    answers = await world.press("bob", custom_id(answers, "barriers:withdraw:"))
    assert any("withdrawn" in a.text() for a in answers)
    await world.command("bob", "barriers share", text=CARDS[3], category="trust")
    await world.wait(minutes=1)
    await world.command("alice", "barriers reveal")
    revealed = [s for s in world.rest.in_channel(MAIN_ID) if any(card in s.text() for card in CARDS)]
    assert revealed
    answers = await world.press("carol", next(c for s in revealed for c in s.custom_ids() if "metoo" in c))
    assert any("Counted" in a.text() for a in answers)
    await world.command("dan", "barriers metoo", number="2")
    await world.wait(minutes=1)
    await world.command("alice", "barriers close")


def identities() -> list[str]:
    """What names a participant: their user id (also inside a member object) and their name."""
    return [str(PEOPLE[name]) for name in ("bob", "carol", "dan")] + ["bob", "carol", "dan"]


@pytest.mark.parametrize("library_debug", [False, True], ids=["libraries-capped", "libraries-at-debug"])
async def test_the_gateway_at_debug_logs_no_card_with_its_author(database_url, library_debug):
    world = GatewayWorld(database_url, datetime(2026, 1, 15, 9, 0, 7, tzinfo=UTC))
    with _ol.operator_log(world.settings, log_level="DEBUG", library_debug=library_debug) as log:
        await world.boot()
        try:
            await a_board_shared_withdrawn_and_voted_on(world)
        finally:
            await world.close()
    assert log.linking(CARDS + CATEGORIES + CATEGORY_KEYS, identities()) == []
    assert log.holding(CARDS) == []
    if library_debug:  # discord.gateway did log each event it received: as its shape
        assert any("WebSocket Event" in e for e in log.from_logger("discord.gateway"))
    else:
        assert [e for e in log.entries if " DEBUG " in e] == [e for e in log.entries if " DEBUG bot." in e]


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py reads a body as JSON only when the content type is exactly application/json.
    return web.Response(body=json.dumps(data).encode(), content_type="application/json", status=status)


class DiscordApi:
    """Discord's REST API as far as a DM needs it: who the bot is, a DM channel, a message in it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.bot_user = {
            "id": "900000000000000001",
            "username": "tsunagari",
            "discriminator": "0",
            "avatar": None,
        }

    def user(self, user_id: str) -> dict[str, Any]:
        return {"id": user_id, "username": f"user{user_id[-2:]}", "discriminator": "0", "avatar": None}

    async def handle(self, request: web.Request) -> web.Response:
        path = request.path.removeprefix("/api/v10")
        body = await request.json() if request.can_read_body else {}
        self.bodies.append(body)
        if path == "/users/@me":
            return _json(self.bot_user)
        if path == "/users/@me/channels":
            recipient = str(body["recipient_id"])
            return _json({"id": "940000000000000001", "type": 1, "recipients": [self.user(recipient)]})
        if path.startswith("/users/"):
            return _json(self.user(path.rsplit("/", 1)[1]))
        if path.endswith("/messages"):
            return _json(
                {
                    "id": "950000000000000001",
                    "channel_id": path.split("/")[2],
                    "author": self.bot_user,
                    "content": body.get("content", ""),
                    "timestamp": "2026-01-15T09:00:00+00:00",
                    "edited_timestamp": None,
                    "tts": False,
                    "mention_everyone": False,
                    "mentions": [],
                    "mention_roles": [],
                    "attachments": [],
                    "embeds": body.get("embeds", []),
                    "pinned": False,
                    "type": 0,
                }
            )
        return _json({"message": "Unknown", "code": 0}, status=404)


@pytest.mark.parametrize("library_debug", [False, True], ids=["libraries-capped", "libraries-at-debug"])
async def test_the_http_client_at_debug_logs_no_message_body_with_its_reader(monkeypatch, library_debug):
    """A DM that quotes a card to its author (as "My cards" would) goes out through discord.py's HTTPClient."""
    from adapters.discord.adapter import DiscordAdapter
    from bot.i18n import Catalog

    api = DiscordApi()
    server = web.Application()
    server.router.add_route("*", "/{tail:.*}", api.handle)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{port}/api/v10")

    class Core:  # the parts of the core an adapter reads when it is built; this test only sends
        specs: dict = {}
        catalog = Catalog.load()
        clock = None
        parser = Parser(())

    settings = Settings().model_copy(update={"log_level": "DEBUG", "library_debug": library_debug})
    reader = str(PEOPLE["bob"])
    with _ol.operator_log(settings) as log:
        adapter = DiscordAdapter(Core(), None, settings)
        try:
            await adapter.bot.http.static_login("fake-token")
            text = f"Your cards: 1. {CARDS[0]} (Expectation and fear)"
            [delivery] = await adapter.send("discord:1", [DirectMessage((reader,), Message(text))])
        finally:
            await adapter.bot.http.close()
            await runner.cleanup()
    assert delivery.status == "ok", delivery
    assert any(CARDS[0] in json.dumps(body) for body in api.bodies)  # the words did travel to "Discord"
    assert log.linking(CARDS + CATEGORIES, [reader, "940000000000000001"]) == []
    assert log.holding(CARDS) == []
    if library_debug:  # discord.http did log each request it made: as its shape
        assert any("has returned" in e for e in log.from_logger("discord.http"))
