"""What the two people of a one-on-one read, in their private space: each step as it begins, the warning,
the answers they wrote, and the end with their actions. The session's language is the starter's."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select

from bot.actions import Button, Field, Message
from bot.markup import clock_time, mention, user_text
from bot.rituals.nudges.plans import load_plans, waking_for_all, zone_of
from bot.router import Ctx
from bot.steps import engine
from bot.steps.models import Step, StepRun
from bot.steps.words import length
from bot.store.models import Event, Member

from .models import OneOnOne, OneOnOneAnswer
from .templates import StepSpec, Template, fill, find

EXTEND_SECONDS = 60


async def session_of(ctx: Ctx, run: StepRun) -> OneOnOne:
    return (await ctx.session.exec(select(OneOnOne).where(OneOnOne.run_id == run.id))).one()


async def pair(ctx: Ctx, session: OneOnOne) -> list[Member]:
    """The two people, the partner (who speaks first) first; someone forgotten is simply absent."""
    members = []
    for member_id in (session.partner_id, session.starter_id):
        if member_id is not None:
            member = await ctx.session.get(Member, member_id)
            if member is not None:
                members.append(member)
    return members


async def followup_time(ctx: Ctx, run: StepRun, session: OneOnOne, planned: datetime) -> datetime:
    """`planned`, or the first moment after it when neither of the two is in their quiet hours (the nudges'
    21:00-09:00 in each one's zone, else the event's, else UTC)."""
    event = await ctx.session.get(Event, run.event_id) if run.event_id else None
    zones = [
        zone_of(member.tz, member.tz_hint, event.tz if event else None) for member in await pair(ctx, session)
    ]
    plans = load_plans()
    return waking_for_all(planned, zones, plans.quiet_start, plans.quiet_end)


def template_of(ctx: Ctx, run: StepRun, session: OneOnOne) -> Template | None:
    return find(session.template, run.lang, ctx.core.settings.prompts_dir)


async def tell(ctx: Ctx, run: StepRun, session: OneOnOne, message: Message) -> None:
    members = await pair(ctx, session)
    if members:
        ctx.dm([m.user_id for m in members], message, near=run.channel_id)


async def answers(ctx: Ctx, session: OneOnOne, step_name: str | None = None) -> list[OneOnOneAnswer]:
    query = select(OneOnOneAnswer).where(OneOnOneAnswer.oneonone_id == session.id)
    if step_name is not None:
        query = query.where(OneOnOneAnswer.step_name == step_name)
    return list((await ctx.session.exec(query.order_by(col(OneOnOneAnswer.id)))).all())


async def answer_fields(
    ctx: Ctx,
    session: OneOnOne,
    template: Template | None,
    step_name: str | None = None,
    *,
    field: str | None = None,
) -> tuple[Field, ...]:
    """Each person's answers (or only the input named `field`), the partner's first, in the template's
    order of steps and inputs."""
    rows = await answers(ctx, session, step_name)
    fields = []
    for member in await pair(ctx, session):
        for spec in template.steps if template else ():
            for item in spec.inputs:
                if field is not None and item.name != field:
                    continue
                for row in rows:
                    if row.member_id == member.id and row.step_name == spec.name and row.field == item.name:
                        fields.append(Field(f"{mention(member.user_id)} · {item.label}", user_text(row.text)))
    return tuple(fields)


class Guide:
    """The one-on-one ritual's Presenter for the step engine."""

    async def began(self, ctx: Ctx, run: StepRun, step: Step, previous: Step | None) -> None:
        session = await session_of(ctx, run)
        template = template_of(ctx, run, session)
        lines = [line for line in [await self.handoff(ctx, run, previous)] if line]
        fields: tuple[Field, ...] = ()
        if previous is not None and previous.kind == "collect":
            fields = await answer_fields(ctx, session, template, previous.name)
        spec = template.step(step.name) if template else None
        until = clock_time(run.ends_at) if run.ends_at else ctx.t_in(run.lang, "oneonone.no_limit")
        if spec is None:  # the template file changed or went away mid-session
            lines.append(ctx.t_in(run.lang, "oneonone.step_fallback", until=until))
        else:
            speaker, listener = await self.roles(ctx, session, step)
            lines.append(
                fill(
                    spec.say,
                    speaker=speaker,
                    listener=listener,
                    until=until,
                    length=length(ctx, run.lang, step.seconds or 0),
                )
            )
        await tell(
            ctx,
            run,
            session,
            Message("\n".join(lines), fields=fields, buttons=self.buttons(ctx, run, step, spec)),
        )

    async def warned(self, ctx: Ctx, run: StepRun, step: Step) -> None:
        session = await session_of(ctx, run)
        if step.kind == "turn":
            speaker, _ = await self.roles(ctx, session, step)
            text = ctx.t_in(run.lang, "oneonone.warning", speaker=speaker, seconds=engine.WARN_SECONDS)
        else:
            text = ctx.t_in(run.lang, "oneonone.warning_both", seconds=engine.WARN_SECONDS)
        await tell(ctx, run, session, Message(text))

    async def finished(self, ctx: Ctx, run: StepRun, previous: Step | None) -> None:
        session = await session_of(ctx, run)
        session.finished_at = ctx.now
        template = template_of(ctx, run, session)
        lines = [line for line in [await self.handoff(ctx, run, previous)] if line]
        if run.status == "stopped" or template is None:
            lines.append(ctx.t_in(run.lang, "oneonone.stopped"))
        else:
            lines.append(template.closing)
        fields = await answer_fields(ctx, session, template)
        if not fields:
            lines.append(ctx.t_in(run.lang, "oneonone.no_answers"))
        if session.followup_days and fields and run.status == "finished":
            await ctx.schedule(
                "oneonone.followup",
                await followup_time(ctx, run, session, ctx.now + timedelta(days=session.followup_days)),
                {"oneonone": session.id},
                key=f"oneonone:{run.id}:followup",
            )
            after = ctx.t_in(run.lang, "oneonone.followup_planned", days=session.followup_days)
        else:
            after = None
        await tell(ctx, run, session, Message("\n".join(lines), fields=fields))
        if after:  # below the list of actions, never between its header and its items
            await tell(ctx, run, session, Message(after))

    async def handoff(self, ctx: Ctx, run: StepRun, previous: Step | None) -> str | None:
        if previous is None or previous.kind != "turn" or previous.status not in ("timeup", "done"):
            return None
        session = await session_of(ctx, run)
        speaker, _ = await self.roles(ctx, session, previous)
        return ctx.t_in(run.lang, f"oneonone.handoff.{previous.status}", speaker=speaker)

    @staticmethod
    async def roles(ctx: Ctx, session: OneOnOne, step: Step) -> tuple[str, str]:
        """(speaker, listener) mentions for a turn; for a step for both, the two of them."""
        members = await pair(ctx, session)
        names = {m.id: mention(m.user_id) for m in members}
        speaker = names.get(step.member_id, "")
        others = [name for member_id, name in names.items() if member_id != step.member_id]
        return speaker, " ".join(others)

    @staticmethod
    def buttons(ctx: Ctx, run: StepRun, step: Step, spec: StepSpec | None) -> tuple[Button, ...]:
        ident = f"{run.id}:{step.position}"
        if step.kind == "collect":
            label = spec.button if spec and spec.button else ctx.t_in(run.lang, "oneonone.button.answer")
            return (Button(label, f"oneonone:answer:{ident}", "primary"),)
        extend = Button(ctx.t_in(run.lang, "oneonone.button.extend"), f"oneonone:extend:{ident}:{run.seq}")
        return (
            Button(ctx.t_in(run.lang, "oneonone.button.done"), f"oneonone:done:{ident}", "primary"),
            extend,
        )


GUIDE = Guide()
