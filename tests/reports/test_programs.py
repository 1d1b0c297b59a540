"""TLF programs against published TOURMALINE-MM3 numbers (shared/study/tourmaline.md)."""

import pytest

from adam.errors import UsageError
from adam.ard import parse_options
from reports.figures.consort import BOX_W, box_lines, layout
from reports.programs.consort import tree_of
from reports.programs import PROGRAMS
from reports.render import render_output

# Table 1, MM3 columns, as published (n (%) with one decimal; safety N 394 / 259)
TABLE1 = [[">=1 subsequent anti-cancer therapy", "288 (73.1)", "190 (73.4)"],
          ["Corticosteroids", "263 (66.8)", "169 (65.3)"],
          ["IMiDs", "255 (64.7)", "161 (62.2)"],
          ["PIs", "182 (46.2)", "141 (54.4)"],
          ["Anti-CD38 antibodies", "138 (35.0)", "74 (28.6)"],
          ["Alkylating agents", "105 (26.6)", "71 (27.4)"]]


@pytest.fixture
def build(mm3_specs, new_study):
    def _build(ard, output_id, **changes):
        spec = dict(mm3_specs[output_id], **changes)
        return PROGRAMS[spec["program"]].build(ard, new_study([spec]), spec)
    return _build


def test_table1_matches_published_counts(ard_mm3, build):
    table = build(ard_mm3, "t1").tables[0]
    assert table.columns == ["Therapy class", "Ixazomib (N=394)", "Placebo (N=259)"]
    assert [row.cells for row in table.rows] == TABLE1


def test_km_summary_reads_the_ard(ard_mm3, build):
    display = build(ard_mm3, "fig2")
    cells = {row.cells[0]: row.cells[1:] for row in display.tables[0].rows}
    assert display.tables[0].columns[1:] == ["Ixazomib (N=395)", "Placebo (N=261)"]
    assert cells["Patients with event, n"] == ["144", "93"]
    assert cells["Median (95% CI), months"] == ["NR", "NR"]   # median and limits all empty
    assert cells["Hazard ratio (95% CI) vs Placebo"] == ["1.025 (0.789, 1.332)", ""]
    assert cells["Stratified log-rank p vs Placebo"] == ["0.850", ""]
    assert display.landscape and display.figure.png[:4] == b"\x89PNG"


def test_km_ph_footnote_reads_the_zph_rows(ard_mm3, build):
    """The proportional-hazards footnote only where the ARD has ``zph`` rows for the
    analysis, its p as the ARD has it (hand-built rows; none in the fixture)."""
    import pandas as pd
    from adam.ard import ard_frame, ard_rows

    def zph(p, group="Ixazomib vs Placebo"):
        return ard_rows({"chisq": 3.6, "df": 1, "p_value": p}, study="TOURMALINE-MM3",
                        analysis_id="OS-PRIMARY", paramcd="OS", population="ITT", method="zph",
                        group=group, options={"transform": "km", "ties": "efron"})

    def notes(rows, **changes):
        ard = pd.concat([ard_mm3, ard_frame(rows)], ignore_index=True)
        return [n for n in build(ard, "fig2", **changes).footnotes if n.startswith("Proportional")]

    assert notes([]) == []
    assert notes(zph(0.0561)) == ["Proportional hazards: Grambsch-Therneau test p = 0.056 "
                                  "(transform: Kaplan-Meier)."]
    assert notes(zph(0.0004)) == ["Proportional hazards: Grambsch-Therneau test p <0.001 "
                                  "(transform: Kaplan-Meier)."]
    assert notes(zph(0.0561) + zph(0.5, "Ixazomib vs Other")) == [
        "Proportional hazards: Grambsch-Therneau test p = 0.056 (Ixazomib vs Placebo); "
        "p = 0.500 (Ixazomib vs Other) (transform: Kaplan-Meier)."]
    assert notes(zph(0.0561), p_values=False) == []     # descriptive comparison: no p-value


def test_km_rates_at_fixed_times(ard_mm3, build):
    # fixture: surv(24 months) = (1 - 144/395) ** (24/96) = 0.89283, CI -0.04 / +0.035
    cells = {r.cells[0]: r.cells[1:] for r in build(ard_mm3, "fig2").tables[0].rows}
    assert cells["Kaplan-Meier estimate at 24 months (95% CI), %"] == ["89.3 (85.3, 92.8)",
                                                                       "89.6 (85.6, 93.1)"]
    assert "Kaplan-Meier estimate at 48 months (95% CI), %" in cells


def test_km_medians_in_months(ard_mm3, build):
    cells = {r.cells[0]: r.cells[1:] for r in build(ard_mm3, "fs1").tables[0].rows}
    assert cells["Median (95% CI), months"] == ["26.5 (NE, NE)", "21.3 (NE, NE)"]
    cells = {r.cells[0]: r.cells[1:] for r in build(ard_mm3, "fig5").tables[0].rows}
    assert cells["Median (95% CI), months"] == ["84.0 (NE, NE)", "80.4 (NE, NE)"]


