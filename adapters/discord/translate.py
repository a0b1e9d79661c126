"""Discord interactions to core events: slash commands back into command text, buttons and modal values.

The functions here take plain data (the interaction's `data` mapping and a few ids), so they are tested
without a client; `from_interaction` is the one place that reads a discord.py `Interaction`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from adapters.discord import custom_ids
from adapters.discord.surface import Option, Subcommand
from bot.events import ButtonPressed, Caller, CommandInvoked, FormSubmitted, InboundEvent

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
USER_OPTION = 6
TENANT_PREFIX = "discord:"


def tenant(guild_id: int | str) -> str:
    return f"{TENANT_PREFIX}{guild_id}"


def guild_of(tenant_id: str) -> int | None:
    """The guild id in `discord:<guild_id>`, or None for another platform's tenant."""
    if not tenant_id.startswith(TENANT_PREFIX):
        return None
    rest = tenant_id[len(TENANT_PREFIX) :]
    return int(rest) if rest.isdigit() else None


def caller(
    *,
    guild_id: int | str | None,
    user_id: int | str,
    channel_id: int | str | None,
    locale: str | None = None,
    name: str | None = None,
) -> Caller:
    if guild_id is None:
        raise ValueError("a Discord interaction outside a guild has no tenant")
    return Caller(
        tenant=tenant(guild_id),
        user=str(user_id),
        channel=None if channel_id is None else str(channel_id),
        locale=locale,
        name=name,
    )


# The core's tokenizer groups words between double quotes and reads these as double quotes too, with no
# escape; a quote inside a value would end it early. Typed on Discord, the value is already one option, so
# its quote marks become look-alikes the tokenizer leaves alone.
_CORE_QUOTES = str.maketrans(
    {'"': "″", "“": "‶", "”": "″", "„": "‶", "＂": "″", "「": "｢", "」": "｣", "『": "〖", "』": "〗"}
)


def quote(word: str) -> str:
    """One argument as the core's tokenizer reads it back as one token: quoted when it has spaces."""
    word = word.translate(_CORE_QUOTES)
    if word and not any(ch.isspace() for ch in word):
        return word
    return f'"{word}"'


def _walk(data: Mapping[str, Any]) -> tuple[tuple[str, ...], list[Mapping[str, Any]]]:
    """The subcommand path and the leaf's options of an application-command interaction."""
    path: list[str] = []
    options: list[Mapping[str, Any]] = list(data.get("options") or [])
    while options and options[0].get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
        path.append(options[0]["name"])
        options = list(options[0].get("options") or [])
    return tuple(path), options


def _value_words(option: Option | None, raw: Mapping[str, Any]) -> list[str]:
    value = raw.get("value")
    if raw.get("type") == USER_OPTION or (option is not None and option.kind == "user"):
        return [f"<@{value}>"]
    if option is not None and option.kind == "mentions":
        return [quote(word) for word in str(value).split()]
    return [quote(str(value))]


def wants_voice(data: Mapping[str, Any], surface: Mapping[tuple[str, ...], Subcommand]) -> bool:
    """Whether the invocation asks for the people of the caller's voice channel (`turns --voice`)."""
    path, raw_options = _walk(data)
    sub = surface.get(path)
    voice = {o.name for o in sub.options if o.kind == "voice"} if sub else set()
    return any(raw["name"] in voice and raw.get("value") for raw in raw_options)


