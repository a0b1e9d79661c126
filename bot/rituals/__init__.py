"""The rituals, each a router; `all_routers()` is what the composition root hands the core."""

from __future__ import annotations

from bot.router import Router


def all_routers() -> list[Router]:
    from bot.rituals import barriers, connections, event, nudges, oneonone, people, report, talk, turns
    from bot.rituals.pairing import ritual as pairing

    return [
        event.router,
        people.router,
        barriers.router,
        connections.router,
        nudges.router,
        turns.router,
        oneonone.router,
        pairing.router,
        talk.router,
        report.router,
    ]
