"""The analysis runner: ARD rows from a study's analyses (counts by hand, structure,
filters). The statistics themselves are tested against R in tests/stats."""

import numpy as np
import pandas as pd
import pytest

from adam.analysis import default_reference, run_analyses, select, tte_rows
from adam.ard import ard_value
from adam.errors import UsageError
from adam.metadata import Dataset
from adam.study import Study


def _adam():
    adsl = pd.DataFrame({
        "USUBJID": [f"S{i}" for i in range(8)],
        "TRT01P": ["Drug"] * 5 + ["Placebo"] * 3,
        "TRT01A": ["Drug"] * 4 + [np.nan] + ["Placebo"] * 3,
        "ITTFL": ["Y"] * 8,
        "SAFFL": ["Y"] * 4 + ["N"] + ["Y"] * 3,
        "SUBTHFL": ["Y", "Y", np.nan, "Y", np.nan, "Y", np.nan, np.nan],
        "SEX": ["M", "F", "F", "M", "M", "F", "F", np.nan],
        "AGE": [50.0, 60, 70, 80, 55, 65, 75, 85],
        "STRAT1R": ["a", "b"] * 4,
    })
    adtte = pd.DataFrame({
        "USUBJID": adsl["USUBJID"], "PARAMCD": "OS",
        "AVAL": [5.0, 10, 15, 20, 25, 8, 12, 30], "CNSR": [0, 1, 0, 0, 1, 0, 0, 1],
        "TRT01P": adsl["TRT01P"],
    })
    return {"adsl": Dataset("ADSL", adsl), "adtte": Dataset("ADTTE", adtte)}


def _study(analyses):
    return Study(name="t", studyid="T-1", path=None, treatment={"var": "TRT01P", "ref": "Placebo"},
                 analyses=analyses)


@pytest.mark.smoke
def test_count_rows_by_hand():
    study = _study([{"id": "T1", "type": "count", "population": "SAF", "group_var": "TRT01A",
                     "rows": [{"label": "Any", "where": {"SUBTHFL": "Y"}}]}])
    ard = run_analyses(_adam(), study)
    assert ard_value(ard, "n", group="Drug", subgroup="Any") == 3          # S0, S1, S3
    assert ard_value(ard, "denom", group="Drug", subgroup="Any") == 4      # S4 untreated
    assert ard_value(ard, "n", group="Placebo", subgroup="Any") == 1
    assert ard_value(ard, "pct", group="Placebo", subgroup="Any") == pytest.approx(100 / 3)


@pytest.mark.smoke
def test_tte_rows_structure_and_counts():
    study = _study([{"id": "OS", "type": "tte", "paramcd": "OS", "population": "ITT",
                     "strata": ["STRAT1R"], "risk_months": [0], "curve": True}])
    ard = run_analyses(_adam(), study)
    assert ard_value(ard, "n", method="km", group="Drug") == 5
    assert ard_value(ard, "n_events", method="km", group="Drug") == 3
    assert ard_value(ard, "n_events", method="km", group="Placebo") == 2
    # Placebo: events at 8, 12, censored at 30 -> S drops to 1/3 at 12: median 12
    assert ard_value(ard, "median", method="km", group="Placebo") == 12
    assert ard_value(ard, "n_risk", method="km", group="Drug", timepoint=0) == 5
    hr = ard_value(ard, "hr", method="cox", group="Drug vs Placebo")
    assert hr > 0 and np.isfinite(hr)
    assert (ard.loc[ard.method == "logrank", "options"] == "strata=STRAT1R").all()
    assert set(ard["method"]) == {"km", "km-curve", "revkm", "logrank", "cox"}


def test_where_filters_and_missing_variable():
    frame = _adam()["adsl"].frame
    assert len(select(frame, {"SEX": ["M", "F"]}, "x")) == 7
    assert len(select(frame, {"SEX": "<missing>"}, "x")) == 1
    with pytest.raises(UsageError, match="names variable 'NOPE'"):
        select(frame, {"NOPE": "Y"}, "x")


