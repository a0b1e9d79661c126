"""Requests as Slack sends them to an app: the payloads, form-encoded or JSON, signed with the app's secret.

The payload shapes follow Slack's documentation for slash commands, `block_actions`, `view_submission`
and Events API `event_callback`s; the signature is `slack_sdk.signature`'s, the one bolt verifies.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "test-signing-secret"

_ids = itertools.count(1)


def signed(
    body: str,
    *,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    json_body: bool = False,
    retry_num: int | None = None,
) -> tuple[str, dict[str, str]]:
    """Headers Slack would send with `body`: a fresh timestamp and `v0=` HMAC signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "content-type": "application/json" if json_body else "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body) or "",
    }
    if retry_num is not None:
        headers["x-slack-retry-num"] = str(retry_num)
        headers["x-slack-retry-reason"] = "http_timeout"
    return body, headers


def slash_command(
    text: str,
    *,
    user: str,
    user_name: str = "",
    channel: str = "C0MAIN",
    team: str = "T0001",
    trigger_id: str | None = None,
    response_url: str = "",
    command: str = "/tsunagari",
) -> dict[str, str]:
    """The form fields of a slash command invocation."""
    return {
        "token": "legacy-verification-token",
        "team_id": team,
        "team_domain": "yorimichi",
        "channel_id": channel,
        "channel_name": "main" if channel.startswith("C") else "directmessage",
        "user_id": user,
        "user_name": user_name or user.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A0001",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or f"{next(_ids)}.{next(_ids)}.cmd",
    }


def slash_command_body(text: str, **kwargs: Any) -> str:
    return urlencode(slash_command(text, **kwargs))


def block_actions(
    action_id: str,
    *,
    user: str,
    user_name: str = "",
    channel: str = "C0MAIN",
    team: str = "T0001",
    message_ts: str = "1760000000.000001",
    trigger_id: str | None = None,
    response_url: str = "",
    action_ts: str | None = None,
    value: str | None = None,
) -> dict[str, Any]:
    """The payload of a button pressed in a message."""
    return {
        "type": "block_actions",
        "user": {
            "id": user,
            "username": user_name or user.lower(),
            "name": user_name or user.lower(),
            "team_id": team,
        },
        "api_app_id": "A0001",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": trigger_id or f"{next(_ids)}.{next(_ids)}.act",
        "team": {"id": team, "domain": "yorimichi"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "main"},
        "message": {"type": "message", "ts": message_ts, "text": "", "blocks": []},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b0",
                "text": {"type": "plain_text", "text": "button"},
                "value": value if value is not None else action_id,
                "action_ts": action_ts or f"{int(time.time())}.{next(_ids):06d}",
            }
        ],
    }


def view_submission(
    view: dict[str, Any],
    values: dict[str, str],
    *,
    user: str,
    user_name: str = "",
    team: str = "T0001",
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """The payload of a modal submitted with `values` typed into the inputs of `view` (as opened)."""
    state: dict[str, dict[str, Any]] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        name = block["block_id"]
        if element["type"] == "static_select":  # what was not touched keeps what the modal opened with
            typed = values.get(name, (element.get("initial_option") or {}).get("value"))
            option = next((o for o in element["options"] if o["value"] == typed), None)
            state[name] = {element["action_id"]: {"type": "static_select", "selected_option": option}}
        else:
            typed = values.get(name, element.get("initial_value"))
            state[name] = {element["action_id"]: {"type": "plain_text_input", "value": typed or None}}
    return {
        "type": "view_submission",
        "team": {"id": team, "domain": "yorimichi"},
        "user": {
            "id": user,
            "username": user_name or user.lower(),
            "name": user_name or user.lower(),
            "team_id": team,
        },
        "api_app_id": "A0001",
        "token": "legacy-verification-token",
        "trigger_id": trigger_id or f"{next(_ids)}.{next(_ids)}.view",
        "view": {
            **view,
            "id": view.get("id", f"V{next(_ids):08d}"),
            "team_id": team,
            "state": {"values": state},
            "hash": "1.abc",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def interaction_body(payload: dict[str, Any]) -> str:
    """Interactivity requests carry their JSON in one form field, `payload`."""
    return urlencode({"payload": json.dumps(payload)})


def event_callback(event: dict[str, Any], *, event_id: str, team: str = "T0001") -> dict[str, Any]:
    return {
        "token": "legacy-verification-token",
        "team_id": team,
        "api_app_id": "A0001",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [
            {"team_id": team, "user_id": "UBOT", "is_bot": True, "is_enterprise_install": False}
        ],
        "is_ext_shared_channel": False,
    }


def app_mention(text: str, *, user: str, channel: str = "C0MAIN", ts: str | None = None) -> dict[str, Any]:
    ts = ts or f"{int(time.time())}.{next(_ids):06d}"
    return {"type": "app_mention", "user": user, "text": text, "ts": ts, "channel": channel, "event_ts": ts}
