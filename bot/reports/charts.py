"""Charts for reports, drawn by matplotlib as SVG to inline in the page.

matplotlib is imported only when a chart is drawn, so commands that write no report do not
pay for it. No pyplot: a `Figure` of our own, so nothing global is touched."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date

from markupsafe import Markup

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


def weekly_bars(weeks: Sequence[date], counts: Mapping[str, Sequence[int]]) -> Markup:
    """A stacked bar per week (`weeks` are Mondays), one colour per category in `counts`."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    with rc_context({"svg.hashsalt": "schoolgate", "svg.fonttype": "path", "font.size": 8}):
        figure = Figure(figsize=(7.2, 2.4), layout="constrained")
        axes = figure.subplots()
        bottoms = [0] * len(weeks)
        positions = list(range(len(weeks)))
        for category, values in counts.items():
            axes.bar(
                positions,
                values,
                bottom=bottoms,
                color=COLOURS.get(category, "#80868b"),
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
            figure.legend(frameon=False, ncols=min(len(counts), 7), loc="outside upper right")
        else:
            axes.set_ylim(0, 1)
            axes.text(0.5, 0.5, "no flagged messages", ha="center", transform=axes.transAxes)
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    svg = out.getvalue()
    return Markup(svg[svg.index("<svg") :])