def command_text(
    data: Mapping[str, Any],
    surface: Mapping[tuple[str, ...], Subcommand],
    voice_members: Sequence[str] = (),
) -> str:
    """`/tsunagari turns start people:<@1> <@2> minutes:3` -> `turns <@1> <@2> --minutes 3`.

    Positional options come first in the order the surface declares them, then flags; an option the
    surface does not know (a newer command synced from elsewhere) is passed on as `--name value`. With
    the voice switch on and nobody named, the people in the caller's voice channel (`voice_members`)
    are named instead.
    """
    path, raw_options = _walk(data)
    sub = surface.get(path)
    words = list(sub.core_words if sub else path)
    given = {raw["name"]: raw for raw in raw_options}
    declared = {option.name: option for option in sub.options} if sub else {}
    voice = wants_voice(data, surface)
    for option in declared.values():
        if option.flag is not None or option.kind == "voice":
            continue
        if option.name in given:
            words += _value_words(option, given[option.name])
        elif option.kind == "mentions" and voice:
            words += [f"<@{member}>" for member in voice_members]
    for option in (o for o in declared.values() if o.flag is not None and o.name in given):
        raw = given[option.name]
        if option.kind == "flag":
            if raw.get("value"):
                words.append(option.flag)
            continue
        words += [option.flag, *_value_words(option, raw)]
    for name, raw in given.items():
        if name not in declared:
            words += ["--" + name.replace("_", "-"), *_value_words(None, raw)]
    return " ".join(words)


def command_event(
    data: Mapping[str, Any],
    surface: Mapping[tuple[str, ...], Subcommand],
    who: Caller,
    request_id: str | None,
    in_voice: Sequence[str] = (),
) -> CommandInvoked:
    return CommandInvoked(caller=who, text=command_text(data, surface, in_voice), request_id=request_id)


def voice_members(user: Any) -> list[str]:
    """The ids of the people (not bots) in the voice channel `user` is in; empty when not in one."""
    state = getattr(user, "voice", None)
    channel = getattr(state, "channel", None)
    if channel is None:
        return []
    return [str(member.id) for member in channel.members if not member.bot]


def button_event(custom_id: str, who: Caller, request_id: str | None) -> ButtonPressed:
    _, action_id = custom_ids.unwrap(custom_id)
    return ButtonPressed(caller=who, action_id=action_id, request_id=request_id)


def _inputs(components: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    """Every input in a modal submission: inside action rows (type 1) or labels (type 18)."""
    for component in components:
        if "custom_id" in component:
            yield component
        yield from _inputs(component.get("components") or [])
        if "component" in component:
            yield from _inputs([component["component"]])


def form_values(components: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Submitted values by input name; a select gives its first chosen value, or "" when none was."""
    values: dict[str, str] = {}
    for item in _inputs(components):
        if "values" in item:
            chosen = item.get("values") or []
            values[item["custom_id"]] = str(chosen[0]) if chosen else ""
        else:
            values[item["custom_id"]] = str(item.get("value") or "")
    return values


def form_event(
    custom_id: str, components: Sequence[Mapping[str, Any]], who: Caller, request_id: str | None
) -> FormSubmitted:
    _, form_id = custom_ids.unwrap(custom_id)
    return FormSubmitted(caller=who, form_id=form_id, values=form_values(components), request_id=request_id)


def guild_hint(custom_id: str) -> str | None:
    """The guild a DM button or modal was rendered for (see adapters/discord/custom_ids.py)."""
    return custom_ids.unwrap(custom_id)[0]


def from_interaction(
    interaction: Any, surface: Mapping[tuple[str, ...], Subcommand], *, fallback_guild: int | None = None
) -> InboundEvent | None:
    """The core event for a discord.py `Interaction`, or None for a kind the core has no word for.

    In a DM the guild comes from the custom_id, else from `fallback_guild` (the adapter's guess).
    """
    data: Mapping[str, Any] = interaction.data or {}
    kind = interaction.type.value
    custom_id = data.get("custom_id", "")
    guild_id = interaction.guild_id or guild_hint(custom_id) or fallback_guild
    if guild_id is None:
        return None
    user = interaction.user
    who = caller(
        guild_id=guild_id,
        user_id=user.id,
        channel_id=interaction.channel_id,
        locale=str(interaction.locale.value) if interaction.locale else None,
        name=getattr(user, "display_name", None) or user.name,
    )
    request_id = str(interaction.id)
    if kind == 2:
        return command_event(data, surface, who, request_id, voice_members(user))
    if kind == 3 and data.get("component_type") == 2:
        return button_event(custom_id, who, request_id)
    if kind == 5:
        return form_event(custom_id, data.get("components") or [], who, request_id)
    return None
