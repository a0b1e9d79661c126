"""What the channel reads as a round of turns moves: the floor, the warning, the hand-off and the summary.

Everything is posted in the event's language; a round's buttons carry its id and the turn's position (and
`seq` for +1 min), so a button from an earlier turn or a finished round changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from sqlmodel import col, select

from bot.actions import Button, Field, Floor, Message
from bot.markup import clock_time, mention
from bot.router import Ctx
from bot.steps import engine
from bot.steps.models import Step, StepRun
from bot.steps.words import length
from bot.store.models import Member

EXTEND_SECONDS = 60


async def user_ids(ctx: Ctx, member_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {m for m in member_ids if m is not None}
    if not wanted:
        return {}
    rows = await ctx.session.exec(select(Member.id, Member.user_id).where(col(Member.id).in_(wanted)))
    return dict(rows.all())


async def who(ctx: Ctx, run: StepRun, member_id: int | None) -> str:
    """A speaker's mention, or a neutral word for someone who has asked to be forgotten."""
    return named(ctx, run, await user_ids(ctx, [member_id]), member_id)


def named(ctx: Ctx, run: StepRun, users: dict[int, str], member_id: int | None) -> str:
    """`who`, from user ids already read with `user_ids`: a post that names several people reads them
    in one query."""
    return mention(users[member_id]) if member_id in users else ctx.t_in(run.lang, "turns.someone")


def controls(ctx: Ctx, run: StepRun, step: Step) -> tuple[Button, ...]:
    ident = f"{run.id}:{step.position}"
    if run.status == "paused":
        return (Button(ctx.t_in(run.lang, "turns.button.resume"), f"turns:resume:{ident}", "primary"),)
    return (
        Button(ctx.t_in(run.lang, "turns.button.done"), f"turns:done:{ident}", "primary"),
        Button(ctx.t_in(run.lang, "turns.button.extend"), f"turns:extend:{ident}:{run.seq}"),
        Button(ctx.t_in(run.lang, "turns.button.pause"), f"turns:pause:{ident}"),
        Button(ctx.t_in(run.lang, "turns.button.next"), f"turns:next:{ident}"),
    )


def handoff_line(ctx: Ctx, run: StepRun, previous: Step | None, users: dict[int, str]) -> str | None:
    """How the last turn ended; `users` must hold the previous speaker's user id (from `user_ids`)."""
    if previous is None or previous.status in ("stopped", "pending", "active"):
        return None
    if previous.member_id is None:
        return ctx.t_in(run.lang, "turns.handoff.gone")
    return ctx.t_in(
        run.lang, f"turns.handoff.{previous.status}", speaker=named(ctx, run, users, previous.member_id)
    )


def floor(ctx: Ctx, run: StepRun, speaker: str | None) -> None:
    """Tell the adapter who has the voice room's floor now (None: nobody, the round is over).

    Only for rounds started with `--mute-others`. A pause keeps the floor where it is: the speaker is
    still the one who will go on, and unmuting the room for a pause would be a second change to undo.
    """
    if run.options.get("mute_others"):
        ctx.actions.append(Floor(run.channel_id, f"turns:{run.id}", speaker))


async def round_progress(ctx: Ctx, run: StepRun, step: Step) -> tuple[int, int, int]:
    """(the speaker's place, how many speak in the round, seconds left in the whole round).

    People who left before their turn are not counted: they will not speak. The time left is the floor's
    own plus every turn still waiting, as planned (a pause keeps what was left)."""
    return progress_of(ctx, run, step, await engine.steps_of(ctx, run))


def progress_of(ctx: Ctx, run: StepRun, step: Step, steps: list[Step]) -> tuple[int, int, int]:
    """`round_progress` from the run's steps, already read (all of them, in order)."""
    speaking = [s for s in steps if not (s.status == "left" and not s.spoken and s.started_at is None)]
    number = sum(1 for s in speaking if s.position <= step.position)
    seconds = (engine.time_left(run, ctx.now) or 0) + sum(
        s.seconds or 0 for s in speaking if s.status == "pending" and s.position != step.position
    )
    return number, len(speaking), seconds


def progress_line(ctx: Ctx, run: StepRun, number: int, count: int, seconds: int) -> str:
    """ "Speaker 3 of 24, about 63 minutes left in the round." """
    key = "turns.progress_last" if number >= count else "turns.progress"
    return ctx.t_in(run.lang, key, number=number, count=count, minutes=max(1, math.ceil(seconds / 60)))


def _named_in(step: Step, previous: Step | None, after: Step | None) -> list[int | None]:
    return [previous.member_id if previous else None, step.member_id, after.member_id if after else None]


