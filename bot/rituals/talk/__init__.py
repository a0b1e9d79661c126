"""Timed talk in small groups: every group of a round of `pairs` has a round of turns in its own space.

The API other code calls: `start_talk(ctx, event, *, seconds, size=2, bridge=..., source="pairs") -> int`
and `stop_talk(ctx, event, talk_id)`; the signal `talk_finished(ctx, event, talk_id)` is emitted once, when
a talk ends (see `ritual.start_talk` for exactly when).
"""

from .ritual import router, start_talk, stop_talk

__all__ = ["router", "start_talk", "stop_talk"]
