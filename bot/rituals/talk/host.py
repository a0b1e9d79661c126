"""What each group of a timed talk reads in its own private space (a Slack group DM, a Discord private
thread beside the event's channel, a console DM), and the channel's "time to come back".

A group is a step run of ritual "talk"; everything it says goes to the people of its steps, never to
the channel and never to another group. The run's language is the group's (chosen as the pairs
introduction's is); the channel's posts are in the event's.
"""

from __future__ import annotations

from sqlmodel import col, select, update

from bot.actions import Button, Message
from bot.markup import clock_time, mention
from bot.router import Ctx
from bot.steps import engine
from bot.steps.models import LIVE, Step, StepRun
from bot.steps.words import length
from bot.store.models import Event, Member

from .models import Talk, TalkGroup


async def people(ctx: Ctx, run: StepRun) -> list[tuple[int, str]]:
    """(member id, user id) of the group, in speaking order, each once; someone forgotten is absent."""
    rows = await ctx.session.exec(
        select(Member.id, Member.user_id, Step.position)
        .join(Step, col(Step.member_id) == Member.id)
        .where(Step.run_id == run.id)
        .order_by(col(Step.position))
    )
    seen: dict[int, str] = {}
    for member_id, user_id, _ in rows.all():
        seen.setdefault(member_id, user_id)
    return list(seen.items())


async def people_of_runs(ctx: Ctx, runs: list[StepRun]) -> dict[int, list[tuple[int, str]]]:
    """`people(run)` for several runs in one read: every group handing over at one moment."""
    found: dict[int, dict[int, str]] = {run.id: {} for run in runs}
    rows = await ctx.session.exec(
        select(Step.run_id, Member.id, Member.user_id)
        .join(Step, col(Step.member_id) == Member.id)
        .where(col(Step.run_id).in_(list(found)))
        .order_by(col(Step.run_id), col(Step.position))
    )
    for run_id, member_id, user_id in rows.all():
        found[run_id].setdefault(member_id, user_id)
    return {run_id: list(seen.items()) for run_id, seen in found.items()}


async def lineup(ctx: Ctx, run: StepRun) -> tuple[list[tuple[int, str]], list[Step]]:
    """`people(run)` and the run's steps still to come (`engine.pending_steps`), in one read: a hand-off
    needs both, and each statement it saves is saved 25 times when every group hands over at once."""
    rows = await ctx.session.exec(
        select(Step, Member.user_id)
        .outerjoin(Member, col(Step.member_id) == Member.id)
        .where(Step.run_id == run.id)
        .order_by(col(Step.position))
    )
    seen: dict[int, str] = {}
    upcoming: list[Step] = []
    for step, user_id in rows.all():
        if step.member_id is not None and user_id is not None:
            seen.setdefault(step.member_id, user_id)
        if step.status == "pending":
            upcoming.append(step)
    return list(seen.items()), upcoming


async def tell(ctx: Ctx, run: StepRun, message: Message, users: list[str] | None = None) -> None:
    """A message in the group's own space: a DM to exactly its people, beside the event's channel."""
    if users is None:
        users = [user for _, user in await people(ctx, run)]
    tell_group(ctx, run, message, users)


def tell_group(ctx: Ctx, run: StepRun, message: Message, users: list[str]) -> None:
    """`tell`, with the group's people already read."""
    if users:
        ctx.dm(users, message, near=run.channel_id)


def named(ctx: Ctx, run: StepRun, users: dict[int, str], member_id: int | None) -> str:
    return mention(users[member_id]) if member_id in users else ctx.t_in(run.lang, "talk.someone")


def controls(ctx: Ctx, run: StepRun, step: Step) -> tuple[Button, ...]:
    """The group's own buttons: they name its run and the turn, so another group's or an old turn's
    buttons change nothing."""
    ident = f"{run.id}:{step.position}"
    if run.status == "paused":
        return (Button(ctx.t_in(run.lang, "talk.button.resume"), f"talk:resume:{ident}", "primary"),)
    return (
        Button(ctx.t_in(run.lang, "talk.button.done"), f"talk:done:{ident}", "primary"),
        Button(ctx.t_in(run.lang, "talk.button.next"), f"talk:next:{ident}"),
        Button(ctx.t_in(run.lang, "talk.button.pause"), f"talk:pause:{ident}"),
    )


