"""Footnotes and wording a reviewer accepts (issue 18 part 4), from the ARD and the study
specification: strata named, endpoints defined, IPCW/MSM methods as the ARD options say,
post-randomization subsets without p-values, the KM axis ending with the patients at risk,
'1 month'."""

from __future__ import annotations

import numpy as np
import pytest

from adam.study import load_study
from reports import fmt
from reports.programs import PROGRAMS
from reports.programs.km import _risk

LABELS = {"STRAT1R": "induction regimen", "STRAT2R": "ISS stage", "STRAT3R": "response after transplant"}
ENDPOINTS = {"TTNT": "time to next-line therapy, randomization to next line or death due to PD.",
             "OS": "overall survival."}


@pytest.fixture
def build(mm3_specs, new_study):
    def _build(ard, output_id, **changes):
        spec = dict(mm3_specs[output_id], **changes)
        study = new_study([spec])
        study.labels, study.endpoints = LABELS, ENDPOINTS
        return PROGRAMS[spec["program"]].build(ard, study, spec)
    return _build


def test_km_footnotes_name_the_strata_and_define_the_endpoint(ard_mm3, build):
    notes = " ".join(build(ard_mm3, "fig4").footnotes)
    assert ("Cox model stratified by induction regimen, ISS stage and response after transplant, "
            "Efron method for ties") in notes
    assert "p-value: log-rank test stratified by induction regimen, ISS stage and response after transplant." in notes
    assert "TTNT: time to next-line therapy" in notes and "OS: overall survival." not in notes
    assert "stratified when the analysis names strata" not in notes


def test_efficacy_footnote_discloses_switching_methods_from_the_ard_options(ard_mm3, build):
    ard = ard_mm3.copy()
    ard.loc[ard.analysis_id == "OS-IPCW", "options"] = "n_boot=100;period_months=3;ties=efron"
    ard.loc[ard.analysis_id == "OS-MSM", "options"] = "n_boot=0;period_months=3;ties=efron"
    notes = " ".join(build(ard, "s5").footnotes)
    assert "IPCW: unstratified Cox model with inverse probability of censoring weights" in notes
    assert "95% CI from 100 bootstrap replicates" in notes
    assert "MSM: unstratified marginal structural Cox model" in notes and "robust (sandwich) variance" in notes
    assert "patients resampled)" in notes and "seed" not in notes
    ard.loc[ard.analysis_id == "OS-IPCW", "options"] = "n_boot=250;period_months=3;seed=202400"
    assert ("95% CI from 250 bootstrap replicates (patients resampled, random seed 202400)"
            in " ".join(build(ard, "s5").footnotes))
    assert "OS: overall survival." in notes and "TTNT: time to next-line therapy" in notes


def test_post_randomization_subset_shows_no_p_value(ard_mm3, build):
    display = build(ard_mm3, "fig6", p_values=False)
    assert not [r for r in display.tables[0].rows if "log-rank" in r.cells[0]]
    notes = " ".join(display.footnotes)
    assert "No p-value is shown" in notes and "log-rank test" not in notes
    with_p = build(ard_mm3, "fig2")
    assert [r for r in with_p.tables[0].rows if "log-rank" in r.cells[0]]


PRESPECIFIED = ["OS-PRIMARY", "PFS", "TTNT", "PFS2", "OS-IPCW", "OS-MSM"]
NEXT_LINE = ["OS-NEXTLINE-PI", "OS-NEXTLINE-NOPI"]


