"""What Discord refuses in a message body, answered with Discord's own error codes.

A message (a channel send, an edit, an interaction answer or follow-up) is checked as Discord checks it:
content of at most 2,000 characters; at most 5 action rows of at most 5 buttons; a custom_id of 1-100
characters; at most 10 embeds, a title of 256, a description of 4,096, 25 fields of 256/1,024 and 6,000
characters across them. Breaking one gives 50035 "Invalid Form Body" with the field that broke; a
message with nothing in it gives 50006 "Cannot send an empty message".
"""

from __future__ import annotations

from typing import Any

INVALID_FORM_BODY = 50035
EMPTY_MESSAGE = 50006

CONTENT_MAX = 2000
ROWS_MAX = 5
BUTTONS_PER_ROW = 5
CUSTOM_ID_MAX = 100
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
EMBEDS_TOTAL_MAX = 6000


class Refusal(Exception):
    """Discord said no: `status`, and the JSON body it answers with."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.body: dict[str, Any] = {"code": code, "message": message}
        if errors:
            self.body["errors"] = errors


def _error(path: str, code: str, message: str) -> dict[str, Any]:
    """Discord's nested error shape: {"content": {"_errors": [{"code": …, "message": …}]}}."""
    tree: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path.split(".")):
        tree = {key: tree}
    return tree


def problems(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Every rule the body breaks, as Discord's error trees (empty when Discord would accept it)."""
    found: list[dict[str, Any]] = []
    content = payload.get("content") or ""
    if len(content) > CONTENT_MAX:
        found.append(_error("content", "BASE_TYPE_MAX_LENGTH", f"Must be {CONTENT_MAX} or fewer in length."))
    rows = payload.get("components") or []
    if len(rows) > ROWS_MAX:
        found.append(_error("components", "BASE_TYPE_MAX_LENGTH", f"Must be {ROWS_MAX} or fewer in length."))
    for r, row in enumerate(rows):
        items = row.get("components") or []
        if row.get("type") == 1 and len(items) > BUTTONS_PER_ROW:
            found.append(
                _error(
                    f"components.{r}.components",
                    "BASE_TYPE_MAX_LENGTH",
                    f"Must be {BUTTONS_PER_ROW} or fewer in length.",
                )
            )
        for i, item in enumerate(items):
            custom_id = item.get("custom_id")
            if item.get("type") == 2 and item.get("style") != 5 and not custom_id:
                found.append(
                    _error(f"components.{r}.components.{i}.custom_id", "BASE_TYPE_REQUIRED", "required")
                )
            if custom_id is not None and not 1 <= len(custom_id) <= CUSTOM_ID_MAX:
                found.append(
                    _error(
                        f"components.{r}.components.{i}.custom_id",
                        "BASE_TYPE_BAD_LENGTH",
                        f"Must be between 1 and {CUSTOM_ID_MAX} in length.",
                    )
                )
    embeds = payload.get("embeds") or []
    if len(embeds) > EMBEDS_MAX:
        found.append(_error("embeds", "BASE_TYPE_MAX_LENGTH", f"Must be {EMBEDS_MAX} or fewer in length."))
    total = 0
    for e, embed in enumerate(embeds):
        title, description = embed.get("title") or "", embed.get("description") or ""
        fields = embed.get("fields") or []
        if len(title) > EMBED_TITLE_MAX:
            found.append(_error(f"embeds.{e}.title", "BASE_TYPE_MAX_LENGTH", "too long"))
        if len(description) > EMBED_DESCRIPTION_MAX:
            found.append(_error(f"embeds.{e}.description", "BASE_TYPE_MAX_LENGTH", "too long"))
        if len(fields) > FIELDS_MAX:
            found.append(_error(f"embeds.{e}.fields", "BASE_TYPE_MAX_LENGTH", "too many fields"))
        total += len(title) + len(description)
        for f, field in enumerate(fields):
            name, value = field.get("name") or "", field.get("value") or ""
            if not name or len(name) > FIELD_NAME_MAX:
                found.append(_error(f"embeds.{e}.fields.{f}.name", "BASE_TYPE_BAD_LENGTH", "bad length"))
            if not value or len(value) > FIELD_VALUE_MAX:
                found.append(_error(f"embeds.{e}.fields.{f}.value", "BASE_TYPE_BAD_LENGTH", "bad length"))
            total += len(name) + len(value)
        total += len((embed.get("footer") or {}).get("text") or "")
        total += len((embed.get("author") or {}).get("name") or "")
    if total > EMBEDS_TOTAL_MAX:
        found.append(_error("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"))
    return found


def is_empty(payload: dict[str, Any]) -> bool:
    """Nothing a person could see: no content, embed, component, sticker, poll or file."""
    return not (
        (payload.get("content") or "").strip()
        or payload.get("embeds")
        or payload.get("components")
        or payload.get("sticker_ids")
        or payload.get("poll")
        or payload.get("attachments")
    )


def check(payload: dict[str, Any]) -> None:
    """Raise the `Refusal` Discord would answer this body with, if any."""
    found = problems(payload)
    if found:
        merged: dict[str, Any] = {}
        for tree in found:
            _merge(merged, tree)
        raise Refusal(400, INVALID_FORM_BODY, "Invalid Form Body", merged)
    if is_empty(payload):
        raise Refusal(400, EMPTY_MESSAGE, "Cannot send an empty message")


def _merge(into: dict[str, Any], tree: dict[str, Any]) -> None:
    for key, value in tree.items():
        if key == "_errors":
            into.setdefault("_errors", []).extend(value)
        else:
            _merge(into.setdefault(key, {}), value)
