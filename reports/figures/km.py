"""Kaplan-Meier figure: step curves with censor marks, optional confidence bands, a
summary box (HR, p, medians) and a number-at-risk table on the same time axis.

KMunicate-style: large fonts, colour-blind-safe colours, risk table rows labelled and
coloured by arm, placed in an axes that shares the figure column with the plot so the
numbers sit exactly under the time ticks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reports.figures.style import BASE_SIZE, SMALL_SIZE, colour, literal_text, new_figure, to_figure
from reports.model import Figure


@dataclass
class Curve:
    label: str
    time: np.ndarray            # months, ascending
    surv: np.ndarray
    censored: np.ndarray        # bool: a censor mark at this time
    lcl: np.ndarray | None = None
    ucl: np.ndarray | None = None


def _from_origin(curve: Curve) -> tuple[np.ndarray, ...]:
    """Arrays starting at (0, 1): the KM curve is 1 before the first time."""
    t, s = np.asarray(curve.time, float), np.asarray(curve.surv, float)
    lo = None if curve.lcl is None else np.asarray(curve.lcl, float)
    hi = None if curve.ucl is None else np.asarray(curve.ucl, float)
    if t.size == 0 or t[0] > 0:
        t, s = np.r_[0.0, t], np.r_[1.0, s]
        lo = None if lo is None else np.r_[1.0, lo]
        hi = None if hi is None else np.r_[1.0, hi]
    return t, s, lo, hi


@literal_text
def km_plot(curves: list[Curve], *, risk_times: list[float], n_risk: dict[str, list[str]],
            annotation: list[str], ylabel: str, xlabel: str = "Time (months)",
            alt: str = "Kaplan-Meier plot", width_in: float = 10.0,
            height_in: float = 7.0) -> Figure:
    """Draw the curves; ``n_risk[label]`` holds the formatted numbers at ``risk_times``.
    The summary box goes inside the plot where it hides no curve, else in a side panel."""
    note = "\n".join(annotation)
    fig = _draw(curves, risk_times, n_risk, note, ylabel, xlabel, width_in, height_in, outside=False)
    if fig is None:
        side_in = max(len(line) for line in annotation) * SMALL_SIZE * 0.62 / 72 + 0.6
        fig = _draw(curves, risk_times, n_risk, note, ylabel, xlabel, width_in + side_in - 1.0,
                    height_in, outside=True, side_in=side_in)
    return to_figure(fig, alt)


def _draw(curves, risk_times, n_risk, note, ylabel, xlabel, width_in, height_in, *, outside,
          side_in=0.0):
    """The figure, or None when ``note`` fits nowhere inside the plot (and not ``outside``)."""
    show_risk = bool(risk_times) and any(n_risk.values())
    fig = new_figure(width_in, height_in, layout="constrained")
    heights = [4.6, 0.3 + 0.28 * len(curves)] if show_risk else [1]
    widths = [width_in - side_in, side_in] if outside else [1]
    grid = fig.add_gridspec(len(heights), len(widths), height_ratios=heights, width_ratios=widths)
    ax = fig.add_subplot(grid[0, 0])
    risk_ax = fig.add_subplot(grid[1, 0]) if show_risk else None    # before measuring the layout
    xmax = max([max(risk_times, default=0.0)] + [float(np.max(c.time)) for c in curves if len(c.time)])
    for i, curve in enumerate(curves):
        t, s, lo, hi = _from_origin(curve)
        col = colour(i)
        ax.step(t, s, where="post", color=col, lw=2.4, label=curve.label)
        if lo is not None and hi is not None:
            ax.fill_between(t, lo, hi, step="post", color=col, alpha=0.12, lw=0)
        cens = np.asarray(curve.censored, bool)
        ax.plot(np.asarray(curve.time, float)[cens], np.asarray(curve.surv, float)[cens],
                ls="none", marker="|", ms=9, mew=1.4, color=col)
    ax.plot([], [], ls="none", marker="|", ms=9, mew=1.4, color="0.3", label="Censored")
    if not any(len(c.time) for c in curves):
        ax.text(0.5, 0.5, "No curve rows (method 'km-curve') in the ARD for this analysis",
                transform=ax.transAxes, ha="center", va="center", fontsize=BASE_SIZE, color="#b00020")
    ax.set_ylim(0, 1.02)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_xlim(0, xmax * 1.02 if xmax > 0 else 1)
    if risk_times:
        ax.set_xticks(risk_times)
        ax.set_xticklabels([f"{t:g}" for t in risk_times])
    ax.set_xlabel(xlabel, fontsize=BASE_SIZE)
    ax.set_ylabel(ylabel, fontsize=BASE_SIZE)
    ax.tick_params(labelsize=BASE_SIZE)
    ax.grid(axis="y", color="0.9")
    ax.spines[["top", "right"]].set_visible(False)
    legend = {"fontsize": SMALL_SIZE, "frameon": True, "framealpha": 0.9, "edgecolor": "0.8"}
    if outside:
        side = fig.add_subplot(grid[0, 1])
        side.set_axis_off()
        _note(side, note, (0.0, 1.0, "left", "top"))
        side.legend(*ax.get_legend_handles_labels(), loc="lower left", **legend)
    else:
        if note and not _place_note(fig, ax, note, curves):
            return None
        ax.legend(loc="best", **legend)
    if show_risk:
        _risk_table(risk_ax, curves, risk_times, n_risk, ax.get_xlim())
    return fig


# candidate anchors (axes fraction) for the summary box, in order of preference
NOTE_SPOTS = [(0.02, 0.03, "left", "bottom"), (0.98, 0.03, "right", "bottom"),
              (0.98, 0.80, "right", "top"), (0.40, 0.03, "left", "bottom"),
              (0.98, 0.55, "right", "top")]


def _covered(ax, bbox, curves: list[Curve]) -> int:
    """How many points of the step curves (sampled along x) fall inside a display bbox."""
    x0, x1 = ax.get_xlim()
    grid = np.linspace(x0, x1, 500)
    hits = 0
    for curve in curves:
        t, s, _, _ = _from_origin(curve)
        y = s[np.clip(np.searchsorted(t, grid, side="right") - 1, 0, len(s) - 1)]
        pts = ax.transData.transform(np.column_stack([grid, y]))
        hits += int(np.sum((pts[:, 0] >= bbox.x0) & (pts[:, 0] <= bbox.x1)
                           & (pts[:, 1] >= bbox.y0) & (pts[:, 1] <= bbox.y1)))
    return hits


def _place_note(fig, ax, text: str, curves: list[Curve]) -> bool:
    """Put the summary box at the first spot where it hides no curve (the legend, placed
    afterwards with ``loc='best'``, avoids texts by itself); False when there is none."""
    renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()
    for spot in NOTE_SPOTS:
        note = _note(ax, text, spot)
        if _covered(ax, note.get_window_extent(renderer).padded(0.25 * fig.dpi), curves) == 0:
            return True
        note.remove()
    return False


def _note(ax, text: str, spot):
    x, y, ha, va = spot
    return ax.text(x, y, text, transform=ax.transAxes, fontsize=SMALL_SIZE, ha=ha, va=va,
                   family="DejaVu Sans Mono", linespacing=1.35, multialignment="left",
                   bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "0.6"})


def _risk_table(ax, curves, risk_times, n_risk, xlim) -> None:
    ax.set_xlim(*xlim)
    ax.set_ylim(len(curves) - 0.5, -0.5)
    for i, curve in enumerate(curves):
        for t, text in zip(risk_times, n_risk.get(curve.label, [])):
            ax.text(t, i, text, ha="center", va="center", fontsize=SMALL_SIZE, color=colour(i))
    ax.set_yticks(range(len(curves)))
    ax.set_yticklabels([c.label for c in curves], fontsize=SMALL_SIZE)
    for i, tick in enumerate(ax.get_yticklabels()):
        tick.set_color(colour(i))
    ax.set_xticks([])
    ax.tick_params(left=False, pad=34)      # clear of the numbers centred on time 0
    ax.spines[:].set_visible(False)
    ax.set_title("Number at risk", loc="left", fontsize=SMALL_SIZE, fontweight="bold")