class Announcer:
    """The turns ritual's Presenter for the step engine."""

    async def began(self, ctx: Ctx, run: StepRun, step: Step, previous: Step | None) -> None:
        steps = await engine.steps_of(ctx, run)
        after = next((s for s in steps if s.status == "pending"), None)
        # The people this post names (who had the floor, who has it, who is next): one query for all.
        users = await user_ids(ctx, _named_in(step, previous, after))
        self._announce(ctx, run, step, previous, steps, users)

    async def began_together(self, items: list[tuple[Ctx, StepRun, Step, Step | None, list[Step]]]) -> None:
        """`began` for the rounds of many channels whose turns ended at one moment: the people all of
        their posts name are read in one query, and each channel reads what `began` would post there."""
        if not items:
            return
        wanted: list[int | None] = []
        for _, _, step, previous, steps in items:
            wanted += _named_in(step, previous, next((s for s in steps if s.status == "pending"), None))
        users = await user_ids(items[0][0], wanted)
        for ctx, run, step, previous, steps in items:
            self._announce(ctx, run, step, previous, steps, users)

    def _announce(
        self,
        ctx: Ctx,
        run: StepRun,
        step: Step,
        previous: Step | None,
        steps: list[Step],
        users: dict[int, str],
    ) -> None:
        after = next((s for s in steps if s.status == "pending"), None)
        lines = [line for line in [handoff_line(ctx, run, previous, users)] if line]
        lines.append(
            ctx.t_in(
                run.lang,
                "turns.floor",
                speaker=named(ctx, run, users, step.member_id),
                until=clock_time(run.ends_at),
                length=length(ctx, run.lang, step.seconds or 0),
            )
        )
        lines.append(progress_line(ctx, run, *progress_of(ctx, run, step, steps)))
        lines.append(ctx.t_in(run.lang, "turns.listeners"))
        if after is not None:
            lines.append(ctx.t_in(run.lang, "turns.up_next", speaker=named(ctx, run, users, after.member_id)))
        ctx.post(
            Message("\n".join(lines), buttons=controls(ctx, run, step)),
            channel=run.channel_id,
            ref=f"turns:{run.id}:{step.position}",
        )
        speaker = users.get(step.member_id)
        if speaker is not None:  # someone forgotten has no floor to give; the engine moves past them
            floor(ctx, run, speaker)

    async def warned(self, ctx: Ctx, run: StepRun, step: Step) -> None:
        ctx.post(
            Message(
                ctx.t_in(
                    run.lang,
                    "turns.warning",
                    speaker=await who(ctx, run, step.member_id),
                    seconds=engine.WARN_SECONDS,
                )
            ),
            channel=run.channel_id,
        )

    async def finished(self, ctx: Ctx, run: StepRun, previous: Step | None) -> None:
        steps = await engine.steps_of(ctx, run)
        users = await user_ids(ctx, [s.member_id for s in steps] + [previous.member_id if previous else None])
        lines = [line for line in [handoff_line(ctx, run, previous, users)] if line]
        lines.append(ctx.t_in(run.lang, f"turns.summary.{run.status}"))
        fields = [
            Field(named(ctx, run, users, step.member_id), self.outcome(ctx, run, step)) for step in steps
        ]
        total = sum(step.spoken for step in steps)
        ctx.post(Message("\n".join(lines), fields=tuple(fields)), channel=run.channel_id)
        # Below the list, never between its header ("Who spoke, and for how long:") and its items.
        total_line = ctx.t_in(run.lang, "turns.summary.total", length=length(ctx, run.lang, total))
        ctx.post(Message(total_line), channel=run.channel_id)
        floor(ctx, run, None)
        await ctx.emit("turns_finished", run=run)

    @staticmethod
    def outcome(ctx: Ctx, run: StepRun, step: Step) -> str:
        spoke = length(ctx, run.lang, step.spoken)
        if step.status in ("done", "next") and step.spoken < (step.seconds or 0):
            return ctx.t_in(run.lang, "turns.outcome.early", length=spoke)
        if step.status in ("timeup", "done", "next"):
            return ctx.t_in(run.lang, "turns.outcome.spoke", length=spoke)
        if step.status == "skipped" and step.spoken:
            return ctx.t_in(run.lang, "turns.outcome.skipped_during", length=spoke)
        if step.status == "left" and step.spoken:
            return ctx.t_in(run.lang, "turns.outcome.left_during", length=spoke)
        if step.status == "stopped":
            return ctx.t_in(run.lang, "turns.outcome.stopped", length=spoke)
        return ctx.t_in(run.lang, f"turns.outcome.{step.status}")


ANNOUNCER = Announcer()
