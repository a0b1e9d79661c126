"""Core messages as terminal lines: `[HH:MM] #main | text`, buttons as `[Next] [Pause]`.

Text people typed (bot/markup.py's user-text spans) is printed as typed: a `<@x>` or `**` inside it is
not the core's markup, and what could reorder or hide text was already taken out when it was marked.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.actions import Form, Message
from bot.markup import BOLD, MENTION, TIME, render, unmark


def render_text(text: str, zone: ZoneInfo) -> str:
    def core(part: str) -> str:
        part = MENTION.sub(lambda m: "@" + m.group(1), part)
        part = TIME.sub(
            lambda m: datetime.fromtimestamp(int(m.group(1)), UTC).astimezone(zone).strftime("%H:%M"), part
        )
        return BOLD.sub(lambda m: m.group(1), part)

    return render(text, core, lambda span: span)


def message_lines(message: Message, zone: ZoneInfo) -> list[str]:
    lines: list[str] = []
    if message.title:
        lines.append(render_text(message.title, zone))
    lines.extend(render_text(message.text, zone).splitlines() or [""])
    for field in message.fields:
        lines.append(f"  {render_text(field.label, zone)}: {render_text(field.value, zone)}")
    if message.buttons:
        lines.append(" ".join(f"[{render_text(b.label, zone)}]" for b in message.buttons))
    return lines


def form_lines(form: Form, zone: ZoneInfo) -> list[str]:
    lines = [f"{render_text(form.title, zone)} (form)"]
    for item in form.inputs:
        choices = f" ({', '.join(c.value for c in item.choices)})" if item.choices else ""
        initial = f" = {unmark(item.initial)}" if item.initial else ""
        lines.append(f"  {item.name}: {render_text(item.label, zone)}{choices}{initial}")
    lines.append(f"[{render_text(form.submit_label, zone)}]")
    return lines


def stamp(at: datetime, zone: ZoneInfo, place: str, lines: list[str]) -> list[str]:
    prefix = f"[{at.astimezone(zone).strftime('%H:%M')}] {place} | "
    return [prefix + line for line in lines]
