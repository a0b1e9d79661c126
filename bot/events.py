"""Inbound events: what adapters hand the core, in the core's own words (plain ids, no platform types)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Caller:
    """Who acted, where. Every id is an opaque string chosen by the adapter.

    tenant   -- "console", "slack:T0123", "discord:1234": every stored row is scoped by it
    user     -- the platform's user id (the console uses the person's name)
    channel  -- the channel (or DM) the event came from; None for a form submitted outside any channel
    locale   -- the platform's language hint ("ja", "en-US"); the member's own `lang` setting wins over it
    name     -- a display name hint, kept so introductions and `@name` mentions can be resolved
    tz       -- the platform's time zone hint (an IANA name, from Slack's users.info); `tz` set by the
                person wins over it, and it wins over the event's zone for quiet hours
    """

    tenant: str
    user: str
    channel: str | None = None
    locale: str | None = None
    name: str | None = None
    tz: str | None = None


@dataclass(frozen=True, slots=True)
class CommandInvoked:
    """`/tsunagari <text>`; text is everything after the command name, mentions written as `<@user>`."""

    caller: Caller
    text: str
    request_id: str | None = None  # the platform's id for this delivery: a retry with the same id acts once


@dataclass(frozen=True, slots=True)
class ButtonPressed:
    """A button with a namespaced action id (`turns:next:42`) was pressed."""

    caller: Caller
    action_id: str
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class FormSubmitted:
    """A form (modal) was submitted; values are keyed by the names of the form's inputs."""

    caller: Caller
    form_id: str
    values: Mapping[str, str] = field(default_factory=dict)
    request_id: str | None = None
    # The names of the form's inputs, when the adapter cannot stop a person naming others (the console):
    # a value for a field the form does not have is refused by name rather than silently dropped.
    fields: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class TimerFired:
    """A durable timer row fell due and was claimed; payload holds plain ids only."""

    tenant: str
    timer_id: int
    kind: str
    payload: Mapping[str, Any] = field(default_factory=dict)


InboundEvent = CommandInvoked | ButtonPressed | FormSubmitted
Event = InboundEvent | TimerFired
