"""The report in words: one row per figure (section, label, value, earlier events), then as a chat message,
a CSV file and a self-contained HTML page. Every cell goes through `value_text`, the one place that turns
a figure describing fewer than 3 people into "fewer than 3"."""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.actions import Field, Message
from bot.i18n import Catalog
from bot.markup import unmark, user_text
from bot.rituals.report.figures import CHECKPOINTS, Figure, Report


@dataclass(frozen=True)
class Row:
    section: str  # the section's key: came, bridging, …
    key: str  # the figure's key, with its parameters: "language:ja", "thanked:week1"
    label: str
    value: str
    earlier: str  # the median of earlier events, or "" when there is none


def _number(catalog: Catalog, lang: str, kind: str, value: float) -> str:
    if kind == "rate":
        return f"{round(value * 100)}%"
    if kind == "ratio":
        return f"×{value:.1f}"
    if kind == "number":
        return f"{value:.1f}"
    if kind == "gini":
        return f"{value:.2f}"
    if kind == "minutes":
        return catalog.text(lang, "report.unit.minutes", value=f"{value:g}")
    if kind == "seconds":
        return catalog.text(lang, "report.unit.seconds", value=round(value))
    return f"{value:g}"


def value_text(catalog: Catalog, lang: str, figure: Figure, *, earlier: bool = False) -> str:
    value = figure.earlier if earlier else figure.value
    if figure.kind == "pending":
        return "" if earlier else catalog.text(lang, "report.not_yet", date=figure.params.get("date", ""))
    if (figure.earlier_masked if earlier else figure.masked) and value:
        return catalog.text(lang, "report.fewer")
    if value is None:
        return "" if earlier else catalog.text(lang, "report.none")
    if figure.kind == "share":
        if earlier:
            return _number(catalog, lang, "rate", value)
        if not figure.whole:
            return _number(catalog, lang, "count", value)
        rate = _number(catalog, lang, "rate", value / figure.whole)
        return catalog.text(lang, "report.share", count=f"{value:g}", rate=rate)
    kind = "count" if figure.kind == "text" else figure.kind
    return _number(catalog, lang, kind, value)


def _zone(report: Report) -> ZoneInfo:
    """Days are the event's own days, as its people lived them."""
    try:
        return ZoneInfo(report.tz)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def _dated(catalog: Catalog, lang: str, report: Report, figure: Figure) -> Figure:
    """A moment not reached yet carries the day it will be read, or "after the end"."""
    from dataclasses import replace

    moment = figure.params["moment"]
    if report.ended_at is None:
        date = catalog.text(lang, "report.after_end")
    else:
        due = report.ended_at + timedelta(days=CHECKPOINTS[moment])
        date = due.astimezone(_zone(report)).strftime("%Y-%m-%d")
    return replace(figure, params={**figure.params, "date": date})


def label_text(catalog: Catalog, lang: str, report: Report, figure: Figure) -> str:
    params = dict(figure.params)
    if "moment" in params:
        moment = params["moment"]
        params["moment"] = catalog.text(lang, f"report.moment.{moment}")
    if "category" in params:
        key = f"barriers.category.{params['category']}"
        params["category"] = catalog.text(lang, key) if catalog.has(key) else params["category"]
    if figure.kind == "text":
        return catalog.text(lang, "report.figure.top_card", rank=params["rank"], text=user_text(figure.text))
    return catalog.text(lang, f"report.figure.{figure.key}", **params)


def rows(catalog: Catalog, lang: str, report: Report) -> list[Row]:
    found = []
    for section in report.sections:
        for figure in section.figures:
            if figure.kind == "pending":
                figure = _dated(catalog, lang, report, figure)
            suffix = "".join(f":{v}" for k, v in figure.params.items() if k != "date")
            found.append(
                Row(
                    section.key,
                    figure.key + suffix,
                    label_text(catalog, lang, report, figure),
                    value_text(catalog, lang, figure),
                    value_text(catalog, lang, figure, earlier=True),
                )
            )
    return found


