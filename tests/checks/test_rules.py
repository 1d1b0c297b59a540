"""ADaM conformance rules: a clean hand-built ADSL + ADTTE passes every rule; each rule
has a failing case, and single injected defects are reported with the right rule ID,
record, subject and value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adam.metadata import Dataset, Variable
from checks.rules import RULES, check_adam_rules, rules_table

D = pd.Timestamp


def make_adsl() -> Dataset:
    frame = pd.DataFrame({
        "STUDYID": ["S1"] * 4,
        "USUBJID": ["S1-001", "S1-002", "S1-003", "S1-004"],
        "SUBJID": ["001", "002", "003", "004"],
        "SITEID": ["10", "10", "20", "20"],
        "AGE": [55.0, 62.0, 70.0, 48.0],
        "AGEU": ["YEARS"] * 4,
        "SEX": ["M", "F", "F", "M"],
        "RACE": ["WHITE", "ASIAN", "WHITE", "WHITE"],
        "ARM": ["Ixazomib", "Placebo", "Ixazomib", "Placebo"],
        "TRT01P": ["Ixazomib", "Placebo", "Ixazomib", "Placebo"],
        "TRT01PN": [1.0, 2.0, 1.0, 2.0],
        "ITTFL": ["Y", "Y", "Y", "Y"],
        "SAFFL": ["Y", "Y", "N", "Y"],
        "DTHFL": ["Y", np.nan, np.nan, np.nan],
        "RANDDT": [D("2020-01-01"), D("2020-02-01"), D("2020-03-01"), D("2020-04-01")],
    })
    labels = {"STUDYID": "Study Identifier", "USUBJID": "Unique Subject Identifier",
              "SUBJID": "Subject Identifier for the Study", "SITEID": "Study Site Identifier",
              "AGE": "Age", "AGEU": "Age Units", "SEX": "Sex", "RACE": "Race",
              "ARM": "Description of Planned Arm", "TRT01P": "Planned Treatment for Period 01",
              "TRT01PN": "Planned Treatment for Period 01 (N)",
              "ITTFL": "Intent-To-Treat Population Flag", "SAFFL": "Safety Population Flag",
              "DTHFL": "Subject Death Flag", "RANDDT": "Date of Randomization"}
    return _dataset("ADSL", frame, labels, "Subject-Level Analysis Dataset")


def make_adtte() -> Dataset:
    start = [D("2020-01-01"), D("2020-02-01"), D("2020-03-01"), D("2020-04-01")]
    os_adt = [D("2020-06-30"), D("2021-02-01"), D("2020-03-01"), D("2020-12-31")]
    pfs_adt = [D("2020-05-01"), D("2020-09-15"), D("2020-03-01"), D("2020-07-04")]
    adt = os_adt + pfs_adt
    frame = pd.DataFrame({
        "STUDYID": ["S1"] * 8,
        "USUBJID": ["S1-001", "S1-002", "S1-003", "S1-004"] * 2,
        "TRT01P": ["Ixazomib", "Placebo", "Ixazomib", "Placebo"] * 2,
        "PARAMCD": ["OS"] * 4 + ["PFS"] * 4,
        "PARAM": ["Overall Survival (days)"] * 4 + ["Progression-Free Survival (days)"] * 4,
        "STARTDT": start * 2,
        "ADT": adt,
        "ADTF": [np.nan, "D", np.nan, np.nan, "M", np.nan, np.nan, np.nan],
        "CNSR": [0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0],
        "EVNTDESC": ["DEATH", "LAST KNOWN ALIVE", "RANDOMIZATION", "LAST KNOWN ALIVE",
                     "PD", "PD", "RANDOMIZATION", "LAST ASSESSMENT"],
    })
    # AVAL = ADT - STARTDT + 1, computed independently with Python dates
    frame["AVAL"] = [float((a.date() - s.date()).days + 1) for a, s in zip(adt, start * 2)]
    labels = {"STUDYID": "Study Identifier", "USUBJID": "Unique Subject Identifier",
              "TRT01P": "Planned Treatment for Period 01", "PARAMCD": "Parameter Code",
              "PARAM": "Parameter", "STARTDT": "Time-to-Event Origin Date for Subject",
              "ADT": "Analysis Date", "ADTF": "Analysis Date Imputation Flag",
              "CNSR": "Censor", "EVNTDESC": "Event or Censoring Description",
              "AVAL": "Analysis Value"}
    return _dataset("ADTTE", frame, labels, "Time-to-Event Analysis Dataset")


def _dataset(name, frame, labels, label) -> Dataset:
    variables = []
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            variables.append(Variable(col, labels[col], "Num", 8, "DATE9."))
        elif pd.api.types.is_numeric_dtype(s):
            variables.append(Variable(col, labels[col], "Num", 8))
        else:
            variables.append(Variable(col, labels[col], "Char", 200))
    return Dataset(name, frame, label, variables)


def study(adsl=None, adtte=None) -> dict:
    return {"adsl": adsl or make_adsl(), "adtte": adtte or make_adtte()}


def edit(ds: Dataset, row: int, var: str, value) -> Dataset:
    frame = ds.frame.copy()
    frame[var] = frame[var].astype(object) if isinstance(value, str) else frame[var]
    frame.loc[row, var] = value
    return ds.with_frame(frame)


def by_rule(findings, rule_id):
    return [f for f in findings if f.rule_id == rule_id]


# ----------------------------------------------------------------------------- clean
def test_clean_adam_has_no_findings():
    assert check_adam_rules(study()) == []


def test_rule_ids_are_unique_and_declared():
    ids = [r.rule_id for r in RULES]
    assert len(ids) == len(set(ids))
    assert all(r.severity in ("error", "warning", "note") for r in RULES)
    assert {"AD0054", "AD0047", "AD0256", "AD0143", "AD0141", "AD0142", "AD0169",
            "AD0016", "AD0013"} <= {r.p21_id for r in RULES}
    table = rules_table()
    assert table["rule_id"].tolist() == ids
    assert table.set_index("rule_id").loc["ADSL-001", "p21_id"] == "AD0054"


# ------------------------------------------------------------------ injected defects
def test_duplicate_subject_in_adsl():
    adsl = make_adsl()
    frame = pd.concat([adsl.frame, adsl.frame.iloc[[1]]], ignore_index=True)
    found = by_rule(check_adam_rules(study(adsl=adsl.with_frame(frame))), "ADSL-001")
    assert [(f.record, f.usubjid, f.variable) for f in found] == [(5, "S1-002", "USUBJID")]
    assert "AD0054" in found[0].message and found[0].dataset == "ADSL"


def test_cnsr_not_integer():
    found = check_adam_rules(study(adtte=edit(make_adtte(), 2, "CNSR", 2.5)))
    assert [(f.rule_id, f.record, f.usubjid, f.value) for f in found] == [
        ("TTE-002", 3, "S1-003", "2.5")]


def test_negative_and_missing_cnsr():
    adtte = edit(edit(make_adtte(), 0, "CNSR", -1.0), 5, "CNSR", np.nan)
    found = by_rule(check_adam_rules(study(adtte=adtte)), "TTE-002")
    assert [f.record for f in found] == [1, 6]


def test_adt_before_startdt():
    adtte = edit(make_adtte(), 3, "ADT", D("2020-03-31"))
    found = check_adam_rules(study(adtte=adtte))
    before = by_rule(found, "TTE-003")
    assert [(f.record, f.usubjid, f.variable, f.value) for f in before] == [
        (4, "S1-004", "ADT", "2020-03-31")]
    # AVAL was not recomputed, so it no longer equals ADT - STARTDT + 1 either
    assert [f.record for f in by_rule(found, "TTE-004")] == [4]


def test_aval_inconsistent_with_dates():
    found = check_adam_rules(study(adtte=edit(make_adtte(), 6, "AVAL", 2.0)))
    assert [(f.rule_id, f.record, f.value) for f in found] == [("TTE-004", 7, "2")]


def test_label_over_40_characters():
    adtte = make_adtte()
    adtte.meta["EVNTDESC"].label = "Event or Censoring Description, in full words"
    found = check_adam_rules(study(adtte=adtte))
    assert [(f.rule_id, f.dataset, f.variable, f.record) for f in found] == [
        ("ADAM-013", "ADTTE", "EVNTDESC", None)]
    assert "AD0016" in found[0].message


@pytest.mark.parametrize("coded", [False, True])
def test_value_over_200_bytes(coded):
    """A value an XPT v5 file cannot hold (Dataset-JSON can): 201 bytes, or 101 two-byte
    characters; 200 bytes pass. Text held as categoricals is judged alike."""
    adtte = edit(edit(edit(make_adtte(), 1, "EVNTDESC", "x" * 201), 4, "EVNTDESC", "\u00e9" * 101),
                 5, "EVNTDESC", "y" * 200)
    adtte.frame.loc[6, "EVNTDESC"] = 12.5          # not text (another rule's finding): no length
    if coded:
        adtte = adtte.with_coded_text()
    found = check_adam_rules(study(adtte=adtte))
    assert [(f.rule_id, f.variable, f.record, f.usubjid) for f in found] == [
        ("ADAM-018", "EVNTDESC", 2, "S1-002"), ("ADAM-018", "EVNTDESC", 5, "S1-001")]
    assert "more than 200 bytes in utf-8" in found[0].message and found[0].severity == "error"


def test_param_with_two_paramcds():
    adtte = edit(make_adtte(), 2, "PARAMCD", "OS2")
    found = check_adam_rules(study(adtte=adtte))
    assert [(f.rule_id, f.record, f.value) for f in found] == [("BDS-003", 3, "OS2")]


def test_paramcd_with_two_params():
    adtte = edit(make_adtte(), 5, "PARAM", "PFS by investigator")
    found = check_adam_rules(study(adtte=adtte))
    assert [(f.rule_id, f.record, f.value) for f in found] == [
        ("BDS-002", 6, "PFS by investigator")]


def test_subject_missing_from_adsl():
    adsl = make_adsl()
    adsl = adsl.with_frame(adsl.frame.iloc[[0, 1, 3]].reset_index(drop=True))
    found = check_adam_rules(study(adsl=adsl))
    assert [(f.rule_id, f.record, f.usubjid) for f in found] == [
        ("ADAM-004", 3, "S1-003"), ("ADAM-004", 7, "S1-003")]


# --------------------------------------------------------------- one case per rule
def test_required_adsl_variable_missing():
    adsl = make_adsl()
    adsl = adsl.with_frame(adsl.frame.drop(columns=["AGEU", "TRT01P", "TRT01PN"]))
    found = by_rule(check_adam_rules(study(adsl=adsl)), "ADAM-001")
    assert sorted(f.variable for f in found) == ["AGEU", "TRT01P"]


def test_required_bds_variable_and_value():
    adtte = make_adtte()
    missing = adtte.with_frame(adtte.frame.drop(columns=["PARAM"]))
    assert [f.variable for f in by_rule(check_adam_rules(study(adtte=missing)), "ADAM-002")
            ] == ["PARAM"]
    no_code = adtte.with_frame(adtte.frame.drop(columns=["PARAMCD"]))
    assert [f.variable for f in check_adam_rules(study(adtte=no_code))] == ["PARAMCD"]
    null = edit(adtte, 4, "PARAMCD", np.nan)
    assert [(f.variable, f.record) for f in by_rule(check_adam_rules(study(adtte=null)),
                                                    "ADAM-003")] == [("PARAMCD", 5)]


def test_no_population_flag():
    adsl = make_adsl()
    adsl = adsl.with_frame(adsl.frame.drop(columns=["ITTFL", "SAFFL"]))
    assert len(by_rule(check_adam_rules(study(adsl=adsl)), "ADSL-002")) == 1


def test_paramcd_longer_than_8():
    adtte = make_adtte()
    frame = adtte.frame.copy()
    frame.loc[frame.PARAMCD == "PFS", "PARAMCD"] = "PFSINVEST"
    found = check_adam_rules(study(adtte=adtte.with_frame(frame)))
    assert [(f.rule_id, f.record) for f in found] == [("BDS-001", r) for r in (5, 6, 7, 8)]


def test_treatment_numeric_inconsistent():
    found = check_adam_rules(study(adsl=edit(make_adsl(), 2, "TRT01PN", 2.0)))
    # Ixazomib maps to 1 and 2 once each (first seen wins); 2 maps to Placebo twice
    assert [(f.rule_id, f.variable, f.record, f.value) for f in found] == [
        ("ADAM-005", "TRT01PN", 3, "2"), ("ADAM-005", "TRT01P", 3, "Ixazomib")]


def test_cnsr_absent_in_tte():
    adtte = make_adtte()
    found = check_adam_rules(study(adtte=adtte.with_frame(adtte.frame.drop(columns=["CNSR"]))))
    assert [f.rule_id for f in found] == ["TTE-001"]


def test_date_variable_without_date_format():
    adtte = make_adtte()
    adtte.meta["ADT"].format = "8."
    frame = adtte.frame.copy()
    frame["STARTDT"] = frame["STARTDT"].dt.strftime("%Y-%m-%d")
    bad = Dataset("ADTTE", frame, adtte.label,
                  [v if v.name != "STARTDT" else Variable("STARTDT", v.label, "Char", 10)
                   for v in adtte.variables])
    found = by_rule(check_adam_rules(study(adtte=bad)), "ADAM-006")
    assert sorted((f.variable, f.value) for f in found) == [("ADT", "8."), ("STARTDT", "Char")]


def test_population_flag_values():
    adsl = edit(edit(make_adsl(), 1, "ITTFL", np.nan), 2, "SAFFL", "y")
    found = check_adam_rules(study(adsl=adsl))
    assert [(f.rule_id, f.variable, f.record) for f in found] == [
        ("ADSL-003", "ITTFL", 2), ("ADSL-003", "SAFFL", 3)]


def test_other_flag_values():
    found = check_adam_rules(study(adsl=edit(make_adsl(), 3, "DTHFL", "YES")))
    assert [(f.rule_id, f.variable, f.record, f.value) for f in found] == [
        ("ADAM-009", "DTHFL", 4, "YES")]


def test_record_level_flag_y_or_null():
    adtte = make_adtte()
    frame = adtte.frame.assign(ANL01FL=["Y", "N", "Y", np.nan, "Y", "Y", "Y", "Y"])
    ds = Dataset("ADTTE", frame, adtte.label,
                 adtte.variables + [Variable("ANL01FL", "Analysis Flag 01", "Char", 1)])
    found = check_adam_rules(study(adtte=ds))
    assert [(f.rule_id, f.variable, f.record) for f in found] == [("ADAM-008", "ANL01FL", 2)]


def test_date_imputation_flag_values():
    found = check_adam_rules(study(adtte=edit(make_adtte(), 0, "ADTF", "H")))
    assert [(f.rule_id, f.variable, f.record) for f in found] == [("ADAM-010", "ADTF", 1)]


def test_time_imputation_flag_values():
    adtte = make_adtte()
    frame = adtte.frame.assign(ADTMF=[np.nan, "H", "D"] + [np.nan] * 5)
    ds = Dataset("ADTTE", frame, adtte.label,
                 adtte.variables + [Variable("ADTMF", "Analysis Time Imputation Flag", "Char", 1)])
    found = check_adam_rules(study(adtte=ds))
    assert [(f.rule_id, f.record, f.value) for f in found] == [("ADAM-011", 3, "D")]


def test_label_missing():
    adsl = make_adsl()
    adsl.meta["SITEID"].label = ""
    found = check_adam_rules(study(adsl=adsl))
    assert [(f.rule_id, f.variable, f.severity) for f in found] == [
        ("ADAM-012", "SITEID", "warning")]


def test_variable_name_too_long():
    adtte = make_adtte()
    frame = adtte.frame.assign(EVNTDESCR=adtte.frame["EVNTDESC"])
    ds = Dataset("ADTTE", frame, adtte.label,
                 adtte.variables + [Variable("EVNTDESCR", "Event Description", "Char", 20)])
    found = check_adam_rules(study(adtte=ds))
    assert [(f.rule_id, f.variable) for f in found] == [("ADAM-014", "EVNTDESCR")]


def test_adsl_dataset_label():
    adsl = make_adsl()
    adsl.label = "Subject Level"
    assert [f.rule_id for f in check_adam_rules(study(adsl=adsl))] == ["ADSL-004"]


def test_copied_adsl_variable_differs():
    adtte = edit(make_adtte(), 5, "TRT01P", "Ixazomib")
    found = check_adam_rules(study(adtte=adtte))
    assert [(f.rule_id, f.dataset, f.variable, f.record, f.usubjid, f.value) for f in found] == [
        ("ADAM-015", "ADTTE", "TRT01P", 6, "S1-002", "Ixazomib")]


def test_copied_date_compared_as_date():
    adsl = make_adsl()
    adtte = make_adtte()
    frame = adtte.frame.assign(RANDDT=adtte.frame["STARTDT"])
    ds = Dataset("ADTTE", frame, adtte.label,
                 adtte.variables + [adsl.meta["RANDDT"]])
    assert check_adam_rules(study(adtte=ds)) == []
    frame.loc[0, "RANDDT"] = D("2020-01-02")
    found = check_adam_rules(study(adtte=ds.with_frame(frame)))
    assert [(f.rule_id, f.record, f.value) for f in found] == [("ADAM-015", 1, "2020-01-02")]


def test_vectorized_on_many_subjects():
    """100,000 subjects with one defect each in two rules: found exactly, quickly."""
    n = 100_000
    ids = np.char.add("S-", np.arange(n).astype(str)).astype(object)
    start = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(n) % 300, unit="D")
    adt = start + pd.to_timedelta(np.arange(n) % 500, unit="D")
    frame = pd.DataFrame({"STUDYID": "S", "USUBJID": ids, "PARAMCD": "OS",
                          "PARAM": "Overall Survival", "STARTDT": start, "ADT": adt,
                          "AVAL": (np.arange(n) % 500 + 1).astype(float),
                          "CNSR": (np.arange(n) % 2).astype(float)})
    frame.loc[[10, 99_999], "CNSR"] = 3.5
    labels = dict(zip(frame.columns, ["Study", "Subject", "Code", "Param", "Start",
                                      "Date", "Value", "Censor"]))
    adtte = _dataset("ADTTE", frame, labels, "TTE")
    found = check_adam_rules({"adtte": adtte})
    assert [(f.rule_id, f.record) for f in found] == [("TTE-002", 11), ("TTE-002", 100_000)]


def test_treatment_flag_y_or_null_is_a_warning():
    adtte = make_adtte()
    frame = adtte.frame.assign(ONTRTFL=["Y", "N", np.nan, "Y", "Y", "Y", "Y", "Y"])
    ds = Dataset("ADTTE", frame, adtte.label,
                 adtte.variables + [Variable("ONTRTFL", "On Treatment Record Flag", "Char", 1)])
    found = check_adam_rules(study(adtte=ds))
    assert [(f.rule_id, f.severity, f.variable, f.record) for f in found] == [
        ("ADAM-016", "warning", "ONTRTFL", 2)]


def test_record_level_treatment_matches_adsl_period():
    adtte = make_adtte()
    trtp = ["Ixazomib", "Placebo", "Ixazomib", "Placebo"] * 2
    trtp[6] = "Placebo"                                   # S1-003 planned Ixazomib
    frame = adtte.frame.assign(TRTP=trtp)
    ds = Dataset("ADTTE", frame, adtte.label,
                 adtte.variables + [Variable("TRTP", "Planned Treatment", "Char", 20)])
    found = check_adam_rules(study(adtte=ds))
    assert [(f.rule_id, f.variable, f.record, f.usubjid, f.value) for f in found] == [
        ("ADAM-017", "TRTP", 7, "S1-003", "Placebo")]
    # APERIOD 2 has no TRT02P in ADSL: nothing to compare against
    frame2 = frame.assign(APERIOD=[1.0] * 6 + [2.0, 1.0])
    ds2 = Dataset("ADTTE", frame2, adtte.label,
                  ds.variables + [Variable("APERIOD", "Period", "Num", 8)])
    assert check_adam_rules(study(adtte=ds2)) == []


def test_tte_dates_absent():
    adtte = make_adtte()
    found = check_adam_rules(study(adtte=adtte.with_frame(adtte.frame.drop(columns=["ADT"]))))
    assert [(f.rule_id, f.variable) for f in found] == [("TTE-005", "ADT")]
    assert "AD0245/AD0246" in found[0].message


def test_datetime_variable_needs_datetime_format():
    adtte = make_adtte()
    frame = adtte.frame.assign(ADTM=adtte.frame["ADT"] + pd.Timedelta(hours=9),
                               STARTDTM=adtte.frame["STARTDT"] + pd.Timedelta(hours=8))
    good = [Variable("ADTM", "Analysis Datetime", "Num", 8, "DATETIME20."),
            Variable("STARTDTM", "Time-to-Event Origin Datetime", "Num", 8, "E8601DT19.")]
    ds = Dataset("ADTTE", frame, adtte.label, adtte.variables + good)
    assert check_adam_rules(study(adtte=ds)) == []
    bad = [Variable("ADTM", "Analysis Datetime", "Num", 8, "DATE9."), good[1]]
    ds = Dataset("ADTTE", frame, adtte.label, adtte.variables + bad)
    assert [(f.rule_id, f.variable, f.value) for f in check_adam_rules(study(adtte=ds))] == [
        ("ADAM-007", "ADTM", "DATE9.")]


def _inconsistent_by_groupby(frame, key, dependent):
    """Reference: the most frequent dependent value per key by pandas groupby (ties: the
    pair seen first); rows with another value are inconsistent."""
    both = frame[key].notna() & frame[dependent].notna()
    sub = frame.loc[both, [key, dependent]]
    if sub.empty:
        return []
    counts = sub.groupby([key, dependent], sort=False).size().reset_index(name="n")
    expected = (counts.sort_values("n", ascending=False, kind="stable")
                .drop_duplicates(key).set_index(key)[dependent])
    wrong = sub[dependent].to_numpy() != sub[key].map(expected).to_numpy()
    return list(np.flatnonzero(both.to_numpy())[wrong])


@pytest.mark.parametrize("seed", range(40))
def test_one_to_one_map_breaks_equal_a_groupby_reference(seed):
    from checks.rules import _inconsistent_rows

    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60))
    keys = rng.choice(np.array(["A", "B", "C", None], dtype=object), n)
    values = rng.choice(np.array(["x", "y", np.nan, "z"], dtype=object), n) if seed % 2 \
        else rng.choice(np.array([1.0, 2.0, np.nan]), n)
    frame = pd.DataFrame({"K": keys, "V": values})
    assert list(_inconsistent_rows(frame, "K", "V")) == _inconsistent_by_groupby(frame, "K", "V")


@pytest.mark.parametrize("seed", range(30))
def test_values_copied_from_adsl_compare_as_elementwise_equality(seed):
    """_equal_values (by distinct values) equals the element-wise reference: equal, or
    both missing; rows without an ADSL record never equal."""
    from checks.rules import _equal_values

    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(0, 40)), int(rng.integers(1, 8))
    pool = [np.array(["a", "b", "c ", np.nan], dtype=object), np.array([1.0, 2.0, np.nan, 0.0]),
            np.array(pd.to_datetime(["2020-01-01", "2021-05-02", None]))][seed % 3]
    mine = pd.Series(rng.choice(pool, n))
    theirs = pd.Series(rng.choice(pool, m))
    if seed % 3 == 0:                       # equal text in distinct objects
        theirs = theirs.map(lambda v: "".join(list(v)) if isinstance(v, str) else v)
    at = rng.integers(-1, m, n)
    other = theirs.to_numpy()[np.maximum(at, 0)]
    expected = ((mine.to_numpy() == other) | (pd.isna(mine.to_numpy()) & pd.isna(other))) & (at >= 0)
    assert list(_equal_values(mine, theirs, at)) == list(expected)
