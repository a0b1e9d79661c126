"""The rituals, each a router; `all_routers()` is what the composition root hands the core."""

from __future__ import annotations

from bot.router import Router


def all_routers() -> list[Router]:
    from bot.rituals import event, people
    from bot.rituals.pairing import ritual as pairing

    return [event.router, people.router, pairing.router]
