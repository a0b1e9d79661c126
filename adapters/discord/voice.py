"""The voice floor of a `turns --mute-others` round on Discord: who is server-muted, and unmuting them.

Each person the bot server-mutes gets a `voice_mute` row (written before the mute, removed after the
unmute), so it unmutes exactly those it muted: someone already server-muted (by a moderator) is left
alone, whatever happens. Mutes live on Discord's side, so a restart mid-round changes nothing; rows of
rounds that ended while the bot was down are unmuted at start-up (`unmute_stale`), and someone who
had left voice (Discord can't unmute them there) is unmuted when they next join a voice channel.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from adapters.discord import mutes, translate
from bot.actions import Delivery, Floor
from bot.store import refs

log = logging.getLogger(__name__)

GONE = (10004, 10007, 10013)  # unknown guild, member, user: nobody left to unmute

# (guild, text channel, prompt key): posts those words, in the guild's language, in that channel
Announce = Callable[[int, int, str], Awaitable[None]]


class VoiceFloor:
    """Mutes a round's listeners while someone has the floor, and unmutes exactly them afterwards."""

    def __init__(self, bot: Any, store: Any, clock: Any, announce: Announce) -> None:
        self.bot, self.store, self.clock, self.announce = bot, store, clock, announce
        self._told_no_mute: set[str] = set()  # rounds told once that the bot may not mute
        # (tenant, round ref) -> (voice channel, speaker, text channel) of rounds whose floor this process
        # has handed out, so that someone joining the room mid-turn is muted too
        self._floors: dict[tuple[str, str], tuple[int, str, str]] = {}
        # (tenant, round ref) -> people who ran forget-me during that round: never muted again in it. In
        # memory only (a row would name them), dropped when the round ends; lost on a restart.
        self._spared: dict[tuple[str, str], set[str]] = {}

    async def floor(
        self, tenant: str, guild_id: int | None, action: Floor, interaction: discord.Interaction | None
    ) -> Delivery:
        if guild_id is None:
            return Delivery(action)
        if action.speaker is None:
            await self._unmute_round(tenant, guild_id, action.round_ref)
            return Delivery(action)
        guild = self.bot.get_guild(guild_id)
        room = await self._voice_room(tenant, guild, action, interaction)
        if room is None:
            return Delivery(action, "failed", "no voice channel for the round")
        me = getattr(guild, "me", None)
        if me is not None and not room.permissions_for(me).mute_members:
            return await self._cannot_mute(guild_id, action)
        async with self.store.session() as session:
            ours = {
                row.user_id
                for row in await mutes.of_round(session, tenant=tenant, round_ref=action.round_ref)
            }
        if action.speaker in ours:
            await self._unmute(tenant, guild_id, action.round_ref, action.speaker)
        self._floors[(tenant, action.round_ref)] = (room.id, action.speaker, action.channel)
        for member in list(room.members):
            if str(member.id) in ours:
                continue
            if not await self._mute_one(tenant, guild_id, action.round_ref, room.id, member, action.speaker):
                self._floors.pop((tenant, action.round_ref), None)  # no more refused requests this turn
                return await self._cannot_mute(guild_id, action)
        return Delivery(action)

    async def _mute_one(
        self, tenant: str, guild_id: int, round_ref: str, room_id: int, member: Any, speaker: str
    ) -> bool:
        """Mute one listener, recording it first (so a crash in between still unmutes them later).

        False when Discord refuses for want of permission; someone gone meanwhile is just skipped.
        """
        user = str(member.id)
        if member.bot or user == speaker or user in self._spared.get((tenant, round_ref), ()):
            return True
        if member.voice is not None and member.voice.mute:
            return True  # muted by someone else: not ours to mute, nor ever to unmute
        async with self.store.session() as session:
            await mutes.record(
                session,
                tenant=tenant,
                round_ref=round_ref,
                guild=str(guild_id),
                channel=str(room_id),
                user=user,
                at=self.clock.now(),
            )
        try:
            await member.edit(mute=True, reason="Tsunagari: turns --mute-others")
        except discord.Forbidden:
            await self._forget_mute(tenant, round_ref, user)
            return False
        except discord.HTTPException as error:
            await self._forget_mute(tenant, round_ref, user)
            log.info("could not mute a listener (code %s); carrying on", error.code)
        return True

    async def _voice_room(
        self, tenant: str, guild: Any, action: Floor, interaction: discord.Interaction | None
    ) -> Any:
        """The round's voice channel: the one its caller was in when it started (remembered across
        restarts), else the speaker's."""
        key = f"discord:voice:{action.round_ref}"
        async with self.store.session() as session:
            known = await refs.find(session, tenant=tenant, ref=key)
        if known is not None:
            room = self.bot.get_channel(int(known.channel))
            if room is not None:
                return room
        state = getattr(getattr(interaction, "user", None), "voice", None) if interaction else None
        room = getattr(state, "channel", None)
        if room is None and guild is not None and action.speaker and action.speaker.isdigit():
            speaker = guild.get_member(int(action.speaker))
            room = getattr(getattr(speaker, "voice", None), "channel", None)
        if room is not None:
            async with self.store.session() as session:
                await refs.remember(session, tenant=tenant, ref=key, channel=str(room.id), message_id="0")
        return room

    async def _cannot_mute(self, guild_id: int, action: Floor) -> Delivery:
        """Without Mute Members the round runs unmuted; the channel is told once per round."""
        if action.round_ref not in self._told_no_mute:
            self._told_no_mute.add(action.round_ref)
            await self.announce(guild_id, int(action.channel), "discord.voice_cannot_mute")
        return Delivery(action, "failed", "no Mute Members permission")

    async def _unmute_round(self, tenant: str, guild_id: int, round_ref: str) -> None:
        async with self.store.session() as session:
            rows = await mutes.of_round(session, tenant=tenant, round_ref=round_ref)
        for row in rows:
            await self._unmute(tenant, int(row.guild), round_ref, row.user_id)
        self._told_no_mute.discard(round_ref)
        self._floors.pop((tenant, round_ref), None)
        self._spared.pop((tenant, round_ref), None)

    async def _unmute(self, tenant: str, guild_id: int, round_ref: str, user: str) -> bool:
        """Lift a mute the bot made; the row goes once it is lifted (or nobody is left to lift it for).

        Someone out of voice keeps their row: Discord can't unmute them until they are back.
        """
        async with self.store.session() as session:
            others = [
                row
                for row in await mutes.of_user(session, tenant=tenant, user=user)
                if row.round_ref != round_ref and await mutes.live(session, row.round_ref)
            ]
        if not others:  # another live round still wants them muted: leave the mute, drop this row
            try:
                await self.bot.http.edit_member(
                    guild_id, int(user), mute=False, reason="Tsunagari: the floor is open again"
                )
            except discord.HTTPException as error:
                if error.code not in GONE:
                    log.info("could not unmute someone yet (code %s); kept for later", error.code)
                    return False
        await self._forget_mute(tenant, round_ref, user)
        return True

    async def _forget_mute(self, tenant: str, round_ref: str, user: str) -> None:
        async with self.store.session() as session:
            await mutes.forget(session, tenant=tenant, round_ref=round_ref, user=user)

    async def unmute_stale(self) -> None:
        """At start-up: unmute whoever the bot muted for rounds that ended or stopped while it was down.

        Rounds still live keep their mutes (Discord kept them while the bot was away); their next Floor
        carries on from the rows, and their end unmutes them.
        """
        async with self.store.session() as session:
            rows = await mutes.stale(session, tenant_prefix=translate.TENANT_PREFIX)
        for row in rows:
            try:
                await self._unmute(row.tenant_id, int(row.guild), row.round_ref, row.user_id)
            except Exception:  # one failure must not keep the others muted
                log.exception("unmuting after a restart failed")

    async def on_voice_state_update(self, member: Any, before: Any, after: Any) -> None:
        """Someone comes into voice: a listener joining a round's room mid-turn is muted; someone the bot
        muted for a round now over (or who has the floor now) gets that mute lifted."""
        if after.channel is None or getattr(member, "bot", False):
            return
        tenant, user = translate.tenant(member.guild.id), str(member.id)
        if after.mute:
            async with self.store.session() as session:
                rows = [
                    row
                    for row in await mutes.of_user(session, tenant=tenant, user=user)
                    if not await mutes.live(session, row.round_ref)
                    or self._floors.get((tenant, row.round_ref), (0, ""))[1] == user
                ]
            for row in rows:
                await self._unmute(tenant, int(row.guild), row.round_ref, row.user_id)
            return
        if before.channel is not None and before.channel.id == after.channel.id:
            return  # unmuted where they were (by a moderator, or by the bot itself): leave it be
        for (floor_tenant, round_ref), (room_id, speaker, channel) in list(self._floors.items()):
            if floor_tenant != tenant or room_id != after.channel.id:
                continue
            async with self.store.session() as session:
                if not await mutes.live(session, round_ref):
                    continue
            if not await self._mute_one(tenant, member.guild.id, round_ref, room_id, member, speaker):
                self._floors.pop((tenant, round_ref), None)
                await self._cannot_mute(member.guild.id, Floor(channel, round_ref, speaker))

    async def forget(self, tenant: str, user: str) -> None:
        """forget-me: lift every mute the bot made on them and delete their rows, whatever Discord answers
        (forgetting wins over a mute that cannot be lifted now: someone out of voice stays server-muted
        until a moderator lifts it). They stay unmuted for the rest of the rounds running now."""
        async with self.store.session() as session:
            rows = await mutes.of_user(session, tenant=tenant, user=user)
        rounds = {row.round_ref for row in rows} | {ref for (t, ref) in self._floors if t == tenant}
        for round_ref in rounds:
            self._spared.setdefault((tenant, round_ref), set()).add(user)
        for guild in {row.guild for row in rows}:
            try:
                await self.bot.http.edit_member(
                    int(guild), int(user), mute=False, reason="Tsunagari: forget-me"
                )
            except discord.HTTPException as error:
                log.info("could not unmute someone who asked to be forgotten (code %s)", error.code)
        async with self.store.session() as session:
            await mutes.forget_user(session, tenant=tenant, user=user)