def test_km_risk_table_times_are_the_ard_timepoints_in_months(ard_mm3, build):
    from reports.programs.km import _risk
    rows = ard_mm3[ard_mm3["analysis_id"] == "OS-PRIMARY"]
    times, table = _risk(rows, ["Ixazomib", "Placebo"], "months")
    assert times == [0.0, 12.0, 24.0, 36.0, 48.0, 60.0, 72.0, 84.0, 96.0]
    assert table["Ixazomib"][0] == "395" and table["Placebo"][0] == "261"


def test_pilot_three_arms_unstratified_logrank(ard_pilot, new_study):
    spec = dict(id="ttde", program="km", analysis_id="TTDE", time_unit="days")
    display = PROGRAMS["km"].build(ard_pilot, new_study([spec], "CDISCPILOT01", "CDISC pilot"), spec)
    table = display.tables[0]
    assert table.columns[1:] == ["Placebo (N=86)", "Xanomeline Low Dose (N=84)", "Xanomeline High Dose (N=84)"]
    cells = {r.cells[0]: r.cells[1:] for r in table.rows}
    assert cells["Log-rank p (all arms)"][0] == "<0.001"
    # each arm vs the reference in that arm's column
    assert cells["Hazard ratio (95% CI) vs Placebo"] == ["", "3.900 (2.053, 7.410)", "4.400 (2.316, 8.360)"]
    assert cells["Log-rank p vs Placebo"] == ["", "<0.001", "<0.001"]
    assert cells["Median (95% CI), days"][1] == "40.0 (NE, NE)"


def test_forest_lines_with_not_estimable(ard_mm3, build):
    display = build(ard_mm3, "fig3")
    cells = {r.cells[0]: r.cells[1:] for r in display.tables[0].rows}
    assert cells["All patients"] == ["395 / 144", "261 / 93", "1.025 (0.789, 1.332)", ""]
    assert cells["PI-naive"][2] == "0.746 (0.322, 1.731)"
    assert cells["Negative"] == ["117 / 30", "75 / 24", "0.700 (0.414, 1.184)", ""]
    assert cells["Standard risk"][2] == "NE"
    assert cells["Induction regimen"][3] == "0.412"


def test_efficacy_lists_every_endpoint_and_sensitivity_hr(ard_mm3, build):
    rows = build(ard_mm3, "s5").tables[0].rows
    text = [r.cells for r in rows]
    assert ["Cox HR, Ixazomib vs Placebo", "", "", "0.849 (0.704, 1.022)", ""] in text
    assert ["IPCW HR, Ixazomib vs Placebo", "", "", "0.784 (0.252, 2.446)", "0.676"] in text
    assert ["MSM HR, Ixazomib vs Placebo", "", "", "0.925 (0.261, 3.279)", "0.904"] in text
    assert ["Median follow-up (95% CI), months", "94.4 (NE, NE)", "94.5 (NE, NE)", "", ""] in text
    headings = [r.cells[0] for r in rows if r.bold]
    assert headings[:4] == ["Overall survival", "Progression-free survival", "Time to next-line therapy",
                            "Progression-free survival on next-line therapy (PFS2)"]


def test_baseline_groups_and_percentages(ard_mm3, build):
    table = build(ard_mm3, "s1").tables[0]
    cells = {r.cells[0]: r.cells[1:] for r in table.rows}
    assert table.columns[1:] == ["Ixazomib (N=395)", "Placebo (N=261)"]
    assert cells["Median"] == ["58.0", "60.0"]
    assert cells["Positive"] == ["225 (57.0)", "139 (53.3)"]


def test_consort_layout_from_the_ard_tree(ard_mm3):
    """Boxes, side boxes, listed reasons and the joining box come from the ARD's parent=
    options: 'Not treated' to the side, reasons inside their box, the end-of-study status
    below both treatment outcomes (not hanging from 'Completed 26 cycles')."""
    rows = ard_mm3[(ard_mm3.analysis_id == "DISPOSITION") & (ard_mm3.stat_name == "n")]
    tree = tree_of(rows, ["Ixazomib", "Placebo"])
    boxes, sides = layout(tree)
    level = {p.node.label: p.level for p in boxes}
    assert level == {"Randomized": 0, "Treated": 1, "Completed 26 cycles": 2, "Discontinued treatment": 2,
                     "Status at end of study": 3, "Died": 4, "Discontinued study": 4, "Ongoing in follow-up": 4}
    assert [s.node.label for s in sides[0]] == ["Not treated"]
    assert tree.nodes["Status at end of study"].parents == ["Completed 26 cycles", "Discontinued treatment"]
    assert [n.label for n in tree.listed("Discontinued treatment")][0] == "Discontinued treatment: Progressive disease"
    lines = box_lines(tree, tree.nodes["Discontinued study"], "Placebo", 2.15, "Status at end of study")
    assert lines[:2] == ["Discontinued study", "n = 12"] and "Lost to follow-up:\u00a05" in " ".join(lines)
    assert box_lines(tree, tree.nodes["Treated"], "Placebo", 2.15)[2:] == ["  Received Ixazomib:\u00a01",
                                                                           "  Received Placebo:\u00a0259"]
    positions = sorted((p.level, p.offset) for p in boxes)          # no two boxes of a row overlap
    for (l1, x1), (l2, x2) in zip(positions, positions[1:]):
        assert l1 != l2 or x2 - x1 >= BOX_W


