"""Who a Slack user is: locale, time zone and display name from users.info, cached per workspace.

users.info is paced (Tier 4), and a click's trigger_id dies 3 seconds after the click, so a click never
waits in that queue for someone the bot already knows: what the database keeps of them (the `member`
row's display name and the locale and zone hints Slack gave before) answers at once, and users.info
refreshes it after the answer has gone. Names for text that cannot mention (headers, buttons, form labels)
come from the same rows, so they survive a restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.pacing import Pacer
from adapters.slack.translate import Profile, tenant

log = logging.getLogger(__name__)

TTL = 6 * 3600  # a person's locale and zone rarely change; a day-old name is fine
NEWCOMER_WAIT = 1.0  # seconds a click from someone never seen may wait for users.info (for their language)


class Profiles:
    """users.info (with `include_locale`) once per person per TTL; a failed look-up is an empty Profile."""

    def __init__(
        self,
        pacer: Pacer,
        *,
        clock: Callable[[], float] = time.monotonic,
        ttl: float = TTL,
        store: Any = None,
    ):
        self._pacer = pacer
        self._clock = clock
        self._ttl = ttl
        self._store = store
        self._cache: dict[tuple[str, str], tuple[float, Profile]] = {}
        self._asking: dict[tuple[str, str], asyncio.Future[Profile]] = {}
        self._stored_profiles: dict[str, dict[str, Profile]] = {}  # team -> what the database knows
        self._loading: dict[str, asyncio.Lock] = {}

    async def for_click(
        self, client: AsyncWebClient, team: str, user: str
    ) -> tuple[Profile, Callable[[], Awaitable[Profile]] | None]:
        """The profile to answer a click with now, and the users.info look-up to run once it is answered
        (or None): a burst of clicks after a restart opens every form in time instead of queueing on
        users.info's pace, and its look-ups do not compete with the answers for the 3 seconds."""
        cached = self._cache.get((team, user))
        if cached and self._clock() - cached[0] < self._ttl:
            return cached[1], None
        known = cached[1] if cached else await self._stored(team, user)
        if known is not None:
            return known, lambda: self.get(client, team, user)
        # Never seen: a short wait is worth it, so the form speaks their language.
        look_up = asyncio.ensure_future(self.get(client, team, user))
        done, _ = await asyncio.wait({look_up}, timeout=NEWCOMER_WAIT)
        if look_up in done:
            return look_up.result(), None
        return Profile(), lambda: look_up

    async def _stored(self, team: str, user: str) -> Profile | None:
        """What the `member` row keeps of someone (their name, Slack's locale and zone), or None."""
        await self.load_names(team)
        return self._stored_profiles.get(team, {}).get(user)

    async def load_names(self, team: str) -> None:
        """Once per workspace and process, in one query: what the database keeps of its members, for
        `names` and for answering clicks (a burst after a restart costs no query per click)."""
        if self._store is None or team in self._stored_profiles:
            return
        async with self._loading.setdefault(team, asyncio.Lock()):
            if team in self._stored_profiles:
                return
            from sqlmodel import select

            from bot.store.models import Member

            async with self._store.session() as session:
                rows = await session.exec(
                    select(Member.user_id, Member.display_name, Member.locale_hint, Member.tz_hint).where(
                        Member.tenant_id == tenant(team)
                    )
                )
                self._stored_profiles[team] = {
                    user: Profile(locale=locale, tz=tz, name=name) for user, name, locale, tz in rows.all()
                }

    async def get(self, client: AsyncWebClient, team: str, user: str) -> Profile:
        cached = self._cache.get((team, user))
        if cached and self._clock() - cached[0] < self._ttl:
            return cached[1]
        key = (team, user)
        if key in self._asking:  # someone's burst of clicks: one users.info answers them all
            return await asyncio.shield(self._asking[key])
        future: asyncio.Future[Profile] = asyncio.get_running_loop().create_future()
        self._asking[key] = future
        try:
            profile = await self._look_up(client, team, user, cached)
            future.set_result(profile)
            return profile
        except BaseException as e:
            future.set_exception(e)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            del self._asking[key]

    async def _look_up(
        self, client: AsyncWebClient, team: str, user: str, cached: tuple[float, Profile] | None
    ) -> Profile:
        await self._pacer.wait(("users.info", team))
        try:
            answer = await client.users_info(user=user, include_locale=True)
        except SlackApiError as e:
            log.warning("users.info failed for a user in %s: %s", team, e.response.get("error"))
            return cached[1] if cached else Profile()
        info = answer["user"]
        details = info.get("profile") or {}
        profile = Profile(
            locale=info.get("locale"),
            tz=info.get("tz"),
            name=details.get("display_name")
            or details.get("real_name")
            or info.get("real_name")
            or info.get("name"),
        )
        self._cache[(team, user)] = (self._clock(), profile)
        return profile

    def names(self, team: str) -> dict[str, str]:
        """Display names known in a workspace, for text that cannot carry a live mention (headers, buttons):
        the database's (see `load_names`), then the fresher ones users.info gave this process."""
        fresh = {user: p.name for (t, user), (_, p) in self._cache.items() if t == team and p.name}
        stored = {user: p.name for user, p in self._stored_profiles.get(team, {}).items() if p.name}
        return {**stored, **fresh}
