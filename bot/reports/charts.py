"""Charts for reports, drawn by matplotlib as SVG to inline in the page.

matplotlib is imported only when a chart is drawn, so commands that write no report do not
pay for it. No pyplot: a `Figure` of our own, so nothing global is touched. Every chart has
its figures in a table beside it in the page, for screen readers and print."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING

from markupsafe import Markup

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# One colour per category, the same in every report.
COLOURS = {
    "threat": "#b3261e",
    "discrimination": "#7b1fa2",
    "abuse": "#e8710a",
    "staff": "#1a73e8",
    "pupil": "#0b8043",
    "private": "#5f6368",
    "complaint": "#c69026",
}
OTHER = "#80868b"  # anything without a colour of its own
ACCENT = "#1a4d8f"  # the reports' accent colour (report.css), for single-series charts


@contextmanager
def _drawing(width: float, height: float) -> Iterator[tuple[Figure, list[Markup]]]:
    """A figure to draw on; its SVG (stable from run to run, text as paths so that no font is
    needed where it is opened) is appended to the list on leaving. Each chart places its own
    axes: a layout engine measuring every label is most of the time a small chart takes."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    out: list[Markup] = []
    with rc_context({"svg.hashsalt": "schoolgate", "svg.fonttype": "path", "font.size": 8}):
        figure = Figure(figsize=(width, height))
        yield figure, out
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    out.append(Markup(svg[svg.index("<svg") :]))


def weekly_bars(weeks: Sequence[date], counts: Mapping[str, Sequence[int]]) -> Markup:
    """A stacked bar per week (`weeks` are Mondays), one colour per category in `counts`."""
    from matplotlib.ticker import MaxNLocator

    with _drawing(7.2, 2.4) as (figure, svg):
        figure.subplots_adjust(left=0.08, right=0.99, top=0.86, bottom=0.2)
        axes = figure.subplots()
        bottoms = [0] * len(weeks)
        positions = list(range(len(weeks)))
        for category, values in counts.items():
            axes.bar(
                positions,
                values,
                bottom=bottoms,
                color=COLOURS.get(category, OTHER),
                label=category,
                width=0.8,
            )
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        step = max(1, len(weeks) // 12)
        axes.set_xticks(positions[::step], [w.strftime("%d %b") for w in weeks][::step])
        axes.set_xlim(-0.6, max(len(weeks), 1) - 0.4)
        axes.set_ylabel("flagged messages")
        axes.set_xlabel("week beginning")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.spines[["top", "right"]].set_visible(False)
        if counts:
            figure.legend(frameon=False, ncols=min(len(counts), 7), loc="upper right")
        else:
            axes.set_ylim(0, 1)
            axes.text(0.5, 0.5, "no flagged messages", ha="center", transform=axes.transAxes)
    return svg[0]


def bars(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    xlabel: str,
    colours: Sequence[str] | None = None,
) -> Markup:
    """Horizontal bars, the first label at the top; each bar's value written at its end."""
    from matplotlib.ticker import MaxNLocator

    rows = max(len(labels), 1)
    width, height = 3.6, 0.55 + 0.22 * rows
    # Room at the left for the longest label (about 0.07 in a character at 8 pt).
    left = min(0.62, (0.15 + 0.07 * max((len(_short(x)) for x in labels), default=4)) / width)
    with _drawing(width, height) as (figure, svg):
        figure.subplots_adjust(left=left, right=0.9, top=1 - 0.1 / height, bottom=0.4 / height)
        axes = figure.subplots()
        positions = list(range(len(labels)))
        drawn = axes.barh(
            positions, values, color=list(colours or [ACCENT] * len(labels)), height=0.7
        )
        axes.bar_label(drawn, padding=2, fmt="%g")
        axes.set_yticks(positions, [_short(label) for label in labels])
        axes.invert_yaxis()
        axes.set_xlabel(xlabel)
        axes.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        axes.margins(x=0.15)
        axes.spines[["top", "right"]].set_visible(False)
        if not labels:
            axes.set_yticks([])
            axes.text(0.5, 0.5, "none", ha="center", transform=axes.transAxes)
    return svg[0]


def _short(label: str, limit: int = 26) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "\u2026"
