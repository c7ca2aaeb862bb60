"""The report's picture: escalations per day (week report) or per 7-day block (month report),
stacked by severity, with the previous period's totals beside them for comparison.

Built on matplotlib's object API with the Agg canvas (no pyplot, no display, no global figure
state), so it is safe inside `serve`'s scheduler thread.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from csp_jira_sync.reports.trends import SEVERITIES, Trends

SIZE_INCHES = (9.0, 4.8)
DPI = 100
COLOURS = {"sev1": "#b2182b", "sev2": "#ef8a62", "sev3": "#67a9cf", "sev4": "#2166ac"}


def figure(trends: Trends, scope_name: str) -> Figure:
    period, previous = trends.period, trends.previous
    unit = "day" if period.kind == "week" else "week (7-day blocks from the 1st)"
    labels = [b.label for b in period.buckets()]
    fig = Figure(figsize=SIZE_INCHES, dpi=DPI)
    FigureCanvasAgg(fig)
    axes = fig.add_subplot()
    positions = list(range(len(labels)))
    width = 0.4
    bottom = [0] * len(labels)
    for index, severity in enumerate(SEVERITIES):
        heights = [row[index] for row in trends.series]
        axes.bar(
            [p - width / 2 for p in positions],
            heights,
            width,
            bottom=bottom,
            label=f"{severity} ({period.label})",
            color=COLOURS[severity],
        )
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    previous_totals = list(trends.previous_series[: len(labels)])
    previous_totals += [0] * (len(labels) - len(previous_totals))
    axes.bar(
        [p + width / 2 for p in positions],
        previous_totals,
        width,
        label=f"all severities ({previous.label}, same {'day' if period.kind == 'week' else 'block'})",
        color="#bdbdbd",
        hatch="//",
        edgecolor="#636363",
    )
    highest = max([*bottom, *previous_totals, 0])
    axes.set_ylim(0, highest * 1.35 + 1)  # headroom for the legend
    axes.set_xticks(positions, labels)
    axes.set_title(
        f"Escalations per {unit.split(' ')[0]} by severity: {scope_name}, {period.label}"
    )
    axes.set_xlabel(f"{unit.capitalize()} of {period.describe()}")
    axes.set_ylabel("Escalations (by first event)")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(loc="upper right", fontsize="small")
    axes.grid(axis="y", alpha=0.3)
    # Fixed margins: tight_layout measures every text twice, most of a chart's cost.
    fig.subplots_adjust(left=0.07, right=0.98, top=0.9, bottom=0.14)
    return fig


def png(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()