def handoff(ctx: Ctx, run: StepRun, previous: Step | None, users: dict[int, str]) -> str | None:
    if previous is None or previous.status in ("stopped", "pending", "active"):
        return None
    if previous.member_id is None:
        return ctx.t_in(run.lang, "talk.handoff.gone")
    return ctx.t_in(
        run.lang, f"talk.handoff.{previous.status}", speaker=named(ctx, run, users, previous.member_id)
    )


def ending(ctx: Ctx, run: StepRun, previous: Step | None, users: dict[int, str], key: str) -> Message:
    """A group's last word: how the last turn ended, then `key` (done, done and last, or stopped)."""
    lines = [line for line in [handoff(ctx, run, previous, users)] if line]
    lines.append(ctx.t_in(run.lang, key))
    return Message("\n".join(lines))


def floor_lines(ctx: Ctx, run: StepRun, step: Step, after: Step | None, users: dict[int, str]) -> list[str]:
    lines = [
        ctx.t_in(
            run.lang,
            "talk.floor",
            speaker=named(ctx, run, users, step.member_id),
            until=clock_time(run.ends_at),
            length=length(ctx, run.lang, step.seconds or 0),
        ),
        ctx.t_in(run.lang, "talk.listeners"),
    ]
    if after is not None:
        lines.append(ctx.t_in(run.lang, "talk.up_next", speaker=named(ctx, run, users, after.member_id)))
    return lines


async def talk_of(ctx: Ctx, run: StepRun) -> Talk | None:
    return (
        await ctx.session.exec(
            select(Talk).join(TalkGroup, col(TalkGroup.talk_id) == Talk.id).where(TalkGroup.run_id == run.id)
        )
    ).first()


async def live_runs(ctx: Ctx, talk: Talk) -> list[StepRun]:
    rows = await ctx.session.exec(
        select(StepRun)
        .join(TalkGroup, col(TalkGroup.run_id) == StepRun.id)
        .where(TalkGroup.talk_id == talk.id, col(StepRun.status).in_(LIVE))
        .order_by(col(StepRun.id))
    )
    return list(rows.all())


async def lock(ctx: Ctx, talk: Talk) -> None:
    """Hold the talk's row for this transaction and read it afresh: of two groups ending at once, the
    second waits here and then sees the first one's end (so "come back" is said exactly once)."""
    await ctx.session.exec(
        update(Talk)
        .where(col(Talk.id) == talk.id)
        .values(status=Talk.status)
        .execution_options(synchronize_session=False)
    )
    await ctx.session.refresh(talk)


async def close(ctx: Ctx, talk: Talk, status: str) -> None:
    """The talk is over (its row is held): the channel is told once, and `talk_finished` is emitted."""
    talk.status, talk.finished_at = status, ctx.now
    event = await ctx.session.get(Event, talk.event_id)
    lang = event.lang if event else ctx.locale
    ctx.post(Message(ctx.t_in(lang, f"talk.come_back.{status}")), channel=talk.channel_id)
    await ctx.emit("talk_finished", event=event, talk_id=talk.id)


