"""discord.py objects for rendered messages: embeds, button views, modals, and the one persistent button.

`CoreButton` is a `DynamicItem` whose template matches every core action id, registered in the bot's
`setup_hook`; discord.py rebuilds it from the custom_id of any press, so buttons posted before a restart
still reach the core. Modal submissions are read from the raw interaction (see adapters/discord/client.py),
so they too survive a restart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord

from adapters.discord import custom_ids
from adapters.discord.render import EmbedSpec, ModalSpec, Outgoing

ButtonHandler = Callable[[discord.Interaction], Awaitable[None]]

_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "danger": discord.ButtonStyle.danger,
    "secondary": discord.ButtonStyle.secondary,
}


class CoreButton(discord.ui.DynamicItem[discord.ui.Button], template=custom_ids.PATTERN):
    """A button carrying a core action id; its press goes to the bot's `on_core_button`."""

    def __init__(self, custom_id: str, label: str = "…", style: str = "secondary") -> None:
        super().__init__(discord.ui.Button(label=label, custom_id=custom_id, style=_STYLES[style]))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> CoreButton:
        return cls(match.group(0))

    async def callback(self, interaction: discord.Interaction) -> None:
        handler: ButtonHandler | None = getattr(interaction.client, "on_core_button", None)
        if handler is not None:
            await handler(interaction)


def embed(spec: EmbedSpec) -> discord.Embed:
    result = discord.Embed(title=spec.title)
    for name, value in spec.fields:
        result.add_field(name=name, value=value, inline=False)
    return result


def view(out: Outgoing) -> discord.ui.View | None:
    """A persistent view (no timeout) of the message's buttons, or None when it has none."""
    if not out.rows:
        return None
    result = discord.ui.View(timeout=None)
    for row_number, row in enumerate(out.rows):
        for button in row:
            item = CoreButton(button.custom_id, button.label, button.style)
            item.row = row_number
            result.add_item(item)
    return result


def allowed_mentions(out: Outgoing) -> discord.AllowedMentions:
    """Only the people the bot itself mentions may be pinged: never @everyone, a role, or anyone named
    inside text a person typed (which the renderer escapes as well)."""
    users = [discord.Object(int(user)) for user in out.mentions if user.isdigit()]
    return discord.AllowedMentions(everyone=False, roles=False, users=users or False, replied_user=False)


def send_kwargs(out: Outgoing) -> dict[str, Any]:
    """Keyword arguments for `Messageable.send`, a follow-up or an edit: content, embeds, view."""
    kwargs: dict[str, Any] = {
        "content": out.content or None,
        "embeds": [embed(out.embed)] if out.embed else [],
        "allowed_mentions": allowed_mentions(out),
    }
    made = view(out)
    if made is not None:
        kwargs["view"] = made
    return kwargs


def modal(spec: ModalSpec) -> discord.ui.Modal:
    """A modal of labelled inputs; its submission is handled from the raw interaction, not here."""
    result = discord.ui.Modal(title=spec.title, custom_id=spec.custom_id, timeout=None)
    for field in spec.inputs:
        component: discord.ui.Item[Any]
        if field.kind == "select":
            component = discord.ui.Select(
                custom_id=field.custom_id,
                options=[
                    discord.SelectOption(label=label, value=value, default=value == field.initial)
                    for value, label in field.choices
                ],
                required=field.required,
                min_values=1 if field.required else 0,
                max_values=1,
            )
        else:
            component = discord.ui.TextInput(
                custom_id=field.custom_id,
                style=discord.TextStyle.paragraph if field.kind == "paragraph" else discord.TextStyle.short,
                required=field.required,
                max_length=field.max_length,
                default=field.initial,
                placeholder=field.placeholder,
            )
        result.add_item(discord.ui.Label(text=field.label, component=component))
    return result
