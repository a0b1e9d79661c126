"""The report's pictures as PNG: the funnel, bridging against a random split, the board by category.

Drawn with matplotlib's object API (no pyplot, no global figure state, so it is safe off the event loop in
a worker thread), in a Japanese font that installs from PyPI (matplotlib-fontja), so Japanese labels
render as Japanese on a fresh machine. A bar whose figure describes fewer than 3 people is drawn at zero
and labelled "fewer than 3": its length would tell what the label hides. Each PNG carries the labels and
values it shows in its metadata ("Description"), so a test can read them back.
"""

from __future__ import annotations

import io
import json
import logging
import threading

from bot.i18n import Catalog
from bot.rituals.report.figures import DIMENSIONS, Figure, Report
from bot.rituals.report.render import label_text, value_text

log = logging.getLogger(__name__)

FONT = "IPAexGothic"  # the face matplotlib-fontja installs
_font_lock = threading.Lock()
_font_ready = False


def _setup_font() -> None:
    """Register the Japanese face once (matplotlib-fontja does it on import)."""
    global _font_ready
    with _font_lock:
        if not _font_ready:
            import matplotlib

            matplotlib.use("Agg", force=False)
            import matplotlib_fontja  # noqa: F401  (registers IPAexGothic with matplotlib)

            _font_ready = True


def _bars(
    title: str,
    rows: list[tuple[str, float, str]],
    *,
    second: list[tuple[float, str]] | None = None,
    legend: tuple[str, str] | None = None,
) -> bytes:
    """Horizontal bars, top to bottom: (label, length, the text written at its end)."""
    from matplotlib.figure import Figure as Canvas

    canvas = Canvas(figsize=(8, 0.55 * max(len(rows), 2) * (2 if second else 1) + 1.2), dpi=100)
    axes = canvas.subplots()
    positions = list(range(len(rows)))[::-1]
    height = 0.4 if second else 0.6
    offset = height / 2 if second else 0
    first = axes.barh([p + offset for p in positions], [r[1] for r in rows], height=height, color="#2b6cb0")
    for bar, (_, _, text) in zip(first, rows, strict=True):
        axes.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, " " + text, va="center", fontsize=9)
    described = [{"label": label, "value": text} for label, _, text in rows]
    if second:
        other = axes.barh(
            [p - offset for p in positions], [s[0] for s in second], height=height, color="#a0aec0"
        )
        for bar, (_, text), row in zip(other, second, described, strict=True):
            axes.text(
                bar.get_width(), bar.get_y() + bar.get_height() / 2, " " + text, va="center", fontsize=9
            )
            row["random"] = text
        if legend:
            axes.legend([first, other], list(legend), loc="lower right", fontsize=9)
    axes.set_yticks(positions, [r[0] for r in rows], fontsize=9)
    # An explicit y (the default place) spares matplotlib measuring every tick label to see whether the
    # title must move up out of their way; with the ticks below, it never must.
    axes.set_title(title, fontsize=12, y=1.0)
    longest = max([r[1] for r in rows] + [s[0] for s in second or []] + [1])
    axes.set_xlim(0, longest * 1.35)
    axes.spines[["top", "right"]].set_visible(False)
    # Fixed margins: tight_layout would measure every label twice over, the costliest step here.
    canvas.subplots_adjust(left=0.42, right=0.97, top=0.9, bottom=0.08)
    out = io.BytesIO()
    # zlib level 1: flat-coloured bars compress almost as well as at the default level 6, in half the time.
    canvas.savefig(
        out,
        format="png",
        metadata={"Title": title, "Description": json.dumps(described, ensure_ascii=False)},
        pil_kwargs={"compress_level": 1},
    )
    return out.getvalue()


def _length(figure: Figure) -> float:
    return 0.0 if figure.masked or figure.value is None else float(figure.value)


def render_charts(catalog: Catalog, lang: str, report: Report) -> dict[str, bytes]:
    """name -> PNG, for each chart the report has something to draw in."""
    _setup_font()
    charts: dict[str, bytes] = {}

    def row(figure: Figure) -> tuple[str, float, str]:
        return label_text(catalog, lang, report, figure), _length(figure), value_text(catalog, lang, figure)

    funnel = report.section("funnel").figures
    reached = [f for f in funnel if f.kind == "share"]
    if funnel[0].value:
        # The funnel as it stands: links, thanks, then the latest moment read (just links, before any).
        latest = reached[-1].params["moment"] if reached else None
        steps = [funnel[0]] + [f for f in reached if f.key == "thanked"]
        steps += [f for f in reached if f.params["moment"] == latest and f.key != "thanked"]
        charts["funnel"] = _bars(catalog.text(lang, "report.chart.funnel"), [row(f) for f in steps])

    bridging = {f.key: f for f in report.section("bridging").figures}
    if bridging:
        crossed = [bridging[f"cross_{d}"] for d in DIMENSIONS]
        random = [bridging[f"random_{d}"] for d in DIMENSIONS]
        charts["bridging"] = _bars(
            catalog.text(lang, "report.chart.bridging"),
            [row(f) for f in crossed],
            second=[(_length(f), value_text(catalog, lang, f)) for f in random],
            legend=(catalog.text(lang, "report.chart.this_event"), catalog.text(lang, "report.chart.random")),
        )

    board = [f for f in report.section("board").figures if f.key == "category_cards"]
    if board:
        metoo = {
            f.params["category"]: f for f in report.section("board").figures if f.key == "category_metoo"
        }
        charts["board"] = _bars(
            catalog.text(lang, "report.chart.board"),
            [row(f) for f in board],
            second=[
                (_length(metoo[f.params["category"]]), value_text(catalog, lang, metoo[f.params["category"]]))
                for f in board
            ],
            legend=(catalog.text(lang, "report.chart.cards"), catalog.text(lang, "report.chart.metoo")),
        )
    return charts
