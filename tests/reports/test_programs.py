"""TLF programs against published TOURMALINE-MM3 numbers (shared/study/tourmaline.md)."""

import pytest

from adam.errors import UsageError
from reports.figures.consort import Node, classify
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


def test_consort_roles_from_labels():
    c = {"A": "1"}
    labels = ["Randomized", "Treated", "Not treated", "Completed 26 cycles", "Discontinued treatment",
              "Discontinued: Progressive disease", "Discontinued: Adverse event", "Died",
              "Discontinued study: Lost to follow-up", "Discontinued study: Withdrawal by subject",
              "Ongoing in follow-up"]
    flow = classify([Node(label, c) for label in labels])
    assert [b.label for b in flow.boxes] == ["Randomized", "Treated", "Completed 26 cycles",
                                             "Ongoing in follow-up"]
    assert [n.label for n in flow.sides[0]] == ["Not treated"]               # 'Not X' -> into X
    assert [n.label for n in flow.sides[1]] == ["Discontinued treatment"]    # right after its complement
    assert [r.label for r in flow.sides[1][0].reasons] == ["Progressive disease", "Adverse event"]
    study_box = flow.sides[2][1]                                             # made for its reasons
    assert [n.label for n in flow.sides[2]] == ["Died", "Discontinued study"] and study_box.counts == {}
    assert [r.label for r in study_box.reasons] == ["Lost to follow-up", "Withdrawal by subject"]
    moved = classify([Node(label, c) for label in labels], branches={"Died": "Completed 26 cycles"})
    assert [n.label for n in moved.sides[1]] == ["Discontinued treatment", "Died"]


def test_consort_counts(ard_mm3, build):
    table = build(ard_mm3, "fig1").tables[0]
    cells = {r.cells[0]: r.cells[1:] for r in table.rows}
    assert cells["Randomized"] == ["395", "261"]
    assert cells["Discontinued treatment"] == ["194", "151"]


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