def test_efficacy_table_gives_p_values_of_the_listed_analyses_only(ard_mm3, build):
    """The report quotes p-values for OS, PFS, TTNT, PFS2, MSM and IPCW, not for the
    next-line subsets (patients selected after randomization)."""
    display = build(ard_mm3, "s5", analysis_ids=PRESPECIFIED + NEXT_LINE, p_values=PRESPECIFIED)
    rows = display.tables[0].rows
    section, p_by_section = "", {}
    for r in rows:
        if r.bold:
            section = r.cells[0]
        elif r.cells[-1]:
            p_by_section.setdefault(section, []).append(r.cells[-1])
    assert p_by_section["Overall survival"] == ["0.850"]
    assert p_by_section["Overall survival, IPCW sensitivity analysis"] == ["0.676"]
    assert p_by_section["Overall survival, marginal structural model"] == ["0.904"]
    assert not any(s.startswith("Overall survival, next-line") for s in p_by_section)
    hrs = [r.cells[-2] for r in rows if r.cells[0].startswith("Cox HR")]
    assert "0.794 (0.523, 1.206)" in hrs and "1.310 (0.901, 1.904)" in hrs     # HRs still shown
    assert ("No p-value is given for overall survival, next-line therapy including a PI and overall "
            "survival, next-line therapy without a PI") in " ".join(display.footnotes)
    everything = build(ard_mm3, "s5", analysis_ids=PRESPECIFIED + NEXT_LINE)
    assert "No p-value is given" not in " ".join(everything.footnotes)
    with pytest.raises(Exception, match="p_values names analyses it does not list: OS-OTHER"):
        build(ard_mm3, "s5", analysis_ids=PRESPECIFIED, p_values=["OS-OTHER"])


@pytest.mark.parametrize("name", ["tourmaline-mm3", "tourmaline-mm4"])
def test_twin_specs_label_next_line_figures_as_selected_after_randomization(name):
    study = load_study(name)
    figs = [o for o in study.outputs if o.get("analysis_id") in ("OS-NEXTLINE-PI", "OS-NEXTLINE-NOPI")]
    assert len(figs) == 2
    for out in figs:
        assert out["p_values"] is False
        assert "selected after randomization" in out["population"] and out["population"] != "ITT"
    summary = next(o for o in study.outputs if o["program"] == "efficacy")
    assert sorted(summary["p_values"]) == sorted(PRESPECIFIED)
    assert set(study.endpoints) >= {"OS", "PFS", "TTNT", "PFS2"}
    strata = next(a for a in study.analyses if a["id"] == "OS-PRIMARY")["strata"]
    assert all(s in study.labels for s in strata)


def test_risk_table_stops_at_the_last_time_with_patients_at_risk(ard_mm3):
    rows = ard_mm3[ard_mm3.analysis_id == "OS-PRIMARY"].copy()
    risk = (rows.method == "km") & (rows.stat_name == "n_risk")
    last = rows.loc[risk, "timepoint"].max()
    times, table = _risk(rows, ["Ixazomib", "Placebo"], "months")
    assert times[-1] == pytest.approx(last / fmt.DAYS_PER_MONTH, abs=0.05)
    rows.loc[risk & np.isclose(rows.timepoint, last), "stat_value"] = 0.0          # nobody left
    times0, table0 = _risk(rows, ["Ixazomib", "Placebo"], "months")
    assert times0 == times[:-1] and all(len(v) == len(times0) for v in table0.values())


def test_risk_table_shows_the_risk_times_not_the_estimate_times():
    """KM estimates at 3 and 6 months, risk table every 2 months (the pharmaverse-onco
    layout): the risk table and axis ticks are 0, 2, 4 (6 and 8: nobody left), never 3."""
    import pandas as pd
    from adam.analysis import tte_rows
    from adam.ard import ard_frame
    from reports.render import normalise_ard
    month = fmt.DAYS_PER_MONTH
    aval = np.array([20, 45, 70, 95, 100, 130, 150, 160, 40, 80, 110, 140, 170, 175, 30, 90], float)
    frame = pd.DataFrame({"AVAL": aval, "CNSR": [0, 1] * 8, "TRT01P": ["A"] * 8 + ["B"] * 8})
    rows = normalise_ard(ard_frame(tte_rows(frame, study_id="S", analysis_id="PFS", paramcd="PFS",
                                            population="ITT", trt_var="TRT01P", ref="B",
                                            timepoints=[3 * month, 6 * month],
                                            risk_times=[m * month for m in (0, 2, 4, 6, 8)])))
    flagged = rows[rows.options.str.contains("risk_table=Y")]
    assert set(flagged.stat_name) == {"n_risk"} and sorted(set(flagged.timepoint / month)) == [0, 2, 4, 6, 8]
    assert (rows[(rows.stat_name == "surv")].timepoint / month).round(6).tolist() == [3, 6, 3, 6]
    times, table = _risk(rows, ["A", "B"], "months")
    assert times == [0.0, 2.0, 4.0]
    assert table == {"A": ["8", "6", "3"], "B": ["8", "6", "3"]}     # AVAL >= 60.9 and >= 121.8 days


