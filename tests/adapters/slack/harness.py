"""People using Slack, as seen by the adapter: signed slash commands, clicks and modal submissions.

`Workspace` drives a real SlackAdapter (bolt AsyncApp) against a FakeSlack; time is virtual, so paced
sends and 429 back-offs advance a counter instead of sleeping.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pydantic import SecretStr
from slack_bolt.response import BoltResponse

from adapters.slack.adapter import SlackAdapter
from bot.config import Settings
from tests.fakes import slack_requests as sr
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack, message_text


@dataclass
class VirtualTime:
    """A monotonic clock that sleeping advances."""

    now: float = 1_000.0
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(seconds, 0)
        await asyncio.sleep(0)


def slack_settings(api_url: str, **changes: Any) -> Settings:
    """The bot's real Settings, pointed at the fake Slack, on a random local port."""
    values: dict[str, Any] = {
        "slack_bot_token": SecretStr(BOT_TOKEN),
        "slack_signing_secret": SecretStr(sr.SIGNING_SECRET),
        "slack_api_url": api_url,
        "slack_host": "127.0.0.1",
        "slack_port": 0,
        "default_lang": "en",
    }
    values.update(changes)
    return Settings().model_copy(update=values)


class Workspace:
    """A Slack workspace with people in it, talking to the adapter the way Slack would."""

    def __init__(self, slack: FakeSlack, adapter: SlackAdapter) -> None:
        self.slack = slack
        self.adapter = adapter
        self.ids: dict[str, str] = {}

    def person(self, name: str, *, locale: str = "en-US", tz: str = "Asia/Tokyo") -> str:
        user_id = "U0" + name.upper()
        self.slack.add_user(user_id, name, locale=locale, tz=tz)
        self.ids[name] = user_id
        return user_id

    async def dispatch(self, body: str, headers: dict[str, str]) -> BoltResponse:
        response = await self.adapter.dispatch(body, headers)
        await self.adapter.settle()
        return response

    def escape(self, text: str) -> str:
        """What Slack does to `@bob` in command text when the command escapes users: `<@U0BOB|bob>`."""
        return re.sub(
            r"@(\w+)",
            lambda m: f"<@{self.ids[m.group(1)]}|{m.group(1)}>" if m.group(1) in self.ids else m.group(0),
            text,
        )

    async def command(self, name: str, text: str, *, channel: str = "C0MAIN") -> BoltResponse:
        body = sr.slash_command_body(
            self.escape(text),
            user=self.ids[name],
            user_name=name,
            channel=channel,
            trigger_id=self.slack.new_trigger_id(),
            response_url=self.slack.new_response_url(self.ids[name], channel),
        )
        return await self.dispatch(*sr.signed(body))

    def find_button(
        self, label: str, *, channel: str = "C0MAIN", name: str | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The newest message `name` can see in `channel` (theirs only, too) with a button `label`."""
        mine = []
        if name is not None:
            user = self.ids[name]
            mine = [m for to, where, m in self.slack.private if to == user and where == channel]
        for message in reversed(self.slack.messages[channel] + mine):
            for block in message.get("blocks") or []:
                for element in block.get("elements") or []:
                    if element.get("type") == "button" and element["text"]["text"] == label:
                        return message, element
        raise AssertionError(f"no button {label!r} in {channel}: {self.slack.texts(channel)}")

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
        return await self.dispatch(*sr.signed(sr.interaction_body(payload)))

    def open_view(self, trigger_id: str | None = None) -> dict[str, Any]:
        views = [v for v in self.slack.views if trigger_id is None or v["trigger_id"] == trigger_id]
        assert views, "no modal was opened"
        return views[-1]

    async def submit(
        self, name: str, values: dict[str, str], *, view: dict[str, Any] | None = None
    ) -> BoltResponse:
        view = view or self.open_view()
        payload = sr.view_submission(view, values, user=self.ids[name], user_name=name)
        return await self.dispatch(*sr.signed(sr.interaction_body(payload)))

    async def mention(self, name: str, text: str, *, event_id: str, retry: int | None = None) -> BoltResponse:
        event = sr.app_mention(f"<@UBOT> {text}", user=self.ids[name])
        body = sr.event_callback(event, event_id=event_id)
        return await self.dispatch(*sr.signed(json.dumps(body), json_body=True, retry_num=retry))

    async def wait(self, app: Any, **delta: float) -> None:
        """Virtual time passes: timers that fall due fire, and what they send goes out through Slack."""
        await app.timers.advance_to(app.clock.now() + timedelta(**delta))
        await self.adapter.settle()

    def channel(self, channel: str = "C0MAIN") -> list[str]:
        return self.slack.texts(channel)

    def whispers(self, name: str) -> list[str]:
        """Everything only `name` saw: ephemeral messages and response_url replies to their requests."""
        user = self.ids[name]
        return [message_text(message) for to, _, message in self.slack.private if to == user]

    def dms(self, *names: str) -> list[str]:
        channel = self.slack.dm_channel(*(self.ids[n] for n in names))
        return self.slack.texts(channel) if channel else []
