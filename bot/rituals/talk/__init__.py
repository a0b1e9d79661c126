"""Timed talk in small groups: every group of a round of `pairs` has a round of turns in its own space.

The API other code calls: `start_talk(ctx, event, *, seconds, size=2, bridge=..., source="pairs") -> int`
and `stop_talk(ctx, event, talk_id)`; `pause_talk(ctx, talk_id)` / `resume_talk(ctx, run_ids)` for a run
sheet paused in the middle of a talk; the signal `talk_finished(ctx, event, talk_id)` is emitted once, when
a talk ends (see `ritual.start_talk` for exactly when).
"""

from .ritual import pause_talk, resume_talk, router, start_talk, stop_talk

__all__ = ["pause_talk", "resume_talk", "router", "start_talk", "stop_talk"]
