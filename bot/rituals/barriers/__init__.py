"""The anonymous barrier board (issue 4): see router.py for the flow and crypto.py for the promise."""

from bot.rituals.barriers.router import router

__all__ = ["router"]
