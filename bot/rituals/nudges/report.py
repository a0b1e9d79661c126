"""What a facilitator may see of the follow-up: counts only, never who thanked or met whom."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rituals.nudges.models import Nudge, NudgeAction


@dataclass(frozen=True)
class NudgeCounts:
    by_step_status: dict[tuple[str, str], int] = field(default_factory=dict)  # ("thanks", "sent") -> 12
    actions: dict[str, int] = field(default_factory=dict)  # "thanked" -> 9, "accepted" -> 3

    def count(self, step: str | None = None, status: str | None = None) -> int:
        return sum(
            n
            for (s, st), n in self.by_step_status.items()
            if (step is None or s == step) and (status is None or st == status)
        )


async def nudge_counts(session: AsyncSession, *, tenant: str, event_id: int) -> NudgeCounts:
    rows = await session.exec(
        select(Nudge.step, Nudge.status, func.count())
        .where(Nudge.tenant_id == tenant, Nudge.event_id == event_id)
        .group_by(col(Nudge.step), col(Nudge.status))
    )
    actions = await session.exec(
        select(NudgeAction.verb, func.count())
        .join(Nudge, col(Nudge.id) == col(NudgeAction.nudge_id))
        .where(Nudge.tenant_id == tenant, Nudge.event_id == event_id)
        .group_by(col(NudgeAction.verb))
    )
    return NudgeCounts({(step, status): n for step, status, n in rows.all()}, dict(actions.all()))
