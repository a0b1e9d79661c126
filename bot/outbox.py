"""The outbound port: adapters implement Outbox; the dispatcher routes a tenant's actions to its adapter."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from bot.actions import Action, Delivery
from bot.events import InboundEvent

log = logging.getLogger(__name__)


class Outbox(Protocol):
    async def send(
        self, tenant: str, actions: Sequence[Action], *, origin: InboundEvent | None = None
    ) -> list[Delivery]: ...


def platform_of(tenant: str) -> str:
    """ "slack:T1" -> "slack"; "console" -> "console"."""
    return tenant.split(":", 1)[0]


class Dispatcher:
    """Sends timer-driven actions to the adapter that owns the tenant's platform."""

    def __init__(self) -> None:
        self._outboxes: dict[str, Outbox] = {}

    def register(self, platform: str, outbox: Outbox) -> None:
        self._outboxes[platform] = outbox

    async def send(
        self, tenant: str, actions: Sequence[Action], *, origin: InboundEvent | None = None
    ) -> list[Delivery]:
        if not actions:
            return []
        outbox = self._outboxes.get(platform_of(tenant))
        if outbox is None:
            log.warning(
                "no adapter for tenant platform %s; %d actions not delivered",
                platform_of(tenant),
                len(actions),
            )
            return [Delivery(action, "failed", "no adapter") for action in actions]
        return await outbox.send(tenant, actions, origin=origin)