def test_reference_defaults_to_placebo_like_else_last():
    assert default_reference(["A", "Placebo", "Z"]) == "Placebo"
    assert default_reference(["A", "B"]) == "B"


def test_global_logrank_for_three_arms():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"AVAL": rng.integers(1, 100, 60).astype(float),
                          "CNSR": rng.integers(0, 2, 60), "ARM": np.repeat(["A", "B", "Placebo"], 20)})
    rows = pd.DataFrame(tte_rows(frame, study_id="S", analysis_id="X", paramcd="P", population="",
                                 trt_var="ARM", ref=None, methods=("logrank",)))
    assert set(rows["group"]) == {"A vs B vs Placebo", "A vs Placebo", "B vs Placebo"}
    assert rows.loc[(rows.group == "A vs B vs Placebo") & (rows.stat_name == "df"), "stat_value"].item() == 2


def test_subgroup_rows():
    adam = _adam()
    adam["adtte"].frame["SEX"] = adam["adsl"].frame["SEX"]
    study = _study([{"id": "SG", "type": "subgroup", "paramcd": "OS", "population": "ITT",
                     "subgroups": ["SEX"]}])
    ard = run_analyses(adam, study)
    # SEX missing for S7 -> left out; F: Drug S1, S2 (1 event: S2), Placebo S5, S6 (2 events)
    assert ard_value(ard, "n", subgroup_var="SEX", subgroup="F", group="Drug") == 2
    assert ard_value(ard, "n_events", subgroup_var="SEX", subgroup="F", group="Drug") == 1
    assert ard_value(ard, "n_events", subgroup_var="SEX", subgroup="F", group="Placebo") == 2
    # M: Placebo has no subject -> HR not estimable -> empty
    assert np.isnan(ard_value(ard, "hr", subgroup_var="SEX", subgroup="M", method="cox"))
    assert "p_interaction" in set(ard["stat_name"])


def test_analysis_variables_names_what_the_analyses_read_and_validates_first():
    """The variables of every analysis (population flag, where, strata, subgroups, rows),
    and a UsageError, not a TypeError, for a key of the wrong type."""
    from adam.analysis import analysis_variables

    study = _study([{"id": "A", "type": "subgroup", "paramcd": "OS", "population": "ITT",
                     "strata": ["STRAT1R"], "subgroups": ["AGEGR1"]},
                    {"id": "B", "type": "count", "rows": [{"label": "Dead", "where": {"DTHFL": "Y"}}]}])
    assert {"ITTFL", "STRAT1R", "AGEGR1", "DTHFL", "TRT01P", "AVAL", "CNSR"} <= analysis_variables(study)
    assert "DTHFL" not in analysis_variables(study, only=["A"])
    with pytest.raises(UsageError, match="'strata' has the wrong type"):
        analysis_variables(_study([{"id": "A", "type": "tte", "paramcd": "OS", "strata": 5}]))


def _no_events_in_drug():
    adam = _adam()
    adam["adtte"].frame["CNSR"] = np.where(adam["adtte"].frame["TRT01P"] == "Drug", 1, 0)
    return adam


def test_not_estimable_hr_is_empty_with_a_warning_finding():
    """Drug has no events: a monotone likelihood. HR, CI, log HR, SE and Wald p empty, score
    and LR p kept, one warning finding naming the analysis and the contrast."""
    from adam.findings import Finding

    found: list[Finding] = []
    study = _study([{"id": "OS", "type": "tte", "paramcd": "OS", "population": "ITT"}])
    ard = run_analyses(_no_events_in_drug(), study, findings=found)
    cox = ard[ard["method"] == "cox"].set_index("stat_name")["stat_value"]
    assert cox[["hr", "hr_lcl", "hr_ucl", "log_hr", "se_log_hr", "p_value"]].isna().all()
    assert cox[["p_score", "p_lr"]].between(0, 1).all()
    assert [(f.severity, f.rule_id, f.variable) for f in found] == [("warning", "HR-NOT-ESTIMABLE", "TRT01P")]
    assert "OS" in found[0].message and "Drug vs Placebo" in found[0].message
    assert "monotone likelihood" in found[0].message
    assert not run_analyses(_adam(), study, findings=(fine := [])).empty and fine == []


