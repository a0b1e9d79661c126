"""A Discord guild with the whole bot in it and no network: the real discord.py client, dpytest's state,
the fake REST and webhook adapters, and the real core on a virtual clock.

People act through gateway interaction payloads (`command`, `press`, `submit`); what they see is read
from the fakes: `rest` for channel messages and DMs, `webhooks` for interaction answers.
`restart()` throws the bot and the app away and builds them again on the same database, the way a
deploy would; Discord's side (messages already posted) is kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import discord
from discord.ext.test import backend

from adapters.discord.adapter import DiscordAdapter
from bot.bootstrap import App, build
from bot.clock import VirtualClock
from bot.config import Settings
from tests.fakes import discord_payloads as payloads
from tests.fakes.discord_http import DiscordRest
from tests.fakes.discord_webhook import RecordingWebhookAdapter, WebhookCall, recording_webhooks

APPLICATION_ID = 900_000_000_000_000_001
GUILD_ID = 910_000_000_000_000_001
MAIN_ID = 920_000_000_000_000_001
BREAKOUT_ID = 920_000_000_000_000_002
VOICE_ID = 920_000_000_000_000_003
PEOPLE = {
    "alice": 930_000_000_000_000_001,
    "bob": 930_000_000_000_000_002,
    "carol": 930_000_000_000_000_003,
    "dan": 930_000_000_000_000_004,
}


class DiscordWorld:
    def __init__(self, database_url: str, start: datetime) -> None:
        self.settings = Settings().model_copy(
            update={
                "database_url": database_url,
                "default_lang": "en",
                "discord_application_id": APPLICATION_ID,
            }
        )
        self.clock = VirtualClock(start)
        self.rest = DiscordRest()
        self.app: App | None = None
        self.adapter: DiscordAdapter | None = None
        self.users: dict[str, discord.User] = {}
        self._outside: set[asyncio.Task[Any]] = set()
        self._webhooks_cm = recording_webhooks()
        self.webhooks: RecordingWebhookAdapter = self._webhooks_cm.__enter__()
        self.webhooks.clock = self.clock  # interactions' 3-second and 15-minute windows run on it too

    # -- lifecycle -------------------------------------------------------------------------------------

    async def boot(
        self, *, response_budget: float = 2.0, voice: Mapping[str, tuple[int, bool]] | None = None
    ) -> None:
        """What `App.start` does, in its order, except logging in to Discord: the adapter is registered
        and its bot set up on the fakes before the timers that fell due while down are fired."""
        self.app = build(self.settings, clock=self.clock)
        self.adapter = DiscordAdapter(
            self.app.core, self.app.store, self.settings, response_budget=response_budget
        )
        self.app.dispatcher.register("discord", self.adapter)
        bot = self.adapter.bot
        await bot._async_setup_hook()
        backend.configure(bot)
        # PLATFORMS.md's recipe: the fake state needs the tree, the application id and an http for it.
        self.rest.install(bot)
        bot._connection._command_tree = bot.tree
        bot._connection.application_id = APPLICATION_ID
        bot.tree._http = bot.http
        self.webhooks.bot_user_id = bot.user.id
        self.guild = backend.make_guild("Yorimichi", id_num=GUILD_ID)
        self.main = backend.make_text_channel("main", self.guild, id_num=MAIN_ID)
        self.breakout = backend.make_text_channel("breakout", self.guild, id_num=BREAKOUT_ID)
        self.voice = backend.make_voice_channel("circle", self.guild, id_num=VOICE_ID)
        self.grant(mute_members=True)  # as the invite URL asks
        for name, user_id in PEOPLE.items():
            self.users[name] = backend.make_user(name, 1, id_num=user_id)
            self.rest.add_user(self.users[name])
        # The voice states GUILD_CREATE carries: known to the cache, with no voice_state_update event.
        dispatch = bot._connection.dispatch
        bot._connection.dispatch = lambda *args, **kwargs: None
        try:
            for name, (channel_id, mute) in (voice or {}).items():
                self.join_voice(name, channel_id, mute=mute)
        finally:
            bot._connection.dispatch = dispatch
        await bot.setup_hook()
        await self.app.store.upgrade()
        await self.adapter.unmute_stale()  # what `start()` does once logged in
        await self.app.timers.start()
        # Tasks alive now (the test runner's own, a fixture suspended at its yield) are not ours to wait for.
        self._outside = set(asyncio.all_tasks())

    async def restart(self) -> None:
        """The process dies and comes back: a new bot and app on the same database and the same guild.

        Discord keeps who is in which voice channel, server mutes included; the new gateway session is
        told so on connecting, as here."""
        await self.settle()
        voice = {}
        for name, user_id in PEOPLE.items():
            member = self.guild.get_member(user_id)
            if member is not None and member.voice is not None and member.voice.channel is not None:
                voice[name] = (member.voice.channel.id, bool(member.voice.mute))
        await self.app.close()
        await self.boot(voice=voice)

    async def close(self) -> None:
        await self.settle()
        if self.app is not None:
            await self.app.close()
        for task in asyncio.all_tasks():
            if task.get_coro().__qualname__.endswith("timeout_task_impl"):
                task.cancel()
        self._webhooks_cm.__exit__(None, None, None)

    def _ours(self) -> list[asyncio.Task[Any]]:
        """Tasks the interactions started; a view's 15-minute expiry clock is not work to wait for."""
        current = asyncio.current_task()
        return [
            t
            for t in asyncio.all_tasks()
            if t is not current
            and t not in self._outside
            and not t.done()
            and not t.get_coro().__qualname__.endswith("timeout_task_impl")
        ]

    async def settle(self) -> None:
        """Let every task the interactions started run to the end (bounded, in case one never ends)."""
        for _ in range(20):
            pending = self._ours()
            if not pending:
                return
            await asyncio.wait(pending, timeout=5)
        raise AssertionError(f"tasks never finished: {self._ours()}")

    # -- people acting ---------------------------------------------------------------------------------

    def _inject(self, payload: dict[str, Any]) -> str:
        self.webhooks.arrived(payload["token"])
        self.adapter.bot._connection.parse_interaction_create(payload)
        return payload["token"]

    def inject_command(self, who: str, path: str, channel: Any = None, **options: Any) -> str:
        """`who` runs a command, and nothing has handled it yet: the test may move the clock first."""
        return self._inject(
            payloads.slash_command(
                path.split(), options, user=self.users[who], **self._where(channel or self.main, False)
            )
        )

    def _where(self, channel: Any, dm: bool) -> dict[str, Any]:
        return {"application_id": APPLICATION_ID, "channel": channel, "guild": None if dm else self.guild}

    async def command(
        self, who: str, path: str, channel: Any = None, locale: str = "en-US", **options: Any
    ) -> list[WebhookCall]:
        """`who` runs `/tsunagari <path> option:value …`; returns the answers to that interaction."""
        options = {
            k: self.users[v[1:]] if isinstance(v, str) and v.startswith("@") else v
            for k, v in options.items()
        }
        token = self._inject(
            payloads.slash_command(
                path.split(),
                options,
                user=self.users[who],
                locale=locale,
                **self._where(channel or self.main, False),
            )
        )
        await self.settle()
        return self.webhooks.for_token(token)

    async def press(
        self, who: str, custom_id: str, channel: Any = None, dm: bool = False, locale: str = "en-US"
    ) -> list[WebhookCall]:
        if dm:
            channel = await self.users[who].create_dm()
        token = self._inject(
            payloads.button_press(
                custom_id, user=self.users[who], locale=locale, **self._where(channel or self.main, dm)
            )
        )
        await self.settle()
        return self.webhooks.for_token(token)

    async def submit(
        self, who: str, custom_id: str, values: Mapping[str, str], channel: Any = None, locale: str = "en-US"
    ) -> list[WebhookCall]:
        token = self._inject(
            payloads.modal_submit(
                custom_id,
                values,
                user=self.users[who],
                locale=locale,
                **self._where(channel or self.main, False),
            )
        )
        await self.settle()
        return self.webhooks.for_token(token)

    async def submit_in_dm(self, who: str, custom_id: str, values: Mapping[str, str]) -> list[WebhookCall]:
        """A modal opened from a DM button is submitted there: the interaction carries no guild."""
        channel = await self.users[who].create_dm()
        token = self._inject(
            payloads.modal_submit(custom_id, values, user=self.users[who], **self._where(channel, True))
        )
        await self.settle()
        return self.webhooks.for_token(token)

    def grant(self, **permissions: bool) -> None:
        """Change what the server lets the bot (and everyone: the fake has only @everyone) do."""
        role = self.guild.default_role
        granted = discord.Permissions(role.permissions.value)
        granted.update(**permissions)
        role._permissions = granted.value

    def join_voice(self, who: str, channel_id: int | None = VOICE_ID, *, mute: bool = False) -> None:
        """`who` joins (or, with None, leaves) a voice channel: the gateway's VOICE_STATE_UPDATE.

        `mute` is a server mute they already carry (a moderator's, or one Discord kept from before)."""
        member = {
            "user": payloads.user_dict(self.users[who]),
            "roles": [],
            "joined_at": "2026-01-15T09:00:00+00:00",
            "deaf": False,
            "mute": mute,
            "flags": 0,
        }
        self.adapter.bot._connection.parse_voice_state_update(
            {
                "guild_id": str(GUILD_ID),
                "channel_id": None if channel_id is None else str(channel_id),
                "user_id": str(PEOPLE[who]),
                "member": member,
                "session_id": f"session-{who}",
                "deaf": False,
                "mute": mute,
                "self_deaf": False,
                "self_mute": False,
                "self_video": False,
                "suppress": False,
                "request_to_speak_timestamp": None,
            }
        )

    async def wait(self, **delta: float) -> None:
        await self.app.timers.advance_to(self.clock.now() + timedelta(**delta))
        await self.settle()

    # -- what people saw -------------------------------------------------------------------------------

    def channel_texts(self, channel_id: int = MAIN_ID) -> list[str]:
        return [sent.text() for sent in self.rest.in_channel(channel_id)]

    def mention(self, who: str) -> str:
        return f"<@{PEOPLE[who]}>"