class Host:
    """The talk ritual's Presenter for the step engine: one per group, speaking only in its space.

    The `…_together` methods are what the engine calls when many groups move at one moment (every group
    of a talk hands over in the same instant): each reads the groups' people once for all of them, then
    says to each group exactly what the one-group method would."""

    async def began(self, ctx: Ctx, run: StepRun, step: Step, previous: Step | None) -> None:
        group, upcoming = await lineup(ctx, run)
        self._begin(ctx, run, step, previous, group, upcoming)

    async def began_together(self, items: list[tuple[Ctx, StepRun, Step, Step | None, list[Step]]]) -> None:
        if not items:
            return
        groups = await people_of_runs(items[0][0], [run for _, run, *_ in items])
        for ctx, run, step, previous, steps in items:
            upcoming = [s for s in steps if s.status == "pending"]
            self._begin(ctx, run, step, previous, groups[run.id], upcoming)

    def _begin(
        self,
        ctx: Ctx,
        run: StepRun,
        step: Step,
        previous: Step | None,
        group: list[tuple[int, str]],
        upcoming: list[Step],
    ) -> None:
        users = dict(group)
        after = upcoming[0] if upcoming else None
        lines = []
        if previous is None:
            order = ctx.people_in(run.lang, [mention(user) for _, user in group])
            seconds = run.options.get("seconds") or step.seconds or 0
            lines.append(
                ctx.t_in(run.lang, "talk.opening", length=length(ctx, run.lang, seconds), order=order)
            )
        else:
            lines.extend(line for line in [handoff(ctx, run, previous, users)] if line)
        lines.extend(floor_lines(ctx, run, step, after, users))
        tell_group(
            ctx, run, Message("\n".join(lines), buttons=controls(ctx, run, step)), [u for _, u in group]
        )

    async def warned(self, ctx: Ctx, run: StepRun, step: Step) -> None:
        self._warn(ctx, run, step, dict(await people(ctx, run)))

    async def warned_together(self, items: list[tuple[Ctx, StepRun, Step]]) -> None:
        if not items:
            return
        groups = await people_of_runs(items[0][0], [run for _, run, _ in items])
        for ctx, run, step in items:
            self._warn(ctx, run, step, dict(groups[run.id]))

    def _warn(self, ctx: Ctx, run: StepRun, step: Step, users: dict[int, str]) -> None:
        text = ctx.t_in(
            run.lang,
            "talk.warning",
            speaker=named(ctx, run, users, step.member_id),
            seconds=engine.WARN_SECONDS,
        )
        tell_group(ctx, run, Message(text), list(users.values()))

    async def finished(self, ctx: Ctx, run: StepRun, previous: Step | None) -> None:
        group = await people(ctx, run)
        users = dict(group)
        if run.status == "stopped":  # the whole talk was stopped: stop_talk tells the channel
            tell_group(ctx, run, ending(ctx, run, previous, users, "talk.gentle"), list(users.values()))
            return
        talk = await talk_of(ctx, run)
        last = False
        if talk is not None:
            await lock(ctx, talk)
            if talk.status == "running":
                others = [r for r in await live_runs(ctx, talk) if r.id != run.id]
                last = not others
        done = ending(ctx, run, previous, users, "talk.group_done_last" if last else "talk.group_done")
        tell_group(ctx, run, done, list(users.values()))
        if last:
            await close(ctx, talk, "finished")

    async def finished_together(self, items: list[tuple[Ctx, StepRun, Step | None]]) -> None:
        """Groups that ended at one moment: their time ran out, or their talk was stopped (`stop_talk`
        tells the channel; each group gets the gentle notice). When groups whose time ran out are a
        talk's last live groups, the last of them in the batch's order is told it was the last and the
        channel is told once, as it would be were they to finish one after another."""
        if not items:
            return
        first = items[0][0]
        groups = await people_of_runs(first, [run for _, run, _ in items])
        for ctx, run, previous in [item for item in items if item[1].status == "stopped"]:
            users = dict(groups[run.id])
            tell_group(ctx, run, ending(ctx, run, previous, users, "talk.gentle"), list(users.values()))
        items = [item for item in items if item[1].status != "stopped"]
        if not items:
            return
        rows = await first.session.exec(
            select(TalkGroup.run_id, Talk)
            .join(Talk, col(TalkGroup.talk_id) == Talk.id)
            .where(col(TalkGroup.run_id).in_([run.id for _, run, _ in items]))
        )
        talk_of_run = {run_id: talk for run_id, talk in rows.all()}
        last_of: dict[int, int] = {}  # talk id -> the run that is its last live group
        for talk in {talk.id: talk for talk in talk_of_run.values()}.values():
            await lock(first, talk)
            if talk.status != "running":
                continue
            closing = [run.id for _, run, _ in items if talk_of_run.get(run.id) is talk]
            others = [r for r in await live_runs(first, talk) if r.id not in closing]
            if not others:
                last_of[talk.id] = closing[-1]
        for ctx, run, previous in items:
            users = dict(groups[run.id])
            talk = talk_of_run.get(run.id)
            last = talk is not None and last_of.get(talk.id) == run.id
            done = ending(ctx, run, previous, users, "talk.group_done_last" if last else "talk.group_done")
            tell_group(ctx, run, done, list(users.values()))
            if last:
                await close(ctx, talk, "finished")


HOST = Host()
