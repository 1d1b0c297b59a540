"""Forest plot: one line per subgroup level, text columns left and right of a log-scale
hazard-ratio panel with a reference line at 1. Rows with no estimate show ``NE`` and no
point; intervals running off the panel end in an arrow."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from reports.figures.style import SMALL_SIZE, literal_text, new_figure, to_figure
from reports.model import Figure

ROW_IN = 0.34          # height of one row, inches
INK = "#1a1a1a"
POINT = "#0072B2"


@dataclass
class ForestRow:
    left: list[str]                 # first = label, then e.g. n/events per arm
    right: list[str] = field(default_factory=list)   # e.g. HR (95% CI), interaction p
    hr: float = math.nan
    lcl: float = math.nan
    ucl: float = math.nan
    indent: int = 0
    bold: bool = False


def _limits(rows: list[ForestRow]) -> tuple[float, float]:
    vals = np.array([v for r in rows for v in (r.lcl, r.ucl, r.hr) if np.isfinite(v) and v > 0])
    lo = min(0.5, vals.min()) if vals.size else 0.5
    hi = max(2.0, vals.max()) if vals.size else 2.0
    lo, hi = max(lo / 1.15, 0.05), min(hi * 1.15, 20.0)
    return lo, hi


@literal_text
def forest_plot(rows: list[ForestRow], *, left_headers: list[str], right_headers: list[str],
                favours: tuple[str, str], left_widths: list[float], right_widths: list[float],
                xlabel: str = "Hazard ratio (95% CI), log scale", alt: str = "Forest plot",
                width_in: float = 13.0) -> Figure:
    n = len(rows)
    height_in = 1.7 + ROW_IN * (n + 1.5)
    fig = new_figure(width_in, height_in)
    ratios = list(left_widths) + [3.2] + list(right_widths)
    axes = fig.subplots(1, len(ratios), gridspec_kw={"width_ratios": ratios, "wspace": 0.04})
    fig.subplots_adjust(left=0.01, right=0.99, top=1 - 0.25 / height_in, bottom=1.15 / height_in)
    k = len(left_widths)
    plot_ax = axes[k]
    ylim = (n - 0.5, -1.6)
    for j, ax in enumerate(axes):
        ax.set_ylim(*ylim)
        if j == k:
            continue
        ax.set_axis_off()
        header = left_headers[j] if j < k else right_headers[j - k - 1]
        centred = j > 0
        ax.text(0.5 if centred else 0.0, -1.0, header, ha="center" if centred else "left",
                va="center", fontsize=SMALL_SIZE, fontweight="bold", color=INK)
        for i, row in enumerate(rows):
            cells = row.left if j < k else row.right
            col = j if j < k else j - k - 1
            if col >= len(cells) or not cells[col]:
                continue
            x = 0.5 if centred else 0.03 * row.indent
            ax.text(x, i, cells[col], ha="center" if centred else "left", va="center",
                    fontsize=SMALL_SIZE, color=INK, fontweight="bold" if (row.bold and not centred) else None)
    _panel(plot_ax, rows, favours, xlabel)
    return to_figure(fig, alt)


def _panel(ax, rows: list[ForestRow], favours: tuple[str, str], xlabel: str) -> None:
    lo, hi = _limits(rows)
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ticks = [t for t in (0.1, 0.25, 0.5, 1, 2, 4, 8) if lo <= t <= hi]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.axvline(1.0, color="0.35", lw=1.2)
    for i, row in enumerate(rows):
        if not (np.isfinite(row.hr) and row.hr > 0):
            continue
        left = row.lcl if np.isfinite(row.lcl) else lo
        right = row.ucl if np.isfinite(row.ucl) else hi
        ax.plot([max(left, lo), min(right, hi)], [i, i], color=INK, lw=1.6)
        if left < lo:
            ax.plot(lo, i, marker="<", color=INK, ms=7)
        if right > hi:
            ax.plot(hi, i, marker=">", color=INK, ms=7)
        if lo <= row.hr <= hi:
            ax.plot(row.hr, i, marker="D" if row.bold else "s", color=POINT, ms=8)
    ax.set_yticks([])
    ax.spines[["left", "right", "top"]].set_visible(False)
    ax.tick_params(labelsize=SMALL_SIZE)
    ax.set_xlabel(xlabel, fontsize=SMALL_SIZE)
    for text, dx, align in (("\u2190 " + favours[0], -6, "right"), (favours[1] + " \u2192", 6, "left")):
        ax.annotate(text, xy=(1.0, 0.0), xycoords=("data", "axes fraction"), xytext=(dx, -44),
                    textcoords="offset points", ha=align, va="top", fontsize=SMALL_SIZE)
