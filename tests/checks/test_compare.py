"""PROC COMPARE-style dataset comparison on small hand-built datasets whose differences
are known by construction."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from adam.errors import UsageError
from adam.metadata import Dataset, Variable
from checks.compare import compare_datasets


def base() -> Dataset:
    frame = pd.DataFrame({
        "USUBJID": ["S-1", "S-1", "S-2", "S-2", "S-3", "S-3"],
        "PARAMCD": ["OS", "PFS"] * 3,
        "AVAL": [100.0, 50.0, 365.0, 200.0, 12.0, 12.0],
        "CNSR": [0.0, 0.0, 1.0, 0.0, 1.0, 1.0],
        "ADT": pd.to_datetime(["2020-04-10", "2020-02-19", "2021-01-01", "2020-07-19",
                               "2020-01-12", "2020-01-12"]),
        "EVNTDESC": ["DEATH", "PD", "LAST KNOWN ALIVE", "PD", "RANDOMIZATION",
                     "RANDOMIZATION"],
    })
    variables = [Variable("USUBJID", "Unique Subject Identifier", "Char", 20),
                 Variable("PARAMCD", "Parameter Code", "Char", 8),
                 Variable("AVAL", "Analysis Value", "Num", 8),
                 Variable("CNSR", "Censor", "Num", 8),
                 Variable("ADT", "Analysis Date", "Num", 8, "DATE9."),
                 Variable("EVNTDESC", "Event or Censoring Description", "Char", 40)]
    return Dataset("ADTTE", frame, "Time-to-Event Analysis Dataset", variables)


def copy_of(ds: Dataset, frame: pd.DataFrame | None = None) -> Dataset:
    variables = [replace(v) for v in ds.variables]
    return Dataset(ds.name, (frame if frame is not None else ds.frame).copy(), ds.label,
                   variables)


KEYS = ["USUBJID", "PARAMCD"]


def test_identical_datasets_have_no_differences():
    result = compare_datasets(base(), copy_of(base()), KEYS)
    assert result.n_differences == 0 and result.identical
    assert "All values compared are exactly equal" in result.summary_text()


def test_three_values_and_one_label_are_exactly_four_differences():
    frame = base().frame.copy()
    frame.loc[1, "AVAL"] = 51.0                          # S-1 PFS
    frame.loc[4, "EVNTDESC"] = "DEATH"                   # S-3 OS
    frame.loc[3, "ADT"] = pd.Timestamp("2020-07-20")     # S-2 PFS, one day later
    compare = copy_of(base(), frame)
    compare.meta["CNSR"].label = "Censoring flag"
    result = compare_datasets(base(), compare, KEYS)
    assert result.n_differences == 4
    got = {(r.USUBJID, r.PARAMCD, r.VARIABLE): (r.BASE, r.COMPARE, r.DIFF)
           for r in result.value_diffs.itertuples()}
    assert got.keys() == {("S-1", "PFS", "AVAL"), ("S-3", "OS", "EVNTDESC"),
                          ("S-2", "PFS", "ADT")}
    assert got[("S-1", "PFS", "AVAL")][2] == 1.0
    assert got[("S-2", "PFS", "ADT")][2] == 1.0          # dates differ by one day
    assert np.isnan(got[("S-3", "OS", "EVNTDESC")][2])
    assert result.metadata_diffs.values.tolist() == [
        ["CNSR", "label", "Censor", "Censoring flag"]]
    assert result.n_obs_unequal == 3
    text = result.summary_text()
    for section in ("Data Set Summary", "Variables Summary", "Observation Summary",
                    "Values Comparison Summary", "Variables with Unequal Values",
                    "Value Comparison Results for Variables"):
        assert section in text
    assert "Number of Observations with Some Compared Variables Unequal: 3." in text
    assert "Total Number of Values which Compare Unequal: 3." in text


def test_numeric_tolerance():
    frame = base().frame.copy()
    frame.loc[0, "AVAL"] = 100.0 + 1e-12
    frame.loc[2, "AVAL"] = 365.001
    assert compare_datasets(base(), copy_of(base(), frame), KEYS).n_differences == 1
    assert compare_datasets(base(), copy_of(base(), frame), KEYS,
                            abs_tol=0).n_differences == 2
    assert compare_datasets(base(), copy_of(base(), frame), KEYS, abs_tol=0,
                            rel_tol=1e-5).n_differences == 0


def test_dates_compare_as_sas_numbers_with_their_fraction():
    """Issue 21 item 2: a DATE value 13:45 into the same calendar day is another SAS number
    (days + 0.573): PROC COMPARE reports it, and so does compare (it used to call the two
    equal)."""
    frame = base().frame.copy()
    frame.loc[0, "ADT"] = base().frame.loc[0, "ADT"] + pd.Timedelta(hours=13, minutes=45)
    result = compare_datasets(base(), copy_of(base(), frame), KEYS)
    assert result.n_differences == 1
    assert result.listing("ADT")["DIFF"].iloc[0] == pytest.approx((13 * 60 + 45) / 1440, abs=1e-9)
    frame.loc[0, "ADT"] = base().frame.loc[0, "ADT"] + pd.Timedelta(milliseconds=1)
    assert compare_datasets(base(), copy_of(base(), frame), KEYS).n_differences == 1
    assert compare_datasets(base(), copy_of(base(), base().frame.copy()), KEYS).n_differences == 0


def test_missing_values_equal_and_unequal():
    b = base()
    frame = b.frame.copy()
    frame.loc[0, "AVAL"] = np.nan
    frame.loc[1, "EVNTDESC"] = np.nan
    b2 = copy_of(b, frame)
    assert compare_datasets(b2, copy_of(b2), KEYS).n_differences == 0
    result = compare_datasets(b, b2, KEYS)
    assert sorted(result.value_diffs.VARIABLE) == ["AVAL", "EVNTDESC"]


def test_observations_and_variables_only_in_one():
    b = base()
    frame = b.frame.drop(index=[2]).drop(columns=["CNSR"])
    extra = pd.DataFrame({"USUBJID": ["S-9"], "PARAMCD": ["OS"], "AVAL": [5.0],
                          "ADT": pd.to_datetime(["2020-01-05"]), "EVNTDESC": ["DEATH"]})
    frame = pd.concat([frame, extra], ignore_index=True).assign(SRCDOM="ADSL")
    compare = Dataset("ADTTE", frame, b.label,
                      [v for v in b.variables if v.name != "CNSR"]
                      + [Variable("SRCDOM", "Source Data", "Char", 8)])
    result = compare_datasets(b, compare, KEYS)
    assert result.vars_only_base == ["CNSR"] and result.vars_only_compare == ["SRCDOM"]
    assert result.obs_only_base.values.tolist() == [["S-2", "OS", 3]]
    assert result.obs_only_compare.values.tolist() == [["S-9", "OS", 6]]
    assert result.n_differences == 4
    text = result.summary_text()
    assert "Number of Observations in BASE but not in COMPARE: 1." in text
    assert "Number of Variables in COMPARE but not in BASE: 1." in text


def test_conflicting_type_is_metadata_not_values():
    b = base()
    frame = b.frame.assign(CNSR=b.frame["CNSR"].map({0.0: "0", 1.0: "1"}))
    compare = Dataset("ADTTE", frame, b.label,
                      [v if v.name != "CNSR" else Variable("CNSR", "Censor", "Char", 1)
                       for v in b.variables])
    result = compare_datasets(b, compare, KEYS)
    assert {(r.VARIABLE, r.ATTRIBUTE) for r in result.metadata_diffs.itertuples()} == {
        ("CNSR", "type"), ("CNSR", "length")}
    assert result.value_diffs.empty
    assert "Number of Variables with Conflicting Types: 1." in result.summary_text()


def test_format_length_and_dataset_label_differences():
    compare = copy_of(base())
    compare.meta["ADT"].format = "E8601DA."
    compare.meta["PARAMCD"].length = 20
    compare.label = "TTE"
    result = compare_datasets(base(), compare, KEYS)
    assert sorted(map(tuple, result.metadata_diffs[["VARIABLE", "ATTRIBUTE"]].values)) == [
        ("(dataset)", "label"), ("ADT", "format"), ("PARAMCD", "length")]


def test_bad_keys_are_usage_errors():
    with pytest.raises(UsageError, match="no key variable AVISIT"):
        compare_datasets(base(), base(), ["USUBJID", "AVISIT"])
    with pytest.raises(UsageError, match="record 2"):
        compare_datasets(base(), base(), ["USUBJID"])


def test_write_html_escapes_values(tmp_path):
    frame = base().frame.copy()
    frame.loc[0, "EVNTDESC"] = "<script>alert(1)</script>"
    result = compare_datasets(base(), copy_of(base(), frame), KEYS)
    path = result.write_html(tmp_path / "compare.html")
    html = path.read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "1 difference." in html


def test_datetimes_compare_in_seconds_and_list_as_datetimes():
    b = base()
    frame = b.frame.assign(ADTM=pd.to_datetime(["2020-04-10 08:00:00"] * 6))
    variables = b.variables + [Variable("ADTM", "Analysis Datetime", "Num", 8, "DATETIME20.")]
    one = Dataset("ADTTE", frame, b.label, variables)
    changed = frame.copy()
    changed.loc[5, "ADTM"] = pd.Timestamp("2020-04-10 08:01:30")
    changed.loc[0, "ADT"] = pd.NaT
    result = compare_datasets(one, Dataset("ADTTE", changed, b.label,
                                           [replace(v) for v in variables]), KEYS)
    rows = {r.VARIABLE: r for r in result.value_diffs.itertuples()}
    assert rows["ADTM"].DIFF == 90.0
    assert rows["ADTM"].COMPARE == pd.Timestamp("2020-04-10 08:01:30")
    assert rows["ADT"].BASE == pd.Timestamp("2020-04-10") and pd.isna(rows["ADT"].COMPARE)
    assert "2020-04-10T08:01:30" in result.summary_text()
