"""Slack payloads -> the core's inbound events: slash commands, button presses, modal submissions, mentions.

Pure functions over the JSON Slack sends; what Slack leaves out of a payload (the person's locale, their
display name) comes in as a `Profile` the adapter looked up with users.info.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.events import ButtonPressed, Caller, CommandInvoked, FormSubmitted

PREFIX = "slack:"

# Slack escapes a mention typed in command text as `<@U123|name>` (or `<@U123>`); the core writes `<@U123>`.
SLACK_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")


@dataclass(frozen=True, slots=True)
class Profile:
    """What users.info tells about a person and the payloads do not."""

    locale: str | None = None
    tz: str | None = None
    name: str | None = None


def tenant(team_id: str) -> str:
    return PREFIX + team_id


def team_of(tenant_id: str) -> str:
    if not tenant_id.startswith(PREFIX):
        raise ValueError(f"not a Slack tenant: {tenant_id!r}")
    return tenant_id[len(PREFIX) :]


def clean_mentions(text: str) -> str:
    """`<@U123|alice>` -> `<@U123>`; everything else is left as Slack sent it."""
    return SLACK_MENTION.sub(r"<@\1>", text)


def form_metadata(channel: str | None) -> str:
    """What a modal carries through Slack so its submission knows the channel it was opened from."""
    return json.dumps({"channel": channel}, separators=(",", ":"))


def _caller(
    team_id: str, user: str, channel: str | None, profile: Profile | None, name: str | None
) -> Caller:
    profile = profile or Profile()
    return Caller(
        tenant=tenant(team_id),
        user=user,
        channel=channel,
        locale=profile.locale,
        name=profile.name or name or None,
        tz=profile.tz,
    )


def command(payload: Mapping[str, Any], profile: Profile | None = None) -> CommandInvoked:
    """A slash command's form fields -> CommandInvoked. Its trigger_id is unique to this invocation."""
    caller = _caller(
        payload["team_id"], payload["user_id"], payload.get("channel_id"), profile, payload.get("user_name")
    )
    return CommandInvoked(
        caller=caller,
        text=clean_mentions(payload.get("text", "")).strip(),
        request_id="cmd:" + payload["trigger_id"],
    )


def team_id(payload: Mapping[str, Any]) -> str:
    team = payload.get("team") or {}
    return team.get("id") or payload["user"]["team_id"]


def button(payload: Mapping[str, Any], profile: Profile | None = None) -> ButtonPressed:
    """A `block_actions` payload (one button) -> ButtonPressed, in the channel of the message it sits on."""
    action = payload["actions"][0]
    user = payload["user"]
    channel = (payload.get("channel") or {}).get("id") or (payload.get("container") or {}).get("channel_id")
    stable = payload.get("trigger_id") or f"{action.get('action_ts')}:{user['id']}"
    return ButtonPressed(
        caller=_caller(
            team_id(payload), user["id"], channel, profile, user.get("username") or user.get("name")
        ),
        action_id=action["action_id"],
        request_id="act:" + stable,
    )


def form(payload: Mapping[str, Any], profile: Profile | None = None) -> FormSubmitted:
    """A `view_submission` payload -> FormSubmitted; the values are keyed by the form's input names."""
    view = payload["view"]
    user = payload["user"]
    try:
        channel = json.loads(view.get("private_metadata") or "{}").get("channel")
    except (ValueError, AttributeError):
        channel = None
    if not isinstance(channel, str):  # only ever what form_metadata wrote; anything else names no channel
        channel = None
    values: dict[str, str] = {}
    for name, by_action in (view.get("state") or {}).get("values", {}).items():
        for state in by_action.values():
            value = state.get("value")
            if value is None and state.get("selected_option"):
                value = state["selected_option"]["value"]
            # Every input of a modal is submitted; one left empty is "" (the person saw it and cleared it).
            values[name] = clean_mentions(value or "")
    return FormSubmitted(
        caller=_caller(
            team_id(payload), user["id"], channel, profile, user.get("username") or user.get("name")
        ),
        form_id=view["callback_id"],
        values=values,
        request_id="view:" + view["id"],
    )


def mention(body: Mapping[str, Any], bot_user: str, profile: Profile | None = None) -> CommandInvoked | None:
    """An `app_mention` event `@tsunagari join --org X` -> the same command as `/tsunagari join --org X`.

    Slash commands do not work in threads; a mention does. The Events API's event_id names the delivery,
    so Slack's retries of it act once.
    """
    event = body["event"]
    text = clean_mentions(event.get("text", "")).strip()
    lead = f"<@{bot_user}>"
    if not text.startswith(lead):
        return None
    return CommandInvoked(
        caller=_caller(body["team_id"], event["user"], event.get("channel"), profile, None),
        text=text[len(lead) :].strip(),
        request_id="evt:" + body["event_id"],
    )