def test_consort_every_box_is_the_sum_of_its_children(ard_mm3, build):
    display = build(ard_mm3, "fig1")
    rows = ard_mm3[(ard_mm3.analysis_id == "DISPOSITION") & (ard_mm3.stat_name == "n")]
    assert_tree_sums(rows)
    cells = {r.cells[0]: r.cells[1:] for r in display.tables[0].rows}
    assert cells["Randomized"] == ["395", "261"] and cells["Discontinued treatment"] == ["194", "151"]
    assert cells["Progressive disease"] == ["144", "121"]            # indented under its box
    notes = " ".join(display.footnotes)
    assert "Ixazomib N = 394, Placebo N = 259" in notes
    assert "1 patient randomized to Placebo received Ixazomib" in notes
    assert "received at least one dose" in notes


def assert_tree_sums(rows) -> None:
    """Each box = the sum of its children per partition; a joining box = the sum of the
    boxes it joins (ARD counts, every arm)."""
    n = rows[rows.group != "Total"].pivot_table(index="subgroup", columns="group", values="stat_value")
    opts = rows.drop_duplicates("subgroup").set_index("subgroup")["options"].map(parse_options)
    kids = {}
    for label, o in opts.items():
        parents = [p for p in o.get("parent", "").split("|") if p]
        if len(parents) == 1:
            kids.setdefault((parents[0], o.get("partition", "")), []).append(label)
        elif parents:
            assert (n.loc[parents].sum() == n.loc[label]).all(), label
    assert kids
    for (parent, _), labels in kids.items():
        assert (n.loc[labels].sum() == n.loc[parent]).all(), (parent, labels)


def test_bad_specs_are_usage_errors(ard_mm3, new_study):
    study = new_study([])
    with pytest.raises(UsageError, match="unknown program"):
        render_output(ard_mm3, study, {"id": "x", "program": "pie", "analysis_id": "OS"}, "now")
    with pytest.raises(UsageError, match="output x: ARD has no rows for analysis_id 'NOPE'"):
        render_output(ard_mm3, study, {"id": "x", "program": "km", "analysis_id": "NOPE"}, "now")
    with pytest.raises(UsageError, match="plain file name"):
        render_output(ard_mm3, study, {"id": "../x", "program": "km", "analysis_id": "OS-PRIMARY"}, "now")
    with pytest.raises(UsageError, match="unknown key"):
        render_output(ard_mm3, study, {"id": "x", "program": "km", "analysis_id": "OS", "colour": 1}, "now")


def test_every_table_row_fills_every_column(ard_mm3, mm3_specs, build):
    for output_id in mm3_specs:
        for table in build(ard_mm3, output_id).tables:
            assert len(table.widths) == len(table.columns), output_id
            bad = [row.cells for row in table.rows if len(row.cells) != len(table.columns)]
            assert not bad, (output_id, bad[:2])


def test_consort_side_boxes_run_on_beside_a_free_row_without_touching_the_next_arrows():
    """The 'Not treated' stack hangs below 'Randomized' and, the 'Treated' row leaving its
    column free, runs on beside it: the gap keeps only its arrow above the next row's, and
    the stack ends above the arrows (bus) into the row after; beside a row that reaches its
    column the whole stack stays in the gap."""
    from reports.figures.consort import BUS, ROW_GAP, _gaps
    row_h, side = [0.5, 1.0, 1.5], {0: [1.4]}
    free, blocked = _gaps(row_h, side, {0: True}), _gaps(row_h, side, {0: False})
    stack = 1.4 + 0.12 + 0.12
    assert blocked[0] == pytest.approx(stack + BUS) and blocked[1:] == [ROW_GAP, ROW_GAP]
    assert free[0] == pytest.approx(0.12 + 0.25 + BUS + 0.1) and free[0] < blocked[0]
    top_of_row2 = row_h[0] + free[0] + row_h[1] + free[1]
    assert row_h[0] + stack <= top_of_row2 - BUS + 1e-12          # clear of the bus into row 2
    tall = _gaps(row_h, {0: [3.0]}, {0: True})                    # taller than the room beside
    assert row_h[0] + 3.0 + 0.24 == pytest.approx(row_h[0] + tall[0] + row_h[1] + tall[1] - BUS)
