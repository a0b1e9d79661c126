"""The door before bolt: a request in a shape Slack never sends is answered 400 and never reaches bolt.

Bolt reads Slack's payloads trusting their shape (a `user` that is an object, a `channel` with an id),
and a request it cannot read ends as a 500 inside it. Only Slack can sign a request, so this guards
against the impossible rather than the hostile; it keeps our edge free of unhandled exceptions either way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

INTERACTIONS = {
    "block_actions",
    "view_submission",
    "view_closed",
    "shortcut",
    "message_action",
    "block_suggestion",
}
OPTIONAL_OBJECTS = ("team", "channel", "container", "enterprise", "view", "message")
# Slack sends whole seconds; bolt's own check calls int() on it and fails with a 500 on anything else.
TIMESTAMP = re.compile(r"[0-9]{1,12}")


def _text(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _interaction(payload: Any) -> bool:
    if not isinstance(payload, dict) or payload.get("type") not in INTERACTIONS:
        return False
    user = payload.get("user")
    if not isinstance(user, dict) or not _text(user.get("id")):
        return False
    if any(payload.get(key) is not None and not isinstance(payload[key], dict) for key in OPTIONAL_OBJECTS):
        return False
    team = payload.get("team") or {}
    if not (_text(team.get("id")) or _text(user.get("team_id"))):
        return False
    if payload["type"] == "block_actions":
        actions = payload.get("actions")
        return (
            isinstance(actions, list)
            and bool(actions)
            and isinstance(actions[0], dict)
            and _text(actions[0].get("action_id"))
        )
    if payload["type"] in ("view_submission", "view_closed"):
        view = payload.get("view") or {}
        return _text(view.get("id")) and isinstance(view.get("callback_id"), str)
    return True


def _event(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    if data.get("type") == "url_verification":
        return _text(data.get("challenge"))
    if data.get("type") == "event_callback":
        event = data.get("event")
        return _text(data.get("team_id")) and isinstance(event, dict) and _text(event.get("type"))
    return False


def readable(body: str, headers: Mapping[str, str]) -> bool:
    """Whether `body` has the shape of something Slack sends us: a command, an interaction or an event."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    try:
        if "json" in content_type:
            return _event(json.loads(body))
        form = parse_qs(body, keep_blank_values=True)
        if "payload" in form:
            return _interaction(json.loads(form["payload"][0]))
        if "ssl_check" in form:
            return True
        return all(
            _text((form.get(key) or [""])[0]) for key in ("command", "team_id", "user_id", "trigger_id")
        )
    except (ValueError, TypeError, AttributeError):
        return False


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


def refusal(body: str, headers: Mapping[str, str]) -> tuple[int, str] | None:
    """Why a request must be answered before bolt sees it, as (status, reason for the log), or None.

    A signature bolt can check (a wrong one, a stale timestamp) is left to bolt, which answers 401."""
    timestamp = _header(headers, "x-slack-request-timestamp")
    if timestamp is not None and not TIMESTAMP.fullmatch(timestamp):
        return 401, "its timestamp is not a number"
    if not body:
        return 400, "it has no body"
    if not readable(body, headers):
        return 400, "it is in a shape Slack never sends"
    return None
