"""Slack's documented Block Kit limits, checked the way Slack checks them, on plain JSON.

Independent of slack_sdk's models on purpose: the fake Slack refuses a raw dict Slack would refuse.
"""

from __future__ import annotations

from typing import Any

MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
ID_LENGTH = 255
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACTIONS_ELEMENTS = 25
CONTEXT_ELEMENTS = 10
MODAL_LABELS = 24
PRIVATE_METADATA = 3000
INPUT_LABEL = 2000
SELECT_OPTIONS = 100
OPTION_TEXT = 75
OPTION_VALUE = 150
MESSAGE_TEXT = 40000


def block_errors(blocks: Any, *, limit: int) -> list[str]:
    """Slack's complaints about a list of blocks, worded like `response_metadata.messages`."""
    if not isinstance(blocks, list):
        return ["[ERROR] blocks must be an array"]
    errors: list[str] = []
    if len(blocks) > limit:
        errors.append(f"[ERROR] no more than {limit} items allowed [json-pointer:/blocks]")
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"[json-pointer:/blocks/{i}]"
        if not isinstance(block, dict) or "type" not in block:
            errors.append(f"[ERROR] missing required field: type {where}")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if len(block_id) > ID_LENGTH:
                errors.append(f"[ERROR] must be less than {ID_LENGTH + 1} characters {where}/block_id")
            if block_id in seen_ids:
                errors.append(f"[ERROR] duplicate block_id {where}/block_id")
            seen_ids.add(block_id)
        kind = block["type"]
        if kind == "section":
            text = (block.get("text") or {}).get("text")
            fields = block.get("fields") or []
            if text is None and not fields:
                errors.append(f"[ERROR] must provide text or fields {where}")
            if text is not None and not 1 <= len(text) <= SECTION_TEXT:
                errors.append(f"[ERROR] must be between 1 and {SECTION_TEXT} characters {where}/text")
            if len(fields) > SECTION_FIELDS:
                errors.append(f"[ERROR] no more than {SECTION_FIELDS} items allowed {where}/fields")
            for f in fields:
                if len(f.get("text", "")) > FIELD_TEXT:
                    errors.append(f"[ERROR] field must be less than {FIELD_TEXT + 1} characters {where}")
        elif kind == "header":
            text = (block.get("text") or {}).get("text", "")
            if block.get("text", {}).get("type") != "plain_text":
                errors.append(f"[ERROR] header text must be plain_text {where}/text")
            if not 1 <= len(text) <= HEADER_TEXT:
                errors.append(f"[ERROR] must be between 1 and {HEADER_TEXT} characters {where}/text")
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= ACTIONS_ELEMENTS:
                errors.append(f"[ERROR] must have 1 to {ACTIONS_ELEMENTS} elements {where}/elements")
            errors.extend(_element_errors(e, f"{where}/elements/{j}") for j, e in enumerate(elements))
        elif kind == "context":
            if not 1 <= len(block.get("elements") or []) <= CONTEXT_ELEMENTS:
                errors.append(f"[ERROR] must have 1 to {CONTEXT_ELEMENTS} elements {where}/elements")
        elif kind == "input":
            label = (block.get("label") or {}).get("text", "")
            if not 1 <= len(label) <= INPUT_LABEL:
                errors.append(f"[ERROR] label must be between 1 and {INPUT_LABEL} characters {where}")
            element = block.get("element")
            if not isinstance(element, dict):
                errors.append(f"[ERROR] missing required field: element {where}")
            else:
                errors.append(_element_errors(element, f"{where}/element"))
        elif kind not in {"divider", "image", "rich_text", "file", "video"}:
            errors.append(f"[ERROR] unsupported type: {kind} {where}")
    return [e for e in errors if e]


def _element_errors(element: dict[str, Any], where: str) -> str:
    problems = []
    action_id = element.get("action_id")
    if action_id is not None and len(action_id) > ID_LENGTH:
        problems.append(f"action_id must be less than {ID_LENGTH + 1} characters")
    kind = element.get("type")
    if kind == "button":
        if not 1 <= len(element.get("text", {}).get("text", "")) <= BUTTON_TEXT:
            problems.append(f"button text must be between 1 and {BUTTON_TEXT} characters")
        if len(element.get("value", "")) > BUTTON_VALUE:
            problems.append(f"button value must be less than {BUTTON_VALUE + 1} characters")
    elif kind == "static_select":
        options = element.get("options") or []
        if not 1 <= len(options) <= SELECT_OPTIONS:
            problems.append(f"must have 1 to {SELECT_OPTIONS} options")
        for option in options:
            if len(option.get("text", {}).get("text", "")) > OPTION_TEXT:
                problems.append(f"option text must be less than {OPTION_TEXT + 1} characters")
            if len(option.get("value", "")) > OPTION_VALUE:
                problems.append(f"option value must be less than {OPTION_VALUE + 1} characters")
    return f"[ERROR] {'; '.join(problems)} {where}" if problems else ""


def view_errors(view: Any) -> list[str]:
    """Slack's complaints about a modal view."""
    if not isinstance(view, dict):
        return ["[ERROR] view must be an object"]
    errors = []
    if view.get("type") != "modal":
        errors.append("[ERROR] view type must be modal [json-pointer:/view/type]")
    for key in ("title", "submit", "close"):
        value = view.get(key)
        if value is None:
            if key == "title":
                errors.append("[ERROR] missing required field: title [json-pointer:/view/title]")
            continue
        if value.get("type") != "plain_text" or not 1 <= len(value.get("text", "")) <= MODAL_LABELS:
            errors.append(
                f"[ERROR] must be plain_text between 1 and {MODAL_LABELS} characters [json-pointer:/view/{key}]"
            )
    if len(view.get("private_metadata") or "") > PRIVATE_METADATA:
        errors.append(
            f"[ERROR] must be less than {PRIVATE_METADATA + 1} characters [json-pointer:/view/private_metadata]"
        )
    if len(view.get("callback_id") or "") > ID_LENGTH:
        errors.append(
            f"[ERROR] must be less than {ID_LENGTH + 1} characters [json-pointer:/view/callback_id]"
        )
    blocks = view.get("blocks") or []
    if not blocks:
        errors.append("[ERROR] must have at least 1 block [json-pointer:/view/blocks]")
    has_input = any(b.get("type") == "input" for b in blocks if isinstance(b, dict))
    if has_input and view.get("submit") is None:
        errors.append("[ERROR] submit is required when a view has input blocks [json-pointer:/view/submit]")
    errors.extend(block_errors(blocks, limit=MODAL_BLOCKS))
    return errors
