"""SDTM pandera models and check_sdtm: one passing and one failing case per rule, on
small hand-built frames (blank = NaN, numbers float64, as adam.io.read_sdtm gives)."""

import datetime
import itertools
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adam.metadata import Dataset
from checks.schemas.base import is_iso8601
from checks.sdtm import check_sdtm

NA = np.nan


def dm(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({
        "STUDYID": ["S1", "S1", "S1"], "DOMAIN": ["DM"] * 3, "USUBJID": ["S1-01", "S1-02", "S1-03"],
        "SUBJID": ["01", "02", "03"], "RFSTDTC": ["2019-05-01", "2019-05", NA],
        "RFENDTC": ["2020-01-01", NA, NA], "RFXSTDTC": ["2019-05-01", NA, NA],
        "RFXENDTC": [NA, NA, NA], "RFICDTC": ["2019-04-20", "2019-04-21", "2019-04-22"],
        "RFPENDTC": [NA, NA, NA], "DTHDTC": ["2020-01-01", NA, NA], "DTHFL": ["Y", NA, NA],
        "SITEID": ["001", "001", "002"], "AGE": [64.0, 71.0, 58.0], "AGEU": ["YEARS"] * 3,
        "SEX": ["M", "F", "UNDIFFERENTIATED"], "RACE": ["WHITE", "ASIAN", NA],
        "ARMCD": ["A", "B", NA], "ARM": ["Drug", "Placebo", NA], "ACTARMCD": ["A", "B", NA],
        "ACTARM": ["Drug", "Placebo", NA], "COUNTRY": ["USA", "JPN", "USA"]})
    return _change(frame, changes)


def ae(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({
        "STUDYID": ["S1"] * 3, "DOMAIN": ["AE"] * 3, "USUBJID": ["S1-01", "S1-01", "S1-02"],
        "AESEQ": [1.0, 2.0, 1.0], "AETERM": ["HEADACHE", "NAUSEA", "RASH"],
        "AEDECOD": ["Headache", "Nausea", "Rash"], "AEBODSYS": ["NERV", "GI", "SKIN"],
        "AESER": ["N", "Y", "N"], "AEACN": ["DOSE NOT CHANGED", NA, NA], "AEREL": ["NONE"] * 3,
        "AESTDTC": ["2019-06-01", "2019---15", "2019-06-02T10:30"],
        "AEENDTC": ["2019-06-03", NA, "2019-06"]})
    return _change(frame, changes)


def suppae(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({
        "STUDYID": ["S1"] * 2, "RDOMAIN": ["AE"] * 2, "USUBJID": ["S1-01", "S1-02"],
        "IDVAR": ["AESEQ"] * 2, "IDVARVAL": ["2", "1"], "QNAM": ["AETRTEM"] * 2,
        "QLABEL": ["Treatment Emergent Flag"] * 2, "QVAL": ["Y", "N"], "QORIG": ["DERIVED"] * 2,
        "QEVAL": [NA, NA]})
    return _change(frame, changes)


def rs(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({
        "STUDYID": ["S1"] * 2, "DOMAIN": ["RS"] * 2, "USUBJID": ["S1-01", "S1-02"],
        "RSSEQ": [1.0, 1.0], "RSTESTCD": ["OVRLRESP"] * 2, "RSTEST": ["Overall Response"] * 2,
        "RSCAT": ["IMWG"] * 2, "RSORRES": ["VGPR", NA], "RSSTRESC": ["VGPR", NA],
        "RSSTAT": [NA, "NOT DONE"], "RSEVAL": ["INVESTIGATOR"] * 2, "VISITNUM": [3.0, 3.0],
        "RSDTC": ["2019-08-01", "2019-08-02"]})
    return _change(frame, changes)


def _change(frame, changes):
    for name, value in changes.items():
        if value is DROP:
            frame = frame.drop(columns=name)
        elif isinstance(value, dict):  # {row: value}
            for row, v in value.items():
                frame.loc[row, name] = v
        else:
            frame[name] = value
    return frame


DROP = object()


def run(**frames) -> list:
    frames.setdefault("dm", dm())
    return check_sdtm(frames)


def hits(findings, rule_id):
    """(dataset, record, variable, severity) of the findings with ``rule_id``."""
    return [(f.dataset, f.record, f.variable, f.severity) for f in findings if f.rule_id == rule_id]


@pytest.mark.smoke
def test_clean_datasets_have_no_findings():
    assert run(ae=ae(), suppae=suppae(), rs=rs()) == []


def test_accepts_dataset_objects():
    assert check_sdtm({"dm": Dataset("DM", dm()), "ae": Dataset("AE", ae())}) == []


@pytest.mark.smoke
def test_empty_text_counts_as_blank_like_nan():
    """Raw XPT readers give '' for blank text: same findings as with NaN."""
    raw = dm(DTHFL=["Y", "", ""], SEX=["M", "", "F"])
    findings = run(dm=raw)
    assert hits(findings, "SDTM-REQ-NULL") == [("DM", 2, "SEX", "error")]
    assert len(findings) == 1
    assert (raw["SEX"] == "").sum() == 1  # the caller's frame is untouched


def test_empty_text_is_found_whatever_the_cells_hold():
    """Only '' (a str, numpy's too) is empty text; NaN, None, pd.NA, numbers and lists in
    a hostile frame are not, and do not stop the check."""
    from checks.schemas.base import _empty_text

    cells = np.array(["", "A", np.nan, None, pd.NA, [1, 2], np.str_(""), 0.0, " "], dtype=object)
    assert _empty_text(cells).tolist() == [True, False, False, False, False, False, True, False, False]
    assert _empty_text(np.array(["", "B", None], dtype=object)).tolist() == [True, False, False]
    assert _empty_text(np.array([], dtype=object)).tolist() == []


# ------------------------------------------------------------------ variables present
def test_missing_required_variable_is_one_error_whatever_the_size():
    big = pd.concat([ae()] * 400, ignore_index=True)
    big["AESEQ"] = np.arange(1, len(big) + 1, dtype=float)
    findings = run(ae=big.drop(columns="AETERM"))
    assert hits(findings, "SDTM-REQ-VAR") == [("AE", None, "AETERM", "error")]
    assert len(findings) == 1


def test_missing_expected_variable_is_a_warning_and_permissible_is_silent():
    findings = run(dm=dm(AGE=DROP))  # ETHNIC (Perm) is absent too: silent
    assert hits(findings, "SDTM-EXP-VAR") == [("DM", None, "AGE", "warning")]
    assert findings and all(f.rule_id == "SDTM-EXP-VAR" for f in findings)


# ------------------------------------------------------------------ types
def test_wrong_type_is_one_error_per_variable():
    findings = run(dm=dm(AGE=["64", "71", "x"]), ae=ae(AETERM=[1.0, 2.0, 3.0]))
    assert sorted(hits(findings, "SDTM-VAR-TYPE")) == [("AE", None, "AETERM", "error"),
                                                        ("DM", None, "AGE", "error")]
    assert len(findings) == 2  # no value check reported on a wrongly typed column


def test_integer_numbers_and_all_blank_char_columns_are_the_right_type():
    findings = run(dm=dm(AGE=[64, 71, 58], RACE=[NA, NA, NA]))
    assert findings == []


# ------------------------------------------------------------------ values
def test_blank_required_value_is_an_error_naming_the_record():
    findings = run(ae=ae(AEDECOD={1: NA}))
    assert hits(findings, "SDTM-REQ-NULL") == [("AE", 2, "AEDECOD", "error")]
    assert findings[0].usubjid == "S1-01"


def test_required_variable_blank_everywhere_is_one_finding():
    findings = run(ae=ae(AEDECOD=[NA, NA, NA]))
    assert hits(findings, "SDTM-REQ-NULL") == [("AE", None, "AEDECOD", "error")]


def test_sex_controlled_terms():
    findings = run(dm=dm(SEX=["M", "X", NA]))
    ct = [f for f in findings if f.rule_id == "SDTM-DM-SEX-CT"]
    assert [(f.record, f.value, f.severity, f.usubjid) for f in ct] == [(2, "X", "warning", "S1-02")]
    # the blank SEX of record 3 is a required-value error, not a CT one
    assert hits(findings, "SDTM-REQ-NULL") == [("DM", 3, "SEX", "error")]
    assert "record 2" in ct[0].message and "UNDIFFERENTIATED" in ct[0].message


@pytest.mark.parametrize("var, good, bad", [
    ("DTHFL", "Y", "N"), ("AGEU", "MONTHS", "Years"), ("ETHNIC", "NOT REPORTED", "LATINO")])
def test_dm_closed_codelists(var, good, bad):
    assert run(dm=dm(**{var: {0: good}})) == []
    assert hits(run(dm=dm(**{var: {0: bad}})), f"SDTM-DM-{var}-CT") == [("DM", 1, var, "warning")]


def test_serious_and_occurrence_flags_are_y_or_n():
    assert hits(run(ae=ae(AESER={2: "U"})), "SDTM-AE-AESER-CT") == [("AE", 3, "AESER", "warning")]
    cm = pd.DataFrame({"STUDYID": ["S1"], "DOMAIN": ["CM"], "USUBJID": ["S1-01"], "CMSEQ": [1.0],
                       "CMTRT": ["ASPIRIN"], "CMOCCUR": ["YES"]})
    assert hits(run(cm=cm), "SDTM-CM-CMOCCUR-CT") == [("CM", 1, "CMOCCUR", "warning")]
    assert run(cm=cm.assign(CMOCCUR="N")) == []


def test_status_not_done_in_oncology_response():
    findings = run(rs=rs(RSSTAT={0: "DONE"}))
    assert hits(findings, "SDTM-RS-RSSTAT-CT") == [("RS", 1, "RSSTAT", "warning")]


def test_testcd_one_to_one_with_test():
    findings = run(rs=rs(RSTEST={1: "Overall response (IMWG)"}))
    found = [f for f in findings if f.rule_id == "SDTM-TESTCD-TEST"]
    assert [(f.record, f.variable, f.value) for f in found] == [(1, "RSTESTCD", "OVRLRESP"),
                                                                (2, "RSTESTCD", "OVRLRESP")]
    assert found[1].message.startswith("RSTESTCD 'OVRLRESP' with RSTEST 'Overall response (IMWG)'")


def test_arm_one_to_one_with_armcd():
    assert hits(run(dm=dm(ARMCD={1: "A"})), "SDTM-DM-ARM-ARMCD") == [
        ("DM", 1, "ARMCD", "error"), ("DM", 2, "ARMCD", "error")]
    assert hits(run(dm=dm(ACTARM={0: "Placebo"})), "SDTM-DM-ACTARM-ACTARMCD") == [
        ("DM", 1, "ACTARMCD", "error"), ("DM", 2, "ACTARMCD", "error")]


def test_death_date_needs_death_flag():
    findings = run(dm=dm(DTHDTC={1: "2020-02"}))
    assert hits(findings, "SDTM-DM-DTHFL-DTHDTC") == [("DM", 2, "DTHFL", "warning")]
    assert run(dm=dm(DTHDTC={1: "2020-02"}, DTHFL={1: "Y"})) == []


def test_domain_value_must_be_the_dataset():
    findings = run(ae=ae(DOMAIN={2: "CM"}))
    assert hits(findings, "SDTM-DOMAIN-VALUE") == [("AE", 3, "DOMAIN", "error")]


def test_domain_value_of_a_domain_without_a_model():
    run(ae=ae())  # another model built first: pandera then renames inherited checks
    qs = pd.DataFrame({"STUDYID": ["S1"] * 2, "DOMAIN": ["QS", "QQ"], "USUBJID": ["S1-01"] * 2,
                       "QSDTC": ["2019-05-01", "2019-5-1"]})
    findings = run(qs=qs)
    assert hits(findings, "SDTM-DOMAIN-VALUE") == [("QS", 2, "DOMAIN", "error")]
    assert hits(findings, "SDTM-DTC-ISO8601") == [("QS", 2, "QSDTC", "error")]


def test_sequence_number_is_a_positive_whole_number():
    findings = run(ae=ae(AESEQ=[1.0, 2.5, 0.0]))
    assert hits(findings, "SDTM-AE-AESEQ-INTEGER") == [("AE", 2, "AESEQ", "error"),
                                                       ("AE", 3, "AESEQ", "error")]


def test_test_code_format():
    assert run(rs=rs(RSTESTCD={1: "OVRL_R2"}, RSTEST={1: "Response 2"})) == []
    findings = run(rs=rs(RSTESTCD={1: "OVERALLRESP"}, RSTEST={1: "Response 2"}))
    assert hits(findings, "SDTM-RS-RSTESTCD-FORMAT") == [("RS", 2, "RSTESTCD", "error")]


# ------------------------------------------------------------------ dates
VALID_DTC = ["2019", "2019-05", "2019-05-15", "2019---15", "--05-15", "-----T07:15",
             "2019-05-15T10", "2019-05-15T10:30", "2019-05-15T10:30:15",
             "2019-05-15T10:30:15.5", "2019-05-15T-:30", "2019-05-01/2019-05-10", "2020-02-29"]
INVALID_DTC = ["2019-5-15", "15MAY2019", "2019-13-01", "2019-02-30", "2021-02-29", "2019-05-",
               "2019--", "-", "2019-05-15T", "2019-05-15T25:00", "2019-05T10:00", "2019/05/15",
               "2019-05-15 10:30", " 2019", "2019-05-15T10:61", "2019-05-01/2019-02-31"]


def test_iso8601_forms():
    assert is_iso8601(pd.Series(VALID_DTC)).all()
    assert not is_iso8601(pd.Series(INVALID_DTC)).any()


def test_complete_dates_valid_exactly_when_the_calendar_has_them():
    """Oracle: Python's calendar (datetime.date) decides whether a YYYY-MM-DD exists;
    every month 0-13 and day 0-32 of ordinary, leap and century years."""
    values, exists = [], []
    for year, month, day, time in itertools.product(
            (1900, 2000, 2019, 2020, 2100), range(14), range(33), ("", "T23:59:59")):
        values.append(f"{year:04d}-{month:02d}-{day:02d}{time}")
        try:
            exists.append(bool(datetime.date(year, month, day)))
        except ValueError:
            exists.append(False)
    assert is_iso8601(pd.Series(values)).tolist() == exists


@settings(max_examples=40, deadline=None)
@given(st.lists(st.datetimes(datetime.datetime(1950, 1, 1), datetime.datetime(2050, 12, 31)),
                min_size=1, max_size=30),
       st.sampled_from([4, 7, 10, 13, 16, 19]))
def test_every_right_truncation_of_a_datetime_is_valid(moments, width):
    values = pd.Series([m.isoformat(timespec="seconds")[:width] for m in moments])
    assert is_iso8601(values).all()


def test_dtc_finding_names_variable_record_and_value():
    findings = run(ae=ae(AEENDTC={1: "03JUN2019"}))
    bad = [f for f in findings if f.rule_id == "SDTM-DTC-ISO8601"]
    assert [(f.record, f.variable, f.value, f.severity) for f in bad] == [
        (2, "AEENDTC", "03JUN2019", "error")]


def test_every_dtc_variable_is_checked_even_undeclared():
    findings = run(dm=dm(DMDTC=["2019-04-20", "2019-04-31", NA]))
    assert hits(findings, "SDTM-DTC-ISO8601") == [("DM", 2, "DMDTC", "error")]


def test_start_after_end_compared_at_common_precision():
    start = ["2019-06-01", "2019-06", "2019-06-01T10:00", "2019---15"]
    end = ["2019-05-30", "2019-05-30", "2019-06-01T09:59", "2019-01-01"]
    frame = pd.concat([ae()] * 2, ignore_index=True).iloc[:4]
    frame = frame.assign(AESEQ=[1.0, 2.0, 3.0, 4.0], USUBJID="S1-01", AESTDTC=start, AEENDTC=end)
    findings = run(ae=frame)
    assert hits(findings, "SDTM-STDTC-AFTER-ENDTC") == [
        ("AE", 1, "AEENDTC", "warning"), ("AE", 2, "AEENDTC", "warning"),
        ("AE", 3, "AEENDTC", "warning")]  # record 4: same year, day of start unknown
    assert findings[1].message.startswith("AEENDTC 2019-05-30 is before AESTDTC 2019-06")
    same_day = frame.assign(AEENDTC=["2019-06-01", "2019-06-30", "2019-06-01", "2019"])
    assert run(ae=same_day) == []


def test_dm_reference_start_after_end():
    findings = run(dm=dm(RFENDTC={0: "2019-04-30"}))
    assert hits(findings, "SDTM-STDTC-AFTER-ENDTC") == [("DM", 1, "RFENDTC", "warning")]


def test_study_day_is_whole_and_never_zero():
    assert run(ae=ae(AESTDY=[-1.0, 1.0, NA])) == []
    findings = run(ae=ae(AESTDY=[0.0, 1.5, 3.0]))
    assert hits(findings, "SDTM-DY-VALUE") == [("AE", 1, "AESTDY", "error"), ("AE", 2, "AESTDY", "error")]


# ------------------------------------------------------------------ keys
def test_key_duplicates_name_both_records():
    findings = run(ae=ae(AESEQ=[1.0, 1.0, 1.0]))  # record 3 is another subject: fine
    dup = [f for f in findings if f.rule_id == "SDTM-KEY-UNIQUE"]
    assert [(f.record, f.severity, f.usubjid) for f in dup] == [(2, "error", "S1-01")]
    assert dup[0].message == "same STUDYID, USUBJID, AESEQ as record 1 (record 2)"
    assert dup[0].value == "S1, S1-01, 1"


def test_one_record_per_subject_in_dm():
    findings = run(dm=dm(USUBJID=["S1-01", "S1-02", "S1-01"]))
    assert hits(findings, "SDTM-KEY-UNIQUE") == [("DM", 3, "STUDYID, USUBJID", "error")]


def test_no_key_check_when_a_key_variable_is_missing():
    findings = run(ae=ae(AESEQ=DROP))
    assert [f.rule_id for f in findings] == ["SDTM-REQ-VAR"]


# ------------------------------------------------------------------ across datasets
def test_usubjid_in_dm():
    findings = run(ae=ae(USUBJID={2: "S1-99"}))
    assert hits(findings, "SDTM-USUBJID-IN-DM") == [("AE", 3, "USUBJID", "error")]
    assert findings[0].value == "S1-99"


def test_no_dm_is_one_error():
    findings = check_sdtm({"ae": ae()})
    assert [(f.rule_id, f.severity) for f in findings] == [("SDTM-DM-PRESENT", "error")]


def test_supp_rdomain_matches_dataset_name():
    findings = run(ae=ae(), suppae=suppae(RDOMAIN={0: "CM"}))
    assert hits(findings, "SDTM-SUPP-RDOMAIN") == [("SUPPAE", 1, "RDOMAIN", "error")]


def test_supp_parent_record_by_sequence_number():
    # S1-01 has AESEQ 1 and 2, S1-02 only 1: "2" for S1-02 has no parent
    assert run(ae=ae(), suppae=suppae(IDVARVAL=["1", "1"])) == []
    findings = run(ae=ae(), suppae=suppae(IDVARVAL=["2", "2"]))
    assert hits(findings, "SDTM-SUPP-PARENT") == [("SUPPAE", 2, "IDVARVAL", "error")]
    assert findings[0].usubjid == "S1-02"


def test_supp_parent_by_character_idvar_and_subject_level():
    supp = suppae(IDVAR=["AETERM", "AETERM"], IDVARVAL=["NAUSEA", "NAUSEA"])
    assert hits(run(ae=ae(), suppae=supp), "SDTM-SUPP-PARENT") == [("SUPPAE", 2, "IDVARVAL", "error")]
    suppdm = suppae(RDOMAIN="DM", IDVAR=NA, IDVARVAL=NA, USUBJID=["S1-03", "S1-77"])
    findings = run(suppdm=suppdm)
    assert hits(findings, "SDTM-SUPP-PARENT") == [("SUPPDM", 2, "IDVAR", "error")]


def test_supp_parent_variable_or_dataset_absent():
    findings = run(ae=ae(), suppae=suppae(IDVAR=["AEGRPID", "AESEQ"]))
    assert hits(findings, "SDTM-SUPP-PARENT") == [("SUPPAE", 1, "IDVAR", "error")]
    findings = run(suppae=suppae())
    assert hits(findings, "SDTM-SUPP-PARENT") == [("SUPPAE", None, "RDOMAIN", "error")]


def relrec(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({
        "STUDYID": ["S1"] * 3, "RDOMAIN": ["AE", "CM", "AE"], "USUBJID": ["S1-01", "S1-01", NA],
        "IDVAR": ["AESEQ", "CMSEQ", "AEGRPID"], "IDVARVAL": ["2", "1", NA],
        "RELTYPE": [NA, NA, "ONE"], "RELID": ["R1", "R1", "R9"]})
    return _change(frame, changes)


def test_relrec_points_to_existing_records():
    cm = pd.DataFrame({"STUDYID": ["S1"], "DOMAIN": ["CM"], "USUBJID": ["S1-01"], "CMSEQ": [1.0],
                       "CMTRT": ["ASPIRIN"]})
    assert run(ae=ae(), cm=cm, relrec=relrec()) == []  # record 3: dataset level, skipped
    findings = run(ae=ae(), cm=cm, relrec=relrec(IDVARVAL={0: "3"}, RELTYPE={2: "SOME"}))
    assert hits(findings, "SDTM-RELREC-PARENT") == [("RELREC", 1, "IDVARVAL", "error")]
    assert hits(findings, "SDTM-RELREC-RELTYPE-CT") == [("RELREC", 3, "RELTYPE", "warning")]
    findings = run(ae=ae(), relrec=relrec())  # no CM dataset
    assert [(f.variable, f.value, f.record) for f in hits_all(findings, "SDTM-RELREC-PARENT")] == [
        ("RDOMAIN", "CM", None)]


def test_studyid_of_the_study():
    study = SimpleNamespace(studyid="S1")
    assert check_sdtm({"dm": dm(), "ae": ae()}, study) == []
    findings = check_sdtm({"dm": dm(), "ae": ae(STUDYID={0: "S2"})}, study)
    assert hits(findings, "SDTM-STUDYID-VALUE") == [("AE", None, "STUDYID", "error")]


# ------------------------------------------------------------------ robustness
@pytest.mark.parametrize("frame", [
    pd.DataFrame(), pd.DataFrame({"X": [1, 2]}), ae().iloc[:0],
    pd.DataFrame({"STUDYID": [1.0], "DOMAIN": [None], "USUBJID": [["list"]], "AESEQ": ["a"]})])
def test_bad_data_gives_findings_never_a_traceback(frame):
    findings = run(ae=frame)
    assert all(f.severity in ("error", "warning", "note") for f in findings)
    if len(frame.columns) == 0:
        assert {f.variable for f in hits_all(findings, "SDTM-REQ-VAR")} >= {"STUDYID", "USUBJID", "AESEQ"}


def hits_all(findings, rule_id):
    return [f for f in findings if f.rule_id == rule_id]
