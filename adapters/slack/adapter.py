"""The Slack adapter: a bolt `AsyncApp` that acks at once, hands the core its events and sends its actions.

Socket Mode when an app-level token is configured (no public URL needed), otherwise HTTP on
`SLACK_PORT` (`/slack/events`; with OAuth also `/slack/install` and `/slack/oauth_redirect`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import gate, translate
from adapters.slack.outbox import Interaction, MemoryRefs, MessageRefs, SlackOutbox, StoreRefs
from adapters.slack.pacing import Pacer, Sleep, retry_handlers
from adapters.slack.profiles import Profiles
from adapters.slack.settings import SCOPES, SlackSettings
from adapters.slack.translate import Profile
from bot.actions import Action, Delivery, Message, Reply
from bot.events import Event, InboundEvent
from bot.operator import TokenRefused

log = logging.getLogger(__name__)

ANY_ID = re.compile(".+", re.DOTALL)

EVENTS_PATH = "/slack/events"
SEEN_EVENTS = 10_000
BACKLOG = 1024
# Requests worked on at once after their ack. A burst is served first come, first done: early clicks get
# their answer (and their 3-second trigger_id used) at once instead of all finishing together at the end.
WORKERS = 16


class Core(Protocol):
    async def handle(self, event: InboundEvent) -> list[Action]: ...


class SlackAdapter:
    """Holds the core; translates Slack into core events and core actions into Slack."""

    platform = "slack"

    def __init__(
        self,
        core: Core,
        store: Any,
        settings: Any,
        *,
        refs: MessageRefs | None = None,
        text: Callable[[str | None, str], str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.core = core
        self.store = store
        self.settings = SlackSettings.of(settings)
        self._text = text or self._catalog_text
        self._handlers = retry_handlers(sleep)
        self._clients: dict[str, AsyncWebClient] = {}
        self._tokens: dict[str, str] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._interactions: dict[str, Interaction] = {}
        self._work_tasks: set[asyncio.Task[None]] = set()
        self._workers = asyncio.Semaphore(WORKERS)
        self._runner: web.AppRunner | None = None
        self._socket: Any = None
        self.port: int | None = None
        self.profiles = Profiles(Pacer(1.5, 20, clock=clock, sleep=sleep), clock=clock, store=store)
        self.outbox = SlackOutbox(
            client_for=self._client_for,
            refs=refs or (StoreRefs(store) if store is not None else MemoryRefs()),
            profiles=self.profiles,
            text=self._text,
            channel_pacer=Pacer(1.0, 3, clock=clock, sleep=sleep),
            team_pacer=Pacer(5.0, 30, clock=clock, sleep=sleep),
            open_pacer=Pacer(50 / 60, 10, clock=clock, sleep=sleep),
        )
        self.installation_store: Any = None
        self._oauth_tables: list[Any] = []
        self.app = self._build_app()

    # ---- the bolt app --------------------------------------------------------------------------------------

    def _new_client(self, token: str | None = None) -> AsyncWebClient:
        return AsyncWebClient(
            token=token, base_url=self.settings.api_url, retry_handlers=list(self._handlers)
        )

    def _build_app(self) -> AsyncApp:
        s = self.settings
        verify = bool(s.signing_secret)
        if not verify and not s.socket_mode:
            raise ValueError(
                "Slack over HTTP needs SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)"
            )
        if s.oauth and s.socket_mode:
            raise ValueError(
                "Slack OAuth installs need HTTP mode: unset SLACK_APP_TOKEN, or drop SLACK_CLIENT_ID"
            )
        if s.oauth:
            app = AsyncApp(
                signing_secret=s.signing_secret or "",
                client=self._new_client(),
                oauth_settings=self._oauth_settings(),
                request_verification_enabled=verify,
                process_before_response=True,  # the listener acks and returns; the work is our own task
            )
            self.installation_store = app.installation_store
        else:
            if not s.bot_token:
                raise ValueError(
                    "Slack needs SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth)"
                )
            app = AsyncApp(
                client=self._new_client(s.bot_token),
                signing_secret=s.signing_secret or "",
                request_verification_enabled=verify,
                process_before_response=True,  # the listener acks and returns; the work is our own task
            )
        app.middleware(self._drop_duplicate_events)
        app.command(s.command)(self._on_command)
        # Every button and form is ours to route (the core answers a stale or foreign id); DOTALL so that
        # an id holding a line break is acked too, not left to bolt's 404.
        app.action(ANY_ID)(self._on_button)
        app.view(ANY_ID)(self._on_form)
        app.event("app_mention")(self._on_mention)
        app.event("message")(self._ignore)
        return app

    def _oauth_settings(self) -> Any:
        from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
        from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

        from adapters.slack.installations import InstallationsWithoutInstaller

        if self.store is None:
            raise ValueError("Slack OAuth keeps installations in the bot's database: it needs the store")
        engine = self.store.engine
        installations = InstallationsWithoutInstaller(client_id=self.settings.client_id, engine=engine)
        states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
        self._oauth_tables = [installations, states]  # slack_installations, slack_bots, slack_oauth_states
        return AsyncOAuthSettings(
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret,
            scopes=SCOPES,
            installation_store=installations,
            state_store=states,
            install_page_rendering_enabled=False,  # /slack/install goes straight to Slack's consent screen
        )

    async def _client_for(self, team: str) -> AsyncWebClient:
        if not self.settings.oauth:
            return self.app.client
        if team not in self._clients:
            token = self._tokens.get(team)
            if token is None:
                bot = await self.installation_store.async_find_bot(enterprise_id=None, team_id=team)
                if bot is None:
                    raise LookupError(f"Tsunagari is not installed in Slack workspace {team}")
                token = bot.bot_token
            self._clients[team] = self._new_client(token)
        return self._clients[team]

    def _remember_token(self, context: Mapping[str, Any]) -> None:
        team, token = context.get("team_id"), context.get("bot_token")
        if self.settings.oauth and team and token and self._tokens.get(team) != token:
            self._tokens[team] = token
            self._clients.pop(team, None)

    def _catalog_text(self, locale: str | None, key: str) -> str:
        return self.core.catalog.text(locale, key)  # type: ignore[attr-defined]

    # ---- inbound -------------------------------------------------------------------------------------------

    async def _drop_duplicate_events(self, body: dict[str, Any], next: Callable[[], Awaitable[None]]) -> Any:
        """Slack retries an Events API delivery it thinks was lost: the same event_id acts once."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            if event_id in self._seen:
                log.info("Dropped a repeated Slack event delivery")
                return BoltResponse(status=200, body="")  # nothing (None) would be a 404: Slack retries again
            self._seen[event_id] = None
            while len(self._seen) > SEEN_EVENTS:
                self._seen.popitem(last=False)
        await next()

    def _after_ack(self, work: Awaitable[None]) -> None:
        """Run `work` once the ack has gone back to Slack; keep the task so it is neither lost nor leaked.

        Listeners run inside dispatch (process_before_response) and only ack and call this, so the ack
        never waits for the core, the database or the Web API, and no polling loop sits between them.
        """
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        self._work_tasks.add(task)
        task.add_done_callback(self._work_tasks.discard)

    async def _on_command(self, ack: Any, body: dict[str, Any], context: Any) -> None:
        await ack()
        self._remember_token(context)
        work = self._work(
            body["team_id"],
            body["user_id"],
            lambda profile: translate.command(body, profile),
            trigger_id=body.get("trigger_id"),
            response_url=body.get("response_url"),
        )
        self._after_ack(work)

    async def _on_button(self, ack: Any, body: dict[str, Any], context: Any) -> None:
        await ack()
        self._remember_token(context)
        work = self._work(
            translate.team_id(body),
            body["user"]["id"],
            lambda profile: translate.button(body, profile),
            trigger_id=body.get("trigger_id"),
            response_url=body.get("response_url"),
        )
        self._after_ack(work)

    async def _on_form(self, ack: Any, body: dict[str, Any], context: Any) -> None:
        await ack()  # closes the modal; what follows is posted, not shown in it
        self._remember_token(context)
        work = self._work(
            translate.team_id(body),
            body["user"]["id"],
            lambda profile: translate.form(body, profile),
            trigger_id=body.get("trigger_id"),
        )
        self._after_ack(work)

    async def _on_mention(self, ack: Any, body: dict[str, Any], context: Any) -> None:
        await ack()
        self._remember_token(context)
        bot_user = context.get("bot_user_id") or ""
        work = self._work(
            body["team_id"],
            body["event"].get("user", ""),
            lambda profile: translate.mention(body, bot_user, profile),
        )
        self._after_ack(work)

    async def _ignore(self, ack: Any) -> None:
        """Plain messages are not for us; listening keeps bolt from warning about them."""
        await ack()

    async def _work(
        self,
        team: str,
        user: str,
        make: Callable[[Profile], InboundEvent | None],
        *,
        trigger_id: str | None = None,
        response_url: str | None = None,
    ) -> None:
        """After the ack: who is this, what does the core say, send it; then learn who they are, if
        that was left for later (outside the workers, so the look-ups' pace holds up no one's answer)."""
        async with self._workers:
            later = await self._answer(team, user, make, trigger_id=trigger_id, response_url=response_url)
        if later is not None:
            try:
                await later()
            except Exception:
                log.exception("Looking up a Slack profile after the answer failed")

    async def _answer(
        self,
        team: str,
        user: str,
        make: Callable[[Profile], InboundEvent | None],
        *,
        trigger_id: str | None,
        response_url: str | None,
    ) -> Callable[[], Awaitable[Profile]] | None:
        event: InboundEvent | None = None
        later: Callable[[], Awaitable[Profile]] | None = None
        try:
            client = await self._client_for(team)
            if trigger_id is not None:  # its trigger_id dies 3 s after the click: no waiting on users.info
                profile, later = await self.profiles.for_click(client, team, user)
            else:
                profile = await self.profiles.get(client, team, user)
            event = make(profile)
            if event is None:
                return later
            interaction = Interaction(
                user=user,
                channel=event.caller.channel,
                trigger_id=trigger_id,
                response_url=response_url,
                locale=profile.locale,
            )
            if event.request_id:
                self._interactions[event.request_id] = interaction
            actions = await self.core.handle(event)
            await self.send(event.caller.tenant, actions, origin=event)
        except Exception:
            log.exception("A Slack %s failed after its ack", type(event).__name__ if event else "request")
            if event is not None:
                await self._apologise(event)
        finally:
            if event is not None and event.request_id:
                self._interactions.pop(event.request_id, None)
        return later

    async def _apologise(self, event: InboundEvent) -> None:
        try:
            text = self._text(event.caller.locale, "slack.failed")
            reply = Reply(user=event.caller.user, channel=event.caller.channel, message=Message(text=text))
            await self.send(event.caller.tenant, [reply], origin=event)
        except Exception:
            log.exception("Could not tell the user that their request failed")

    async def dispatch(self, body: str, headers: dict[str, str]) -> BoltResponse:
        """One request as the HTTP server hands it on: through the gate, then bolt (tests enter here too)."""
        refused = gate.refusal(body, headers)
        if refused is not None:
            log.warning("Answered %d to a Slack request: %s", *refused)
            return BoltResponse(status=refused[0], body="")
        return await self.app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))

    async def settle(self) -> None:
        """Wait until the work of every request acked so far is done (tests, and a graceful stop)."""
        while self._work_tasks:
            await asyncio.gather(*list(self._work_tasks), return_exceptions=True)

    # ---- outbound: the Outbox port -------------------------------------------------------------------------

    async def send(
        self, tenant: str, actions: list[Action], *, origin: Event | None = None
    ) -> list[Delivery]:
        request_id = getattr(origin, "request_id", None)
        interaction = self._interactions.get(request_id) if request_id else None
        return await self.outbox.send(tenant, actions, interaction=interaction)

    # ---- lifecycle -----------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Check the tokens, then listen: a wrong or revoked token stops the start, named, instead of
        failing on the first click of a workshop."""
        await self._check_bot_token()
        for tables in self._oauth_tables:  # created if missing; not under Alembic (slack_sdk owns them)
            await tables.create_tables()
            if hasattr(tables, "scrub"):
                await tables.scrub()
        if self.settings.socket_mode:
            # slack_sdk's Socket Mode client retries a refused app token forever (a traceback every
            # few seconds), so the connection URL is asked for here, once, and handed to it.
            try:
                opened = await self._new_client().apps_connections_open(app_token=self.settings.app_token)
            except SlackApiError as error:
                raise TokenRefused("Slack", "SLACK_APP_TOKEN", _code(error)) from None
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(
                self.app, self.settings.app_token, web_client=self._new_client()
            )
            self._socket.client.wss_uri = opened["url"]
            await self._socket.connect_async()
            log.info("Slack: connected in Socket Mode")
            return
        server = self.app.server(port=self.settings.port, path=EVENTS_PATH, host=self.settings.host)
        server.web_app.middlewares.append(_gate_unreadable)
        self._runner = web.AppRunner(server.web_app, handle_signals=False)
        await self._runner.setup()
        # A workshop's burst of clicks arrives at once: a short listen queue would drop SYNs (1 s retries).
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port, backlog=BACKLOG)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        log.info("Slack: listening on %s:%s%s", self.settings.host, self.port, EVENTS_PATH)

    async def _check_bot_token(self) -> None:
        if self.settings.oauth or not self.settings.bot_token:
            return  # OAuth: each workspace's token is checked by Slack when it is used
        try:
            await self._new_client(self.settings.bot_token).auth_test()
        except SlackApiError as error:  # invalid_auth, token_revoked, account_inactive, ...
            raise TokenRefused("Slack", "SLACK_BOT_TOKEN", _code(error)) from None

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        try:
            await asyncio.wait_for(self.settle(), timeout=10)
        except TimeoutError:
            log.warning("Slack: stopped with requests still being handled")


def _code(error: SlackApiError) -> str:
    return str(getattr(error.response, "get", lambda *_: None)("error") or "refused")


@web.middleware
async def _gate_unreadable(request: web.Request, handler: Any) -> web.StreamResponse:
    """HTTP mode: the same gate as SlackAdapter.dispatch, before bolt's own aiohttp handler."""
    if request.method == "POST" and request.path == EVENTS_PATH:
        try:
            raw = await request.read()  # aiohttp keeps the body, so bolt reads it again
        except web.HTTPRequestEntityTooLarge:
            log.warning("Answered 413 to a Slack request: its body is too large")
            return web.Response(status=413)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            log.warning("Answered 400 to a Slack request: its body is not UTF-8")
            return web.Response(status=400)
        refused = gate.refusal(body, request.headers)
        if refused is not None:
            log.warning("Answered %d to a Slack request: %s", *refused)
            return web.Response(status=refused[0])
    return await handler(request)
