"""The report's PNG charts, drawn with matplotlib's Agg canvas (no pyplot state, no display needed)."""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from nncourse.report.stats import RubricLine

INK = "#222222"
BAR = "#4c78a8"
MARK = "#c0392b"
GROUP_COLOURS = (
    "#4c78a8",
    "#f58518",
    "#54a24b",
    "#b279a2",
    "#9d755d",
    "#e45756",
    "#72b7b2",
    "#bab0ac",
)
DPI = 100


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    figure.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None})
    tmp.replace(path)
    return path


def _style(axes) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(colors=INK, labelsize=9)


def score_histogram(scores: list[float], max_score: float, path: Path) -> Path:
    """Histogram of total scores with the maximum score marked.

    Args:
        scores: One total per submission (error submissions count with their score, usually 0).
        max_score: The assignment's maximum; drawn as a dashed vertical line.
        path: Where to write the PNG.

    Returns:
        ``path``.
    """
    figure = _figure(7.5, 3.2)
    axes = figure.add_subplot()
    top = max(max_score, max(scores, default=0.0), 1.0)
    if top <= 40 and float(top).is_integer():
        edges = [x - 0.5 for x in range(int(top) + 2)]
    else:
        edges = [top * i / 20 for i in range(21)]
    axes.hist(scores, bins=edges, color=BAR, edgecolor="white")
    axes.axvline(max_score, color=MARK, linestyle="--", linewidth=1.5)
    axes.annotate(
        f"max {max_score:g}",
        xy=(max_score, 1),
        xycoords=("data", "axes fraction"),
        color=MARK,
        ha="right",
        va="top",
        fontsize=9,
        xytext=(-4, -2),
        textcoords="offset points",
    )
    axes.set_xlim(edges[0], max(edges[-1], max_score + 0.5))
    axes.set_xlabel("score (points)", color=INK)
    axes.set_ylabel("submissions", color=INK)
    axes.yaxis.get_major_locator().set_params(integer=True)
    _style(axes)
    return _save(figure, path)


def pass_rate_chart(lines: list[RubricLine], path: Path) -> Path:
    """Horizontal bar per rubric line (top to bottom in rubric order), coloured by test file group.

    Args:
        lines: Rubric lines in rubric order (see ``stats.rubric_lines``).
        path: Where to write the PNG.

    Returns:
        ``path``.
    """
    height = 0.9 + 0.28 * max(len(lines), 1)
    figure = _figure(7.5, min(height, 40.0))
    axes = figure.add_subplot()
    groups = {line.number.split(".")[0]: None for line in lines}
    colour = {group: GROUP_COLOURS[i % len(GROUP_COLOURS)] for i, group in enumerate(groups)}
    labels = [_short(f"{line.number} {line.name}", 48) for line in lines]
    rates = [100 * line.rate for line in lines]
    positions = list(range(len(lines)))
    axes.barh(
        positions, rates, color=[colour[line.number.split(".")[0]] for line in lines], height=0.7
    )
    for y, line, rate in zip(positions, lines, rates):
        axes.text(
            min(rate, 100) + 1,
            y,
            f"{rate:.0f}% ({line.passed}/{line.total})",
            va="center",
            fontsize=8,
            color=INK,
        )
    axes.set_yticks(positions, labels)
    axes.invert_yaxis()
    axes.set_xlim(0, 118)
    axes.set_xticks([0, 25, 50, 75, 100])
    axes.set_xlabel("passed (% of submissions with test results)", color=INK)
    _style(axes)
    axes.tick_params(axis="y", labelsize=8)
    return _save(figure, path)


def time_histogram(seconds: list[float], path: Path) -> Path:
    """Small histogram of grading time per submission.

    Args:
        seconds: ``execution_time`` of each submission.
        path: Where to write the PNG.

    Returns:
        ``path``.
    """
    figure = _figure(6.0, 2.4)
    axes = figure.add_subplot()
    top = max(seconds, default=1.0)
    bins = max(5, min(30, int(math.sqrt(len(seconds)) * 2) or 5))
    axes.hist(
        seconds,
        bins=bins,
        range=(0, top * 1.02 if top > 0 else 1.0),
        color="#72b7b2",
        edgecolor="white",
    )
    axes.set_xlabel("grading time per submission (s)", color=INK)
    axes.set_ylabel("submissions", color=INK)
    axes.yaxis.get_major_locator().set_params(integer=True)
    _style(axes)
    return _save(figure, path)


def _short(text: str, width: int) -> str:
    text = text if len(text) <= width else text[: width - 1] + "…"
    return text.replace("$", r"\$")  # a literal dollar, not matplotlib's mathtext
