"""The Discord adapter: interactions in through translate, the core's actions out through render.

It answers every interaction within Discord's 3 seconds: the core gets a short budget to finish (so a
form can open as a modal, which must be the first answer), and otherwise the interaction is deferred
and the actions follow up. It is also the `Outbox` for Discord tenants: timer-driven actions arrive
through `send` with no origin. A DM refused with 50007 becomes a mention in the action's `near` channel,
reported as `dm_refused`, never retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import discord

from adapters.discord import render, translate, views
from adapters.discord.client import make_bot
from adapters.discord.surface import by_path, surface, usage
from adapters.discord.voice import VoiceFloor
from bot.actions import (
    Action,
    Delivery,
    DirectMessage,
    Floor,
    Forget,
    Message,
    OpenForm,
    Post,
    Reply,
    Update,
    Upload,
)
from bot.events import InboundEvent
from bot.markup import plain
from bot.operator import TokenRefused
from bot.pacing import rate_limited_detail

log = logging.getLogger(__name__)

CANNOT_DM = 50007  # Discord: "Cannot send messages to this user"
RESPONSE_BUDGET = 1.5  # seconds the core may take before the interaction is deferred (Discord allows 3)
ORIGINS_KEPT = 1000  # interactions remembered for follow-ups (Discord honours them for 15 minutes)
SHOWN_KEPT = 5000  # message parts whose last rendering is remembered, so an unchanged part is not edited
THREAD_NAME_MAX = 100


def _lang(locale: Any) -> str:
    value = str(getattr(locale, "value", locale) or "")
    return "ja" if value.lower().startswith("ja") else "en"


class DiscordAdapter:
    """Runs the bot, feeds the core, and delivers what the core answers."""

    platform = "discord"

    def __init__(
        self, core: Any, store: Any, settings: Any, *, response_budget: float = RESPONSE_BUDGET
    ) -> None:
        self.core, self.store, self.settings = core, store, settings
        self.response_budget = response_budget
        self.surface = surface(core.specs.values())
        groups = {name.split()[0] for name in core.specs if len(name.split()) > 1}
        # help and error lines in the form Discord's command menu shows
        core.parser.usage_forms["discord"] = lambda spec: usage(spec, groups)
        self._paths = by_path(self.surface)
        self.bot = make_bot(
            words=core.catalog,
            handler=self.answer,
            surface=self.surface,
            application_id=getattr(settings, "discord_application_id", None),
            sharded=bool(getattr(settings, "discord_sharded", False)),
        )
        self._origins: OrderedDict[str, discord.Interaction] = OrderedDict()
        self._dm_guilds: dict[int, int] = {}  # DM channel -> the guild whose message went there last
        self._runner: asyncio.Task[None] | None = None
        self._replied: set[int] = set()  # interactions whose "thinking…" a reply has replaced
        self._shown: OrderedDict[int, render.Outgoing] = OrderedDict()  # part id -> what it shows now
        self.voice = VoiceFloor(self.bot, store, core.clock, self._announce)
        self.bot.add_listener(self.voice.on_voice_state_update, "on_voice_state_update")

    def text(self, locale: str, key: str, **params: Any) -> str:
        return self.core.catalog.text(locale, key, **params)

    # -- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Log in (a bad token fails here, loudly) and keep the gateway connection in the background."""
        token = self.settings.discord_token
        try:
            await self.bot.login(token.get_secret_value() if hasattr(token, "get_secret_value") else token)
        except discord.LoginFailure:  # Discord's 401: the token is wrong, or was reset
            raise TokenRefused("Discord", "DISCORD_TOKEN", "401 Unauthorized") from None
        await self.unmute_stale()
        self._runner = asyncio.create_task(self.bot.connect(reconnect=True), name="discord-gateway")

    async def unmute_stale(self) -> None:
        """Lift the mutes of rounds that ended while the bot was down (see adapters/discord/voice.py)."""
        await self.voice.unmute_stale()

    async def stop(self) -> None:
        await self.bot.close()
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._runner
            self._runner = None

    # -- inbound ---------------------------------------------------------------------------------------

    async def answer(self, interaction: discord.Interaction) -> None:
        """One interaction, start to finish: translate, let the core work, answer within 3 s, deliver."""
        fallback = self._dm_guilds.get(interaction.channel_id or 0)
        event = translate.from_interaction(interaction, self._paths, fallback_guild=fallback)
        if event is None:
            if interaction.guild_id is None:  # a DM button with no guild to act for
                await interaction.response.send_message(
                    self.text(_lang(interaction.locale), "discord.not_in_server"), ephemeral=True
                )
            return
        if (
            interaction.type is discord.InteractionType.application_command
            and translate.wants_voice(interaction.data or {}, self._paths)
            and not translate.voice_members(interaction.user)
        ):
            await interaction.response.send_message(
                self.text(_lang(interaction.locale), "discord.voice_no_channel"), ephemeral=True
            )
            return
        self._remember(event, interaction)
        work = asyncio.ensure_future(self.core.handle(event))
        done, _ = await asyncio.wait({work}, timeout=self.response_budget)
        try:
            if work in done and not work.exception():
                form = self._form_for(event, work.result())
                if form is not None:
                    spec = render.render_form(
                        form.form, guild_id=None if interaction.guild_id else self._guild(event)
                    )
                    await interaction.response.send_modal(views.modal(spec))
            if not interaction.response.is_done():
                await self._defer(interaction)
        except discord.HTTPException as error:
            # Too late (10062) or answered already (40060): what the core did is still delivered below.
            log.warning("could not answer a Discord interaction in time: code %s", error.code)
        try:
            actions = await work
        except Exception:
            log.exception("the core failed on a Discord %s", type(event).__name__)
            actions = [
                Reply(
                    event.caller.user,
                    event.caller.channel,
                    Message(self._words(event, "something_went_wrong")),
                )
            ]
        try:
            await self.send(event.caller.tenant, actions, origin=event)
            await self._tidy(interaction)
        finally:
            self._origins.pop(str(event.request_id), None)

    def _remember(self, event: InboundEvent, interaction: discord.Interaction) -> None:
        self._origins[str(event.request_id)] = interaction
        while len(self._origins) > ORIGINS_KEPT:
            self._origins.popitem(last=False)

    @staticmethod
    def _form_for(event: InboundEvent, actions: Sequence[Action]) -> OpenForm | None:
        return next((a for a in actions if isinstance(a, OpenForm) and a.user == event.caller.user), None)

    @staticmethod
    def _guild(event: InboundEvent) -> int | None:
        return translate.guild_of(event.caller.tenant)

    async def _defer(self, interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.component:
            await interaction.response.defer()  # nothing visible; replies follow as ephemeral messages
        else:
            await interaction.response.defer(ephemeral=True, thinking=True)

    async def _tidy(self, interaction: discord.Interaction) -> None:
        """A deferred command that got no reply would say "thinking…" forever: remove that placeholder."""
        if interaction.id in self._replied:
            self._replied.discard(interaction.id)
            return
        if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()

    def _words(self, event: InboundEvent, key: str, **params: Any) -> str:
        return self.text(_lang(event.caller.locale), f"discord.{key}", **params)

    # -- outbound (the Outbox port) --------------------------------------------------------------------

    async def send(
        self, tenant: str, actions: Sequence[Action], *, origin: InboundEvent | None = None
    ) -> list[Delivery]:
        interaction = self._origins.get(str(origin.request_id)) if origin is not None else None
        guild_id = translate.guild_of(tenant)
        deliveries = []
        for action in actions:
            try:
                deliveries.append(await self._deliver(tenant, guild_id, action, interaction))
            except discord.HTTPException as error:
                # discord.py sleeps on a 429 and retries by itself; one reaches here only when its five
                # tries all met a 429 (or Cloudflare's, which it never retries). The sender holds and
                # tries later, rather than this loop hammering on: 429s count toward an IP ban.
                if error.status == 429:
                    deliveries.append(Delivery(action, "failed", rate_limited_detail(None)))
                    continue
                log.warning(
                    "Discord refused a %s: HTTP %s code %s", type(action).__name__, error.status, error.code
                )
                deliveries.append(Delivery(action, "failed", f"discord {error.status}/{error.code}"))
            except Exception:  # one action failing must not lose the others; no text in the log
                log.exception("delivering a %s to Discord failed", type(action).__name__)
                deliveries.append(Delivery(action, "failed", "adapter error"))
        return deliveries

    async def _deliver(
        self, tenant: str, guild_id: int | None, action: Action, interaction: discord.Interaction | None
    ) -> Delivery:
        if isinstance(action, Post):
            outgoing = render.render_message(action.message)
            sent = await self._post(int(action.channel), outgoing)
            await self._remember_ref(tenant, action.ref, sent, outgoing)
            return Delivery(action)
        if isinstance(action, Reply):
            return await self._reply(tenant, guild_id, action, interaction)
        if isinstance(action, DirectMessage):
            return await self._direct(tenant, guild_id, action)
        if isinstance(action, Update):
            return await self._update(tenant, action)
        if isinstance(action, OpenForm):
            if interaction is not None and interaction.response.type is discord.InteractionResponseType.modal:
                return Delivery(action)
            if interaction is not None:  # the core was too slow for a modal to be the first answer
                await self._follow_up(
                    interaction,
                    render.render_message(
                        Message(self.text(_lang(interaction.locale), "discord.form_too_slow"))
                    ),
                )
            return Delivery(action, "failed", "a form opens only as the first answer to an interaction")
        if isinstance(action, Floor):
            return await self.voice.floor(tenant, guild_id, action, interaction)
        if isinstance(action, Upload):
            return await self._upload(guild_id, action)
        if isinstance(action, Forget):
            await self.voice.forget(tenant, action.user)
            return Delivery(action)
        raise TypeError(f"unsupported action {type(action).__name__}")

    async def _post(self, channel_id: int, outgoing: list[render.Outgoing]) -> list[discord.Message]:
        channel = self.bot.get_channel(channel_id) or self.bot.get_partial_messageable(channel_id)
        return [await channel.send(**views.send_kwargs(out)) for out in outgoing]

    async def _follow_up(self, interaction: discord.Interaction, outgoing: list[render.Outgoing]) -> None:
        for out in outgoing:
            await interaction.followup.send(ephemeral=True, **views.send_kwargs(out))
        self._replied.add(interaction.id)

    async def _reply(
        self, tenant: str, guild_id: int | None, action: Reply, interaction: discord.Interaction | None
    ) -> Delivery:
        if interaction is not None and str(interaction.user.id) == action.user:
            await self._follow_up(interaction, render.render_message(action.message))
            return Delivery(action)
        # Only an interaction can answer privately in a channel; otherwise the words go by DM.
        return await self._direct(
            tenant, guild_id, DirectMessage((action.user,), action.message, near=action.channel)
        )

    async def _user(self, user_id: str) -> discord.User | None:
        if not user_id.isdigit():
            return None
        user = self.bot.get_user(int(user_id))
        if user is None:
            try:
                user = await self.bot.fetch_user(int(user_id))
            except discord.NotFound:
                return None
        return user

    async def _direct(self, tenant: str, guild_id: int | None, action: DirectMessage) -> Delivery:
        if len(action.users) > 1 and action.near:
            try:
                return await self._private_thread(tenant, action)
            except (discord.HTTPException, AttributeError, ValueError) as error:
                # No permission for private threads, or `near` is no text channel: one DM each instead.
                log.warning(
                    "no private thread for a group DM (%s); sending one DM each", type(error).__name__
                )
        statuses = []
        for user_id in action.users:
            statuses.append(await self._dm_one(tenant, guild_id, user_id, action))
        worst = next((s for s in statuses if s != "ok"), "ok")
        return Delivery(action, worst, None if worst == "ok" else ",".join(statuses))

    async def _upload(self, guild_id: int | None, action: Upload) -> Delivery:
        """Files as attachments of one DM to each person (Discord takes up to 10 a message)."""
        statuses = []
        for user_id in action.users:
            user = await self._user(user_id)
            if user is None:
                statuses.append("unknown_user")
                continue
            files = [
                discord.File(io.BytesIO(a.data), filename=a.filename, description=a.title[:1024])
                for a in action.files[:10]
            ]
            [out, *_] = render.render_message(Message(action.text or "\u200b"), guild_id=guild_id)
            try:
                channel = await user.create_dm()
                await channel.send(**views.send_kwargs(out), files=files)
            except discord.Forbidden as error:
                if error.code != CANNOT_DM:
                    raise
                statuses.append("dm_refused")
                continue
            statuses.append("ok")
        worst = next((s for s in statuses if s != "ok"), "ok")
        return Delivery(action, worst, None if worst == "ok" else ",".join(statuses))

    async def _dm_one(self, tenant: str, guild_id: int | None, user_id: str, action: DirectMessage) -> str:
        user = await self._user(user_id)
        if user is None:
            return "unknown_user"
        try:
            channel = await user.create_dm()
            outgoing = render.render_message(action.message, guild_id=guild_id)
            sent = [await channel.send(**views.send_kwargs(out)) for out in outgoing]
        except discord.Forbidden as error:
            if error.code != CANNOT_DM:
                raise
            log.info("a DM was refused (50007); falling back to a mention in the event's channel")
            if action.near:
                lang = await self._guild_lang(guild_id)
                lead = self.text(lang, "discord.dm_refused", mention=f"<@{user_id}>")
                fallback = Message(
                    f"{lead}\n{action.message.text}",
                    action.message.title,
                    action.message.fields,
                    action.message.buttons,
                )
                await self._post(int(action.near), render.render_message(fallback))
            return "dm_refused"
        if guild_id is not None:
            self._dm_guilds[channel.id] = guild_id
        if len(action.users) == 1:
            await self._remember_ref(tenant, action.ref, sent, outgoing, guild_id=guild_id)
        return "ok"

    async def _guild_lang(self, guild_id: int | None) -> str:
        guild = self.bot.get_guild(guild_id) if guild_id else None
        return _lang(guild.preferred_locale) if guild is not None else "en"

    async def _announce(self, guild_id: int, channel_id: int, key: str) -> None:
        """Words of the adapter's own (`key` in prompts/), posted in the guild's language."""
        words = self.text(await self._guild_lang(guild_id), key)
        await self._post(channel_id, render.render_message(Message(words)))

    @staticmethod
    def _thread_key(action: DirectMessage) -> str:
        """The adapter's own ref for the private thread of these people beside `near`."""
        people = hashlib.sha256(",".join(sorted(action.users)).encode()).hexdigest()[:16]
        return f"discord:thread:{action.near}:{people}"

    async def _private_thread(self, tenant: str, action: DirectMessage) -> Delivery:
        """A group DM is a private thread beside the event's channel, with only those people in it.

        The same people beside the same channel keep one thread (a one-on-one sends many messages), found
        again after a restart through the message_ref table; a thread deleted meanwhile is made anew.
        """
        key = self._thread_key(action)
        known = await self._find_ref(tenant, key)
        if known is not None:
            try:
                thread = self.bot.get_partial_messageable(known[0])
                return await self._send_to_thread(tenant, thread, action, action.message)
            except discord.NotFound:
                log.info("a pair's private thread is gone; opening a new one")
        parent = self.bot.get_channel(int(action.near))  # type: ignore[arg-type]
        if parent is None:
            parent = await self.bot.fetch_channel(int(action.near))  # type: ignore[arg-type]
        name = render.clip(
            plain(action.message.title or action.message.text.split("\n", 1)[0]) or "Tsunagari",
            THREAD_NAME_MAX,
        )
        thread = await parent.create_thread(
            name=name, type=discord.ChannelType.private_thread, invitable=False
        )
        for user_id in action.users:
            await thread.add_user(discord.Object(int(user_id)))
        async with self.store.session() as session:
            from bot.store import refs

            await refs.remember(
                session, tenant=tenant, ref=key, channel=str(thread.id), message_id=str(thread.id)
            )
        mentions = " ".join(f"<@{u}>" for u in action.users)  # a line that pings, not a sentence
        greeting = Message(
            f"{mentions}\n{action.message.text}",
            action.message.title,
            action.message.fields,
            action.message.buttons,
        )
        return await self._send_to_thread(tenant, thread, action, greeting)

    async def _send_to_thread(
        self, tenant: str, thread: Any, action: DirectMessage, message: Message
    ) -> Delivery:
        outgoing = render.render_message(message)
        sent = [await thread.send(**views.send_kwargs(out)) for out in outgoing]
        await self._remember_ref(tenant, action.ref, sent, outgoing)
        return Delivery(action)

    async def _update(self, tenant: str, action: Update) -> Delivery:
        """Edit a message in place, part by part: the text and buttons are split exactly as when it was
        sent, so each part gets its own share; parts no longer needed go, new ones follow the last."""
        stored = await self._find_parts(tenant, action.ref)
        if stored is None:
            return Delivery(action, "failed", "unknown ref")
        channel_id, guild_id, ids = stored
        channel = self.bot.get_partial_messageable(channel_id)
        parts = render.render_message(action.message, guild_id=guild_id)
        kept: list[int] = []
        for message_id, out in zip(ids, parts, strict=False):
            if self._shown.get(message_id) != out:  # an unchanged part costs no request
                kwargs = views.send_kwargs(out)
                kwargs.setdefault("view", None)  # a part without buttons loses the ones it had
                await channel.get_partial_message(message_id).edit(**kwargs)
                self._show(message_id, out)
            kept.append(message_id)
        grown = parts[len(ids) :]
        for out in grown:  # the text grew: the new parts follow the last one
            sent = await channel.send(**views.send_kwargs(out))
            self._show(sent.id, out)
            kept.append(sent.id)
        if grown:  # remembered before anything else can fail, so no part is ever lost track of
            await self._save_parts(tenant, action.ref, channel_id, guild_id, kept)
        for message_id in ids[len(parts) :]:  # it shrank: the parts left over go
            with contextlib.suppress(discord.NotFound):
                await channel.get_partial_message(message_id).delete()
            self._shown.pop(message_id, None)
        if len(parts) < len(ids):
            await self._save_parts(tenant, action.ref, channel_id, guild_id, kept)
        return Delivery(action)

    # -- message refs ------------------------------------------------------------------------------------
    #
    # A ref names every part of a message: `message_id` holds the parts' ids comma-separated, after
    # `g<guild>|` for a message outside the guild (a DM), whose buttons must carry the guild again when
    # it is edited after a restart.

    def _show(self, message_id: int, out: render.Outgoing) -> None:
        self._shown[message_id] = out
        while len(self._shown) > SHOWN_KEPT:
            self._shown.popitem(last=False)

    async def _remember_ref(
        self,
        tenant: str,
        ref: str | None,
        sent: list[discord.Message],
        outgoing: Sequence[render.Outgoing] = (),
        *,
        guild_id: int | None = None,
    ) -> None:
        for message, out in zip(sent, outgoing, strict=False):
            self._show(message.id, out)
        if ref is None or not sent:
            return
        await self._save_parts(tenant, ref, sent[0].channel.id, guild_id, [m.id for m in sent])

    async def _save_parts(
        self, tenant: str, ref: str, channel_id: int, guild_id: int | None, ids: Sequence[int]
    ) -> None:
        from bot.store import refs

        value = ",".join(str(i) for i in ids)
        if guild_id is not None:
            value = f"g{guild_id}|{value}"
        async with self.store.session() as session:
            await refs.remember(session, tenant=tenant, ref=ref, channel=str(channel_id), message_id=value)

    async def _find_parts(self, tenant: str, ref: str) -> tuple[int, int | None, list[int]] | None:
        """(channel, guild for a DM's buttons or None, every part's message id) of a remembered ref."""
        from bot.store import refs

        async with self.store.session() as session:
            row = await refs.find(session, tenant=tenant, ref=ref)
        if row is None:
            return None
        guild, _, ids = row.message_id.rpartition("|")
        return int(row.channel), int(guild[1:]) if guild else None, [int(i) for i in ids.split(",")]

    async def _find_ref(self, tenant: str, ref: str) -> tuple[int, int] | None:
        found = await self._find_parts(tenant, ref)
        return None if found is None else (found[0], found[2][0])
