"""The insight report: for one event and the community's earlier ones, counts only, never a name."""

from bot.rituals.report.figures import Report, build_report
from bot.rituals.report.router import router

__all__ = ["Report", "build_report", "router"]