def test_weighted_cox_result_uses_the_same_notion():
    from adam.stats.cox import CoxPH
    from adam.stats.weighting import WeightedCoxResult

    fit = CoxPH().fit([1, 2, 3, 4, 5, 6], np.ones(6), [0, 0, 0, 1, 1, 1.0])  # deaths in order of x
    assert not fit.estimable[0]
    assert all(np.isnan(v) for v in WeightedCoxResult(fit, pd.DataFrame()).stats().values())


def _three_arms():
    rng = np.random.default_rng(5)
    n = 90
    adtte = pd.DataFrame({"USUBJID": [f"S{i}" for i in range(n)], "PARAMCD": "OS",
                          "AVAL": rng.exponential(100, n).round() + 1, "CNSR": rng.integers(0, 2, n),
                          "TRT01P": np.repeat(["High", "Low", "Placebo"], n // 3),
                          "STRAT1R": np.tile(["a", "b"], n // 2)})
    return {"adtte": Dataset("ADTTE", adtte)}


@pytest.mark.parametrize("how", ["pairwise", "joint"])
def test_three_arm_contrasts_option_and_spec_key(how):
    """The ``contrasts`` of each contrast row; with ``joint`` one model (the R comparison is
    in tests/stats/test_logrank_cox.py and tests/cli/test_analyze_contracts.py)."""
    from adam.stats.cox import cox_treatment

    spec = {"id": "OS", "type": "tte", "paramcd": "OS", "strata": ["STRAT1R"], "methods": ["logrank", "cox"]}
    if how == "joint":
        spec["contrasts"] = "joint"
    adam = _three_arms()
    ard = run_analyses(adam, _study([spec]))
    contrast = ard[ard["group"].isin(["High vs Placebo", "Low vs Placebo"])]
    assert set(contrast.loc[contrast.method == "cox", "options"]) == {
        f"alpha=0.05;contrasts={how};strata=STRAT1R;ties=efron"}
    assert set(contrast.loc[contrast.method == "logrank", "options"]) == {"contrasts=pairwise;strata=STRAT1R"}
    frame = adam["adtte"].frame
    sel = frame["TRT01P"] != "Low" if how == "pairwise" else np.ones(len(frame), bool)
    fit = cox_treatment(frame["AVAL"][sel], 1 - frame["CNSR"][sel], frame["TRT01P"][sel], ref="Placebo",
                        strata=frame["STRAT1R"][sel])
    assert ard_value(ard, "log_hr", method="cox", group="High vs Placebo") == pytest.approx(
        fit.stats("High")["log_hr"], rel=1e-12)
    everyone = ard[(ard.method == "cox") & (ard.group == "High vs Low vs Placebo")]
    assert (set(everyone["stat_name"]) == {"p_score", "p_lr"}) == (how == "joint")
    two_arms = run_analyses(_adam(), _study([{"id": "OS", "type": "tte", "paramcd": "OS", "contrasts": "joint"}]))
    assert "contrasts" not in "".join(two_arms["options"])         # two arms: one model either way
    overridden = run_analyses(adam, _study([spec]), contrasts="pairwise")
    assert "contrasts=joint" not in "".join(overridden["options"])


def test_contrasts_key_is_validated():
    with pytest.raises(UsageError, match="contrasts must be pairwise or joint"):
        run_analyses(_adam(), _study([{"id": "OS", "type": "tte", "paramcd": "OS", "contrasts": "all"}]))


def _lung_adam(arm_var: str, labels: dict):
    """lung (tests/fixtures/r) as an ADTTE: AVAL = ``months`` or ``time``, TRT01P from ``arm_var``."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent / "stats"))
    from stats_reference import REFERENCE, dataset

    lung = dataset("lung")
    adtte = pd.DataFrame({"USUBJID": [f"S{i}" for i in range(len(lung))], "PARAMCD": "OS",
                          "AVAL": lung["months"] if arm_var == "sex" else lung["time"],
                          "CNSR": 1 - lung["status"], "TRT01P": lung[arm_var].map(labels),
                          "SEXR": lung["sex"].astype(str)})
    return {"adtte": Dataset("ADTTE", adtte)}, REFERENCE["zph"]


@pytest.mark.parametrize("transform", ["km", "rank"])
def test_ph_test_rows_are_cox_zph(transform):
    """``ph_test``: method ``zph`` rows for the contrast equal to R
    ``cox.zph(coxph(Surv(months, status) ~ I(sex == 2), lung2), transform=)`` GLOBAL."""
    adam, cases = _lung_adam("sex", {1: "Male", 2: "Female"})
    case = next(c for c in cases if c["name"] == "months_sex" and c["ties"] == "efron"
                and c["transform"] == transform)
    spec = {"id": "OS", "type": "tte", "paramcd": "OS", "methods": ["km"],
            "ph_test": True if transform == "km" else transform}
    study = Study(name="t", studyid="T-1", path=None, treatment={"var": "TRT01P", "ref": "Male"},
                  analyses=[spec])
    ard = run_analyses(adam, study)
    zph = ard[ard["method"] == "zph"]
    assert set(zph["group"]) == {"Female vs Male"} and "cox" not in set(ard["method"])
    assert set(zph["options"]) == {f"ties=efron;transform={transform}"}
    got = zph.set_index("stat_name")["stat_value"]
    assert got["chisq"] == pytest.approx(case["chisq"][-1], rel=1e-6)
    assert got["p_value"] == pytest.approx(case["p"][-1], rel=1e-6)
    assert got["df"] == 1


@pytest.mark.parametrize("how", ["pairwise", "joint"])
def test_ph_test_rows_of_three_arms(how):
    """Joint: one ``zph`` row of the model of all arms (R ``cox.zph(coxph(... ~ factor(arm3)
    + strata(sex)))`` GLOBAL, 2 df); pairwise: one per contrast, each on its two arms."""
    adam, cases = _lung_adam("arm3", {0: "A0", 1: "A1", 2: "A2"})
    case = next(c for c in cases if c["name"] == "arm3_strata_sex" and c["ties"] == "efron")
    spec = {"id": "OS", "type": "tte", "paramcd": "OS", "methods": ["cox"], "strata": ["SEXR"],
            "ph_test": True, "contrasts": how}
    study = Study(name="t", studyid="T-1", path=None, treatment={"var": "TRT01P", "ref": "A0"},
                  analyses=[spec])
    zph = run_analyses(adam, study).query("method == 'zph'")
    if how == "joint":
        assert set(zph["group"]) == {"A1 vs A2 vs A0"}
        assert set(zph["options"]) == {"contrasts=joint;strata=SEXR;ties=efron;transform=km"}
        got = zph.set_index("stat_name")["stat_value"]
        assert [got["chisq"], got["p_value"]] == pytest.approx([case["chisq"][-1], case["p"][-1]], rel=1e-6)
        assert got["df"] == 2
    else:
        assert list(dict.fromkeys(zph["group"])) == ["A1 vs A0", "A2 vs A0"]
        assert (zph.loc[zph.stat_name == "df", "stat_value"] == 1).all()


def test_ph_test_key_is_validated():
    for value, message in (("loglog", "ph_test must be true, false or a transform"),
                           (1, "'ph_test' has the wrong type")):
        with pytest.raises(UsageError, match=message):
            run_analyses(_adam(), _study([{"id": "OS", "type": "tte", "paramcd": "OS", "ph_test": value}]))
    off = run_analyses(_adam(), _study([{"id": "OS", "type": "tte", "paramcd": "OS", "ph_test": False}]))
    assert "zph" not in set(off["method"])
