"""Figure geometry: risk table under the time ticks, summary box clear of the curves,
forest plot on a log axis with NE rows drawn without a point."""

import numpy as np

from reports.figures import forest as forest_mod
from reports.figures import km as km_mod
from reports.figures.km import Curve


def _curves():
    t = np.linspace(1, 60, 40)
    return [Curve("A", t, np.exp(-t / 40), np.arange(40) % 5 == 0),
            Curve("B", t, np.exp(-t / 25), np.arange(40) % 7 == 0)]


def _km(note, curves=None):
    curves = curves or _curves()
    times = [0.0, 12.0, 24.0, 36.0, 48.0, 60.0]
    fig = km_mod._draw(curves, times, {"A": ["100", "80", "60", "40", "20", "5"],
                                       "B": ["90", "70", "50", "30", "10", "2"]},
                       "\n".join(note), "Survival", "Time (months)", 10, 7, outside=False)
    return fig, times


def test_risk_numbers_sit_under_the_time_ticks():
    fig, times = _km(["Median: 27.7 vs 17.3"])
    fig.draw_without_rendering()
    plot, risk = fig.axes[0], fig.axes[1]
    tick_x = plot.transData.transform([(t, 0) for t in times])[:, 0]
    for text in risk.texts:
        x = risk.transData.transform(text.get_position())[0]
        assert np.min(np.abs(tick_x - x)) < 0.5, text.get_text()
    assert len(risk.texts) == 12
    assert [t.get_text() for t in risk.get_yticklabels()] == ["A", "B"]


def test_summary_box_hides_no_curve():
    fig, _ = _km(["Median (95% CI), months", "  A  27.7 (20.1, 35.0)", "HR (95% CI): 0.63 (0.5, 0.8)"])
    fig.draw_without_rendering()
    note = [t for t in fig.axes[0].texts if t.get_text().startswith("Median")][0]
    box = note.get_window_extent(fig.canvas.get_renderer())
    assert km_mod._covered(fig.axes[0], box, _curves()) == 0


def test_crowded_plot_moves_the_box_to_a_side_panel():
    flat = [Curve(c, np.linspace(1, 60, 60), np.linspace(1, 0.02, 60), np.zeros(60, bool))
            for c in ("A", "B")] + [Curve("C", np.linspace(1, 60, 60), np.full(60, 0.97), np.zeros(60, bool))]
    note = [f"line {i} " + "x" * 40 for i in range(9)]
    assert _km(note, flat)[0] is None                 # no free spot inside
    fig = km_mod.km_plot(flat, risk_times=[0.0, 30.0, 60.0], n_risk={"A": ["1", "1", "1"]},
                         annotation=note, ylabel="S")
    assert fig.width_in > 10 and fig.png[:4] == b"\x89PNG"


def test_curve_starts_at_one():
    t, s, _, _ = km_mod._from_origin(Curve("A", np.array([3.0]), np.array([0.9]), np.array([False])))
    assert list(t) == [0.0, 3.0] and list(s) == [1.0, 0.9]


def test_forest_log_axis_and_not_estimable_row():
    rows = [forest_mod.ForestRow(["All"], ["1.0"], 1.0, 0.8, 1.25, bold=True),
            forest_mod.ForestRow(["x"], ["NE"]),
            forest_mod.ForestRow(["y"], ["3.0"], 3.0, 0.9, 30.0)]
    figure = forest_mod.forest_plot(rows, left_headers=["Subgroup"], right_headers=["HR"],
                                    favours=("Favours A", "Favours B"), left_widths=[2], right_widths=[1])
    assert figure.png[:4] == b"\x89PNG"
    lo, hi = forest_mod._limits(rows)
    assert lo < 0.8 and hi == 20.0                    # CI beyond 20 is clipped (drawn with an arrow)


def test_missing_curve_rows_are_said_on_the_figure():
    empty = [Curve("A", np.array([]), np.array([]), np.array([], bool))]
    fig = km_mod._draw(empty, [], {}, "", "S", "Time", 10, 7, outside=False)
    assert any("No curve rows" in t.get_text() for t in fig.axes[0].texts)
