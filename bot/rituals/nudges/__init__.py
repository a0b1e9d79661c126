"""Post-event nudges: thank within a day, keep it warm after a week, check the stage after a month."""

from bot.rituals.nudges.report import NudgeCounts, nudge_counts
from bot.rituals.nudges.router import router

__all__ = ["NudgeCounts", "nudge_counts", "router"]
