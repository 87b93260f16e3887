"""The report's charts as PNG bytes: matplotlib's Agg renderer, no display, no pyplot.

A figure is built with `matplotlib.figure.Figure` and drawn by `FigureCanvasAgg`
directly, so no global backend is switched and nothing is shared between calls (the
worker renders reports from its poll thread). Each chart is 5 in wide at 240 dpi:
1200 px, shown at 600 CSS px, so it stays sharp on a phone's dense screen and its
12-point labels come out at about 20 px on a desktop and 12 px on a 360 px phone.
Labels are Russian; DejaVu Sans, which matplotlib ships, has Cyrillic.

The PNGs carry no metadata (no "Software", no time), so the same report gives the same
bytes and a test can compare them.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from inboxbot.compose.report_data import Report

WIDTH_IN = 5.0
DPI = 240
SHOW_WIDTH = 600  # CSS px the template gives the image
BLUE, LIGHT, RED, GREY = "#2f6db5", "#a9c4e8", "#c0392b", "#6b7280"
_STYLE: dict[Any, Any] = {  # rc_context wants its own key names; these are some of them
    "font.family": "DejaVu Sans",
    "font.size": 13,
    "axes.titlesize": 13,
    "axes.edgecolor": "#9ca3af",
    "axes.labelcolor": "#374151",
    "xtick.color": "#374151",
    "ytick.color": "#111827",
    "path.simplify": True,
}


@dataclass(frozen=True, slots=True)
class Chart:
    name: str  # file-name-safe: "managers", "fairness", …
    title: str
    alt: str  # what the image says, for a mail client that blocks images
    png: bytes = field(repr=False)
    width: int  # CSS px to show it at
    height: int


def render_charts(report: Report) -> tuple[Chart, ...]:
    """Every chart the report has data for, in reading order."""
    charts = (managers_chart(report), fairness_chart(report), response_chart(report), rules_chart(report),
              days_chart(report))  # fmt: skip
    return tuple(c for c in charts if c is not None)


def managers_chart(report: Report) -> Chart | None:
    lines = [m for m in report.managers if m.total]
    if not lines:
        return None
    names = [m.name for m in lines]
    pooled = [m.pool for m in lines]
    ruled = [m.total - m.pool for m in lines]

    def draw(ax: Axes) -> None:
        y = range(len(lines))
        ax.barh(y, ruled, color=BLUE, label="по правилам", height=0.62)
        if any(pooled):
            ax.barh(y, pooled, left=ruled, color=LIGHT, label="из очереди", height=0.62)
            _legend(ax)
        _names(ax, names)
        for index, line in enumerate(lines):
            ax.text(line.total, index, f" {line.total}", va="center", fontsize=12)
        ax.set_xlim(0, max(m.total for m in lines) * 1.18)
        _count_axis(ax)

    alt = "Заявок по менеджерам: " + "; ".join(f"{m.name} — {m.total}" for m in lines)
    return _render("managers", "Заявки по менеджерам", alt, len(lines), draw, legend=any(pooled))


def fairness_chart(report: Report) -> Chart | None:
    pool = report.pool
    lines = [m for m in report.managers if m.target is not None]
    if pool is None or not pool.total or not lines:
        return None

    def draw(ax: Axes) -> None:
        y = list(range(len(lines)))
        shares = [(m.pool_share or 0.0) * 100 for m in lines]
        targets = [(m.target or 0.0) * 100 for m in lines]
        ax.barh(y, shares, color=BLUE, height=0.62, label="доля")
        ax.scatter(targets, y, marker="|", s=900, linewidths=3, color=RED, zorder=3, label="положено")
        _names(ax, [m.name for m in lines])
        for index, share in enumerate(shares):
            ax.text(max(share, targets[index]), index, f"  {share:.0f} %", va="center", fontsize=12)
        ax.set_xlim(0, max(*shares, *targets) * 1.3)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f} %"))
        _legend(ax, markerscale=0.5)
        ax.grid(axis="x", color="#e5e7eb")
        ax.set_axisbelow(True)

    alt = f"Очередь «{pool.name}», {pool.total} заявок: " + "; ".join(
        f"{m.name} {(m.pool_share or 0) * 100:.0f} % (положено {(m.target or 0) * 100:.0f} %)" for m in lines
    )
    return _render("fairness", "Доля из очереди и положенная доля", alt, len(lines), draw, legend=True)


def response_chart(report: Report) -> Chart | None:
    lines = [m for m in report.managers if m.median is not None]
    if not lines:
        return None

    def draw(ax: Axes) -> None:
        y = list(range(len(lines)))
        medians = [_hours(m.median) for m in lines]
        ax.barh(y, medians, color=BLUE, height=0.62, label="медиана")
        # «9 из 10» only where there are answers enough to say it (report.MIN_FOR_P90).
        marked = [(i, _hours(m.p90)) for i, m in enumerate(lines) if m.p90 is not None]
        p90s = [p for _, p in marked]
        if marked:
            rows = [i for i, _ in marked]
            ax.scatter(p90s, rows, marker="D", s=36, color=RED, zorder=3, label="9 из 10 — не дольше")
            ax.hlines(rows, [medians[i] for i in rows], p90s, color=RED, linewidth=1.2, zorder=2)
        _names(ax, [m.name for m in lines])
        top = max(*medians, *p90s, 0.0) or 1.0
        ax.set_xlim(0, top * 1.15)
        ax.set_xlabel("рабочие часы")
        _legend(ax)
        ax.grid(axis="x", color="#e5e7eb")
        ax.set_axisbelow(True)

    alt = "Время ответа (медиана): " + "; ".join(f"{m.name} — {_hours(m.median):.1f} ч" for m in lines)
    return _render("response", "Время до ответа клиенту", alt, len(lines), draw, legend=True)


def rules_chart(report: Report) -> Chart | None:
    lines = list(report.rules)
    if not lines:
        return None
    seen = [line.label for line in lines]
    labels = [line.label if seen.count(line.label) == 1 else f"{line.label}: {line.key}" for line in lines]

    def draw(ax: Axes) -> None:
        counts = [line.count for line in lines]
        ax.barh(range(len(lines)), counts, color=BLUE, height=0.62)
        _names(ax, labels)
        for index, count in enumerate(counts):
            ax.text(count, index, f" {count}", va="center", fontsize=12)
        ax.set_xlim(0, max(counts) * 1.18)
        _count_axis(ax)

    alt = "Письма по правилам: " + "; ".join(f"{label} — {line.count}" for label, line in zip(labels, lines, strict=True))
    return _render("rules", "Какое правило решило", alt, len(lines), draw)


def days_chart(report: Report) -> Chart | None:
    buckets = report.buckets
    if len(buckets) < 2 or not any(b.count for b in buckets):
        return None

    def draw(ax: Axes) -> None:
        x = list(range(len(buckets)))
        ax.bar(x, [b.count for b in buckets], color=BLUE, width=0.7)
        step = tick_step(len(buckets))
        ax.set_xticks(x[::step], [b.label for b in buckets][::step])
        ax.tick_params(axis="x", labelsize=12)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", color="#e5e7eb")
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)

    weekly = buckets[0].label.startswith("нед.")
    alt = f"Заявок {'по неделям' if weekly else 'по дням'}: " + ", ".join(f"{b.label} — {b.count}" for b in buckets)
    return _render("days", "Заявки по неделям" if weekly else "Заявки по дням", alt, 0, draw, height_in=2.6)


def tick_step(count: int, most: int = 7) -> int:
    """Every how many bars a day's label goes: at most `most` labels, as many «16.11» fit
    across 5 inches at 12 points without running into each other."""
    return max(1, -(-count // most))


# -- drawing helpers ----------------------------------------------------------------------


def _render(
    name: str, title: str, alt: str, rows: int, draw: Callable[[Axes], None], *,
    height_in: float | None = None, legend: bool = False,
) -> Chart:
    height = height_in if height_in is not None else 0.9 + 0.45 * max(rows, 2) + (0.35 if legend else 0.0)
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)  # attaches itself: Agg, whatever backend pyplot has elsewhere
        ax = figure.add_subplot()
        draw(ax)
        buffer = io.BytesIO()
        # No "Software" / creation time in the PNG: the same report gives the same bytes.
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    pixels_w, pixels_h = round(WIDTH_IN * DPI), round(height * DPI)
    return Chart(name, title, alt, buffer.getvalue(), SHOW_WIDTH, round(pixels_h * SHOW_WIDTH / pixels_w))


def _legend(ax: Axes, **options: float) -> None:
    # Above the plot, not over it: bars reach the right edge where a legend would sit.
    # Bars first, in the order drawn (matplotlib lists markers before bars).
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: not isinstance(handles[i], BarContainer))
    ax.figure.legend([handles[i] for i in order], [labels[i] for i in order],
                     loc="outside upper left", ncols=2, frameon=False, **options)  # fmt: skip


def _names(ax: Axes, names: Sequence[str]) -> None:
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()  # the first (largest) on top, as in the table below it
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _count_axis(ax: Axes) -> None:
    # Few ticks: with long labels on the left the axis may be only two inches wide.
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.grid(axis="x", color="#e5e7eb")
    ax.set_axisbelow(True)


def _hours(value: timedelta | None) -> float:
    return value.total_seconds() / 3600 if value is not None else 0.0
