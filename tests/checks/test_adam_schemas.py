"""ADaM pandera models and validate_adam: one passing and one failing case per rule."""

import numpy as np
import pandas as pd
import pytest

from adam.metadata import Dataset
from checks.schemas.adam import validate_adam

NA = np.nan
D = pd.to_datetime


def adsl(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({
        "STUDYID": ["S1"] * 3, "USUBJID": ["S1-01", "S1-02", "S1-03"], "SUBJID": ["01", "02", "03"],
        "SITEID": ["001"] * 3, "AGE": [64.0, 71.0, 58.0], "AGEU": ["YEARS"] * 3,
        "SEX": ["M", "F", "F"], "RACE": ["WHITE", "ASIAN", "WHITE"],
        "ARM": ["Ixazomib", "Placebo", "Placebo"], "ACTARM": ["Ixazomib", "Placebo", "Placebo"],
        "TRT01P": ["Ixazomib", "Placebo", "Placebo"], "TRT01PN": [1.0, 2.0, 2.0],
        "ITTFL": ["Y", "Y", "Y"], "SAFFL": ["Y", "Y", "N"], "DTHFL": ["Y", NA, NA],
        "NLPIFL": ["Y", "N", NA], "RANDDT": D(["2019-01-02", "2019-01-05", "2019-02-01"]),
        "DTHDT": D(["2020-03-01", None, None])})
    return _change(frame, changes)


def adtte(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({
        "STUDYID": ["S1"] * 4, "USUBJID": ["S1-01", "S1-02", "S1-01", "S1-02"],
        "PARAMCD": ["OS", "OS", "PFS", "PFS"],
        "PARAM": ["Overall Survival (days)"] * 2 + ["Progression-Free Survival (days)"] * 2,
        "STARTDT": D(["2019-01-02", "2019-01-05", "2019-01-02", "2019-01-05"]),
        "ADT": D(["2020-03-01", "2020-06-30", "2019-09-01", "2019-01-05"]),
        "AVAL": [425.0, 543.0, 243.0, 1.0], "CNSR": [0.0, 1.0, 0.0, 1.0],
        "EVNTDESC": ["DEATH", NA, "PD", NA], "CNSDTDSC": [NA, "LAST KNOWN ALIVE", NA, "RANDOMIZATION"]})
    return _change(frame, changes)


def adae(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({
        "STUDYID": ["S1"] * 2, "USUBJID": ["S1-01", "S1-02"], "AESEQ": [1.0, 1.0],
        "AETERM": ["NAUSEA", "RASH"], "AEDECOD": ["Nausea", "Rash"], "TRTA": ["Ixazomib", "Placebo"],
        "ASTDT": D(["2019-02-01", "2019-03-01"]), "AENDT": D(["2019-02-03", None]),
        "TRTEMFL": ["Y", NA]})
    return _change(frame, changes)


def _change(frame, changes):
    for name, value in changes.items():
        if isinstance(value, dict):
            for row, v in value.items():
                frame.loc[row, name] = v
        else:
            frame[name] = value
    return frame


def run(**frames):
    frames.setdefault("adsl", adsl())
    return validate_adam(frames)


def hits(findings, rule_id):
    return [(f.dataset, f.record, f.variable, f.severity) for f in findings if f.rule_id == rule_id]


def test_clean_datasets_have_no_findings():
    assert run(adtte=adtte(), adae=adae()) == []


def test_accepts_dataset_objects():
    assert validate_adam({"adsl": Dataset("ADSL", adsl()), "adtte": Dataset("ADTTE", adtte())}) == []


def test_one_record_per_subject_in_adsl():
    findings = run(adsl=adsl(USUBJID=["S1-01", "S1-02", "S1-02"]))
    assert hits(findings, "ADAM-KEY-UNIQUE") == [("ADSL", 3, "STUDYID, USUBJID", "error")]


def test_required_variable_missing_is_one_error():
    findings = run(adsl=adsl().drop(columns="TRT01P"))
    assert hits(findings, "ADAM-REQ-VAR") == [("ADSL", None, "TRT01P", "error")]
    assert len(findings) == 1


def test_actarm_absent_is_a_warning_for_adamig_1_0_datasets():
    findings = run(adsl=adsl().drop(columns="ACTARM"))
    assert hits(findings, "ADAM-EXP-VAR") == [("ADSL", None, "ACTARM", "warning")]


def test_unique_usubjid_paramcd_in_adtte():
    findings = run(adtte=adtte(PARAMCD={2: "OS"}, PARAM={2: "Overall Survival (days)"}))
    assert hits(findings, "ADAM-KEY-UNIQUE") == [("ADTTE", 3, "STUDYID, USUBJID, PARAMCD", "error")]


def test_cnsr_is_a_whole_number_at_least_zero():
    assert run(adtte=adtte(CNSR=[0, 1, 2, 0])) == []  # integer dtype and other censoring codes
    findings = run(adtte=adtte(CNSR=[0.0, -1.0, 0.5, NA]))
    assert hits(findings, "ADAM-ADTTE-CNSR-INTEGER") == [("ADTTE", 2, "CNSR", "error"),
                                                         ("ADTTE", 3, "CNSR", "error")]
    assert hits(findings, "ADAM-REQ-NULL") == [("ADTTE", 4, "CNSR", "error")]


def test_aval_not_negative():
    assert run(adtte=adtte(AVAL={0: 0.0})) == []
    assert hits(run(adtte=adtte(AVAL={0: -3.0})), "ADAM-ADTTE-AVAL-RANGE") == [
        ("ADTTE", 1, "AVAL", "error")]


def test_adt_not_before_startdt():
    findings = run(adtte=adtte(ADT={1: D("2019-01-04")}))
    found = [f for f in findings if f.rule_id == "ADAM-ADTTE-ADT-GE-STARTDT"]
    assert [(f.record, f.value, f.usubjid) for f in found] == [(2, "2019-01-04", "S1-02")]
    assert "ADT 2019-01-04 is before STARTDT 2019-01-05" in found[0].message


def test_param_one_to_one_with_paramcd():
    findings = run(adtte=adtte(PARAM={1: "Overall survival"}))
    assert hits(findings, "ADAM-PARAM-PARAMCD") == [("ADTTE", 1, "PARAMCD", "error"),
                                                    ("ADTTE", 2, "PARAMCD", "error")]
    findings = run(adtte=adtte(PARAMCD={3: "PFS2"}))  # one PARAM, two PARAMCDs
    assert [r for _, r, _, _ in hits(findings, "ADAM-PARAM-PARAMCD")] == [3, 4]


def test_dates_are_datetime64():
    findings = run(adtte=adtte(ADT=["2020-03-01", "2020-06-30", "2019-09-01", "2019-01-05"]))
    assert hits(findings, "ADAM-VAR-TYPE") == [("ADTTE", None, "ADT", "error")]
    findings = run(adsl=adsl(TRTSDT=[17000.0, 17001.0, NA]))  # a SAS number, not a date
    assert hits(findings, "ADAM-VAR-TYPE") == [("ADSL", None, "TRTSDT", "error")]


def test_flags_are_y_n_or_blank():
    findings = run(adsl=adsl(NLPIFL={2: "YES"}, STPIFL=["Y", "y", NA]))
    assert sorted(hits(findings, "ADAM-ADSL-NLPIFL-CT") + hits(findings, "ADAM-ADSL-STPIFL-CT")) == [
        ("ADSL", 2, "STPIFL", "warning"), ("ADSL", 3, "NLPIFL", "warning")]


def test_population_flags_are_y_or_n_never_blank():
    findings = run(adsl=adsl(ITTFL=["Y", NA, "N"]))
    assert hits(findings, "ADAM-REQ-NULL") == [("ADSL", 2, "ITTFL", "error")]


def test_subjects_in_adsl():
    findings = run(adtte=adtte(USUBJID={3: "S1-99"}), adae=adae(USUBJID={0: "S1-98"}))
    assert sorted(hits(findings, "ADAM-USUBJID-IN-ADSL")) == [("ADAE", 1, "USUBJID", "error"),
                                                              ("ADTTE", 4, "USUBJID", "error")]


def test_no_adsl_is_one_error():
    findings = validate_adam({"adtte": adtte()})
    assert [f.rule_id for f in findings] == ["ADAM-ADSL-PRESENT"]


def test_adae_keys_and_dates():
    findings = run(adae=adae(AESEQ=[1.0, 1.0], USUBJID=["S1-01", "S1-01"]))
    assert hits(findings, "ADAM-KEY-UNIQUE") == [("ADAE", 2, "STUDYID, USUBJID, AESEQ", "error")]
    findings = run(adae=adae(AENDT=D(["2019-01-31", None])))
    assert hits(findings, "ADAM-ADAE-AENDT-GE-ASTDT") == [("ADAE", 1, "AENDT", "warning")]


@pytest.mark.parametrize("frame", [
    pd.DataFrame(), adtte().iloc[:0],
    pd.DataFrame({"USUBJID": ["S1-01"], "CNSR": ["x"], "ADT": [1]}),
    adtte(PARAM=[["a"], ["b"], ["c"], ["d"]], USUBJID=[["x"]] * 4)])
def test_bad_data_gives_findings_never_a_traceback(frame):
    findings = run(adtte=frame)
    assert all(f.dataset in ("ADTTE", "ADSL") for f in findings)
