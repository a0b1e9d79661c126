"""The connection ledger's commands: Link -> Connection -> Engagement -> Relationship, privately."""

from bot.ledger import stage_counts
from bot.rituals.connections.router import router

__all__ = ["router", "stage_counts"]
