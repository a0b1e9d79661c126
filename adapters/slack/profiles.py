"""Who a Slack user is: locale, time zone and display name from users.info, cached per workspace."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.pacing import Pacer
from adapters.slack.translate import Profile

log = logging.getLogger(__name__)

TTL = 6 * 3600  # a person's locale and zone rarely change; a day-old name is fine


class Profiles:
    """users.info (with `include_locale`) once per person per TTL; a failed look-up is an empty Profile."""

    def __init__(self, pacer: Pacer, *, clock: Callable[[], float] = time.monotonic, ttl: float = TTL):
        self._pacer = pacer
        self._clock = clock
        self._ttl = ttl
        self._cache: dict[tuple[str, str], tuple[float, Profile]] = {}
        self._asking: dict[tuple[str, str], asyncio.Future[Profile]] = {}

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
        """Display names known in a workspace, for text that cannot carry a live mention (headers, buttons)."""
        return {user: p.name for (t, user), (_, p) in self._cache.items() if t == team and p.name}
