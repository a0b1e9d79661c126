"""`tsunagari report` on the command line: one event's report from the bot's own database, written to a
folder as report.html (self-contained, opens offline) and report.csv (the same rows)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import col, select

from bot.i18n import Catalog
from bot.markup import unmark
from bot.reader import main_language
from bot.rituals.report import render
from bot.rituals.report.figures import Report, build_report
from bot.store.db import Store
from bot.store.models import Event

log = logging.getLogger(__name__)


class NoSuchEvent(LookupError):
    """The event named on the command line is not in this database."""


@dataclass(frozen=True)
class Written:
    report: Report
    html: Path
    csv: Path
    charts: dict[str, Path]


async def find_event(store: Store, *, event_id: int | None, channel: str | None, tenant: str | None) -> Event:
    """By id; or the latest event bound to `channel` (in `tenant`, when several share the name)."""
    async with store.session() as session:
        if event_id is not None:
            event = await session.get(Event, event_id)
        else:
            query = select(Event).where(Event.channel_id == channel)
            if tenant:
                query = query.where(Event.tenant_id == tenant)
            event = (
                await session.exec(query.order_by(col(Event.created_at).desc(), col(Event.id).desc()))
            ).first()
        if event is None or (tenant and event.tenant_id != tenant):
            raise NoSuchEvent(str(event_id if event_id is not None else channel))
        return event


async def write_report(
    store: Store,
    catalog: Catalog,
    event: Event,
    folder: Path,
    *,
    lang: str | None = None,
    now: datetime | None = None,
    charts: bool = True,
) -> Written:
    now = now or datetime.now(UTC)
    lang = lang or main_language(event) or "en"
    async with store.session() as session:
        report = await build_report(session, event, now=now)
    # Drawing and writing are CPU and disk work: a worker thread, so the event loop keeps serving.
    written = await asyncio.to_thread(_write, catalog, lang, report, folder, charts)
    log.info("report of event %s written to %s", event.id, folder)
    return written


def _write(catalog: Catalog, lang: str, report: Report, folder: Path, charts: bool) -> Written:
    pictures: dict[str, bytes] = {}
    if charts:
        from bot.rituals.report.charts import render_charts

        pictures = render_charts(catalog, lang, report)
    folder.mkdir(parents=True, exist_ok=True)
    html_path, csv_path = folder / "report.html", folder / "report.csv"
    html_path.write_text(render.html_page(catalog, lang, report, pictures), "utf-8")
    # UTF-8 with a byte-order mark, so a spreadsheet opened by double-click reads the Japanese right.
    csv_path.write_text(render.csv_text(catalog, lang, report), "utf-8-sig")
    chart_paths = {}
    for name, png in pictures.items():
        chart_paths[name] = folder / f"{name}.png"
        chart_paths[name].write_bytes(png)
    return Written(report, html_path, csv_path, chart_paths)


def plain_text(catalog: Catalog, lang: str, report: Report) -> str:
    """The chat message as plain lines, for a terminal."""
    message = render.message(catalog, lang, report)
    lines = [message.title or "", unmark(message.text).replace("**", "")]
    for field in message.fields:
        lines += ["", field.label, *("  " + line for line in unmark(field.value).splitlines())]
    return "\n".join(lines)
