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


def test_count_rows_by_hand():
    study = _study([{"id": "T1", "type": "count", "population": "SAF", "group_var": "TRT01A",
                     "rows": [{"label": "Any", "where": {"SUBTHFL": "Y"}}]}])
    ard = run_analyses(_adam(), study)
    assert ard_value(ard, "n", group="Drug", subgroup="Any") == 3          # S0, S1, S3
    assert ard_value(ard, "denom", group="Drug", subgroup="Any") == 4      # S4 untreated
    assert ard_value(ard, "n", group="Placebo", subgroup="Any") == 1
    assert ard_value(ard, "pct", group="Placebo", subgroup="Any") == pytest.approx(100 / 3)


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