def test_one_month_is_singular():
    assert fmt.amount("1", "months") == "1 month" and fmt.amount("12", "months") == "12 months"
    assert fmt.amount("1", "days") == "1 day"


def test_baseline_decodes_codes_and_puts_missing_last(ard_mm3, mm3_specs, new_study):
    from adam.ard import ard_frame, ard_rows
    import pandas as pd
    kw = dict(study="TOURMALINE-MM3", analysis_id="BASELINE", population="ITT", group_var="TRT01P",
              method="count")
    rows = []
    for var, level in [("SEX", "Missing"), ("SEX", "F"), ("SEX", "M"),
                       ("RACE", "Missing"), ("RACE", "BLACK OR AFRICAN AMERICAN"), ("RACE", "WHITE")]:
        rows += ard_rows({"n": 1, "pct": 50.0, "denom": 2}, **kw, group="Ixazomib", subgroup_var=var, subgroup=level)
    ard = ard_frame(rows)
    spec = dict(mm3_specs["s1"])
    table = PROGRAMS["baseline"].build(ard, new_study([spec]), spec).tables[0]
    labels = [r.cells[0] for r in table.rows]
    assert labels == ["Sex", "Female", "Male", "Missing", "Race", "Black or African American", "White", "Missing"]


def test_baseline_analysis_orders_missing_last():
    import pandas as pd
    from adam.analysis import run_analyses
    from adam.metadata import Dataset
    import types
    adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"], "TRT01P": ["A", "A", "B"], "ITTFL": ["Y"] * 3,
                         "RACE": ["WHITE", None, "ASIAN"]}).astype(object)
    study = load_study("tourmaline-mm3")
    study.analyses = [{"id": "BASELINE", "type": "baseline", "population": "ITT", "categorical": ["RACE"]}]
    study.treatment = {"var": "TRT01P", "ref": "B"}
    ard = run_analyses({"adsl": Dataset("ADSL", adsl)}, study)
    levels = list(pd.unique(ard[ard.group == "Total"]["subgroup"]))
    assert levels == ["ASIAN", "WHITE", "Missing"]


def test_forest_marks_the_exploratory_subgroups(ard_mm3, build):
    """tourmaline.md: the prespecified OS subgroups are age, ISS, response, cytogenetic risk
    and induction; MRD status at entry is exploratory: its heading and a footnote say so."""
    display = build(ard_mm3, "fig3", exploratory=["MRDGR1"])
    headings = [r.cells[0] for r in display.tables[0].rows if r.bold]
    assert "MRD status at study entry (exploratory)" in headings
    assert not [h for h in headings if h != "MRD status at study entry (exploratory)" and "exploratory" in h]
    assert ("Exploratory subgroups (not prespecified): MRD status at study entry; their interaction "
            "p-values are descriptive.") in display.footnotes
    plain = build(ard_mm3, "fig3")
    assert not [n for n in plain.footnotes if "xploratory" in n]
    with pytest.raises(Exception, match="exploratory names variables without subgroups .*: FRAILGR1"):
        build(ard_mm3, "fig3", exploratory=["FRAILGR1"])


@pytest.mark.parametrize("name, expected", [("tourmaline-mm3", ["MRDGR1"]),
                                            ("tourmaline-mm4", ["MRDGR1", "FRAILGR1"])])
def test_twin_forest_plots_name_the_exploratory_subgroups(name, expected):
    forest = next(o for o in load_study(name).outputs if o["program"] == "forest")
    assert forest["exploratory"] == expected and "prespecified" not in forest["title"]
