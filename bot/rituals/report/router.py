"""`/tsunagari report [EVENT]`: the report of the channel's event, or of any event the caller facilitates
(by id; in a DM, their latest), also after it ended. It answers only the caller: a facilitator may then
share what they choose."""

from __future__ import annotations

import logging

from sqlmodel import col, select

from bot.actions import Attachment, Upload
from bot.commands import Arg, Parsed
from bot.compute import ComputeTimeout
from bot.errors import UserError
from bot.markup import bold, user_text
from bot.rituals.report import render
from bot.rituals.report.charts import render_charts
from bot.rituals.report.figures import assemble, read_report
from bot.router import Ctx, Router
from bot.store.models import Event, Facilitator

log = logging.getLogger(__name__)

router = Router("report")


async def _event(ctx: Ctx, named: str | None) -> Event:
    if named:
        digits = named.strip().lstrip("#")
        event = await ctx.session.get(Event, int(digits)) if digits.isdigit() else None
        if event is None or event.tenant_id != ctx.tenant:
            raise UserError("report.unknown_event", event=named[:40])
        return event
    if ctx.event is not None:
        return ctx.event
    # No open event here: the caller's latest event in this channel, else (a DM) their latest anywhere.
    mine = (
        select(Event)
        .join(Facilitator, col(Facilitator.event_id) == col(Event.id))
        .where(Event.tenant_id == ctx.tenant, Facilitator.member_id == ctx.member.id)
        .order_by(col(Event.created_at).desc(), col(Event.id).desc())
    )
    event = (await ctx.session.exec(mine.where(Event.channel_id == ctx.channel))).first()
    event = event or (await ctx.session.exec(mine)).first()
    if event is None:
        raise UserError("report.no_events")
    return event


@router.command(
    "report",
    args=[Arg("event", "word", metavar="EVENT_ID")],
    needs_event=False,
    help_key="report.help.report",
)
async def report(ctx: Ctx, args: Parsed) -> None:
    event = await _event(ctx, args["event"])
    ctx.locale = ctx.locale_of(ctx.member, event)  # after the end, or in a DM: the event's language
    if not await ctx.is_facilitator(event):
        raise UserError("report.not_yours", event=bold(user_text(event.name)))
    reading = await read_report(ctx.session, event, now=ctx.now)
    # The figures are read: end the transaction now (it writes nothing), so it is not held open, with its
    # connection and, on SQLite, its read snapshot, while the figures are worked out and the charts drawn.
    await ctx.session.commit()
    # Working the figures out (every earlier event's, for the medians) is a few hundred ms of pure Python
    # at 100 earlier events: it goes to the worker the composition root owns, as the charts do, so other
    # rooms' turns and commands are not held up by it.
    try:
        figures = await ctx.core.compute.run(assemble, reading)
    except ComputeTimeout:
        log.warning("the report's figures took longer than the bound; the facilitator was told")
        raise UserError(
            "report.timeout", seconds=f"{ctx.core.compute.timeout:g}", event=bold(user_text(event.name))
        ) from None
    log.info("report of event %s for a facilitator (%s earlier events)", event.id, figures.earlier_events)
    ctx.reply_message(render.message(ctx.core.catalog, ctx.locale, figures))
    # The pictures go to the facilitator's DM: an upload cannot be shown to one person in a channel.
    # Drawing is CPU work that holds the GIL (matplotlib's Python), so it goes to the worker the
    # composition root owns, where other rooms' turns and commands are not held up by it.
    try:
        charts = await ctx.core.compute.run(render_charts, ctx.core.catalog, ctx.locale, figures)
    except ComputeTimeout:
        log.warning("the report's charts took longer than the bound; the text report went out without them")
        charts = {}
    if charts:
        files = tuple(
            Attachment(f"{name}.png", png, ctx.t(f"report.chart.{name}")) for name, png in charts.items()
        )
        ctx.actions.append(
            Upload(
                (ctx.member.user_id,), files, ctx.t("report.charts_for", event=bold(user_text(event.name)))
            )
        )