def _heading(catalog: Catalog, lang: str, report: Report) -> str:
    when = (
        catalog.text(
            lang, "report.ended", date=report.ended_at.astimezone(_zone(report)).strftime("%Y-%m-%d")
        )
        if report.ended_at
        else catalog.text(lang, "report.still_open")
    )
    earlier = (
        catalog.text(lang, "report.earlier_events", count=report.earlier_events)
        if report.earlier_events
        else catalog.text(lang, "report.earlier_none")
    )
    return catalog.text(lang, "report.heading", event=user_text(report.name), when=when, earlier=earlier)


def message(catalog: Catalog, lang: str, report: Report) -> Message:
    """The in-chat report: one field per section, each line "label: value (earlier events: x)"."""
    fields = []
    by_section: dict[str, list[str]] = {}
    for row in rows(catalog, lang, report):
        line = catalog.text(lang, "report.line", label=row.label, value=row.value)
        if row.earlier:
            line += catalog.text(lang, "report.line_earlier", earlier=row.earlier)
        by_section.setdefault(row.section, []).append(line)
    for section in report.sections:
        lines = by_section.get(section.key) or [catalog.text(lang, "report.empty")]
        fields.append(Field(catalog.text(lang, f"report.section.{section.key}"), "\n".join(lines)))
    text = _heading(catalog, lang, report) + "\n" + catalog.text(lang, "report.promise")
    return Message(text, title=catalog.text(lang, "report.title"), fields=tuple(fields))


def _cell(value: str) -> str:
    """A CSV cell as typed: no user-text marks, and a card that starts like a formula stays text."""
    value = unmark(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_text(catalog: Catalog, lang: str, report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [catalog.text(lang, f"report.csv.{c}") for c in ("section", "key", "label", "value", "earlier")]
    )
    for row in rows(catalog, lang, report):
        writer.writerow([_cell(v) for v in (row.section, row.key, row.label, row.value, row.earlier)])
    return out.getvalue()


def html_page(catalog: Catalog, lang: str, report: Report, charts: dict[str, bytes] | None = None) -> str:
    """A page that opens offline: styles inline, charts as data: URIs, no script, no outside link."""
    import base64

    esc = html.escape
    parts = [
        f'<!doctype html><html lang="{esc(lang)}"><head><meta charset="utf-8">',
        f"<title>{esc(catalog.text(lang, 'report.title'))}: {esc(report.name)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;width:100%;margin-bottom:1.5em}"
        "td,th{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left}"
        "td.v,th.v{text-align:right;white-space:nowrap}img{max-width:100%}</style></head><body>",
        f"<h1>{esc(catalog.text(lang, 'report.title'))}: {esc(report.name)}</h1>",
        f"<p>{esc(unmark(_heading(catalog, lang, report)))}</p>",
        f"<p>{esc(catalog.text(lang, 'report.promise'))}</p>",
    ]
    for name, png in (charts or {}).items():
        alt = esc(catalog.text(lang, f"report.chart.{name}"))
        data = base64.b64encode(png).decode("ascii")
        parts.append(f'<figure><img id="chart-{esc(name)}" alt="{alt}" src="data:image/png;base64,{data}">')
        parts.append(f"<figcaption>{alt}</figcaption></figure>")
    by_section: dict[str, list[Row]] = {}
    for row in rows(catalog, lang, report):
        by_section.setdefault(row.section, []).append(row)
    head = (
        f"<tr><th>{esc(catalog.text(lang, 'report.csv.label'))}</th>"
        f"<th class=v>{esc(catalog.text(lang, 'report.csv.value'))}</th>"
        f"<th class=v>{esc(catalog.text(lang, 'report.csv.earlier'))}</th></tr>"
    )
    for section in report.sections:
        parts.append(
            f'<h2 id="{esc(section.key)}">{esc(catalog.text(lang, f"report.section.{section.key}"))}</h2>'
        )
        parts.append(f"<table>{head}")
        for row in by_section.get(section.key, []):
            parts.append(
                f'<tr data-key="{esc(row.key)}"><td>{esc(unmark(row.label))}</td>'
                f"<td class=v>{esc(row.value)}</td><td class=v>{esc(row.earlier)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
