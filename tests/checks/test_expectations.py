"""great-expectations suites: clean SDTM/ADaM pass, seeded defects fail with the right
records, Data Docs are written and readable offline. GX runs once per scenario
(module-scoped fixtures) to keep the file fast."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from adam.errors import UsageError
from adam.metadata import Dataset
from checks.expectations import run_expectations

D = pd.to_datetime


def sdtm(dm_changes=None, ae_changes=None) -> dict:
    dm = pd.DataFrame({
        "STUDYID": ["S"] * 3, "DOMAIN": ["DM"] * 3, "USUBJID": ["S-1", "S-2", "S-3"],
        "AGE": [54.0, 61.0, 77.0], "AGEU": ["YEARS"] * 3, "SEX": ["M", "F", "F"],
        "ARMCD": ["IXA", "PBO", "IXA"],
        "RFSTDTC": ["2020-01-03", "2020-02", "2020-03-01T10:15"],
        "DTHDTC": [np.nan, "2021-05-07", np.nan], "DTHFL": [np.nan, "Y", np.nan]})
    ae = pd.DataFrame({
        "STUDYID": ["S"] * 3, "DOMAIN": ["AE"] * 3, "USUBJID": ["S-1", "S-1", "S-3"],
        "AETERM": ["Nausea", "Rash", "Fatigue"], "AEDECOD": ["Nausea", "Rash", "Fatigue"],
        "AESER": ["N", "N", "Y"], "AESEV": ["MILD", "MODERATE", "SEVERE"],
        "AESTDTC": ["2020-01-10", "2020-02-01", "2020-04"]})
    for frame, changes in ((dm, dm_changes), (ae, ae_changes)):
        for (row, col), value in (changes or {}).items():
            frame[col] = frame[col].astype(object)
            frame.loc[row, col] = value
    return {"dm": Dataset("DM", dm), "ae": Dataset("AE", ae)}


def adam(adsl_changes=None, adtte_changes=None) -> dict:
    adsl = pd.DataFrame({
        "STUDYID": ["S"] * 3, "USUBJID": ["S-1", "S-2", "S-3"], "SUBJID": ["1", "2", "3"],
        "SITEID": ["10"] * 3, "AGE": [54.0, 61.0, 77.0], "SEX": ["M", "F", "F"],
        "TRT01P": ["Ixazomib", "Placebo", "Ixazomib"], "ITTFL": ["Y", "Y", "Y"],
        "SAFFL": ["Y", "Y", "N"], "TRTSDT": D(["2020-01-03", "2020-02-02", pd.NaT]),
        "TRTEDT": D(["2020-06-01", "2020-03-02", pd.NaT])})
    start = D(["2020-01-01", "2020-02-01", "2020-03-01"])
    adt = D(["2020-07-01", "2021-05-07", "2020-03-01"])
    adtte = pd.DataFrame({
        "STUDYID": ["S"] * 3, "USUBJID": ["S-1", "S-2", "S-3"], "PARAMCD": ["OS"] * 3,
        "PARAM": ["Overall Survival"] * 3, "STARTDT": start, "ADT": adt,
        "AVAL": ((adt - start).days + 1).astype(float), "CNSR": [1.0, 0.0, 1.0]})
    for frame, changes in ((adsl, adsl_changes), (adtte, adtte_changes)):
        for (row, col), value in (changes or {}).items():
            frame.loc[row, col] = value
    return {"adsl": Dataset("ADSL", adsl), "adtte": Dataset("ADTTE", adtte)}


def summary(findings):
    return sorted((f.dataset, f.rule_id.removeprefix("GX."), f.variable, f.record)
                  for f in findings)


@pytest.fixture(scope="module")
def sdtm_docs(tmp_path_factory):
    docs = tmp_path_factory.mktemp("gx_docs")
    bad = sdtm(dm_changes={(1, "SEX"): "X", (2, "RFSTDTC"): "2020-13-01",
                           (0, "AGE"): 130.0},
               ae_changes={(2, "AETERM"): np.nan, (0, "AESEV"): "GRADE 3"})
    return run_expectations(bad, "sdtm", docs), docs


def test_clean_sdtm_and_adam_pass():
    assert run_expectations(sdtm(), "sdtm") == []
    assert run_expectations(adam(), "adam") == []


def test_sdtm_defects_are_reported_by_record(sdtm_docs):
    findings, _ = sdtm_docs
    assert summary(findings) == [
        ("AE", "expect_column_values_to_be_in_set", "AESEV", 1),
        ("AE", "expect_column_values_to_not_be_null", "AETERM", 3),
        ("DM", "expect_column_values_to_be_between", "AGE", 1),
        ("DM", "expect_column_values_to_be_in_set", "SEX", 2),
        ("DM", "expect_column_values_to_match_regex", "RFSTDTC", 3)]
    by_var = {f.variable: f for f in findings}
    assert by_var["SEX"].usubjid == "S-2" and by_var["SEX"].value == "X"
    assert by_var["AGE"].severity == "warning" and by_var["AGE"].value == "130"
    assert by_var["AESEV"].severity == "error"


def test_adam_defects_are_reported_by_record():
    bad = adam(adsl_changes={(2, "USUBJID"): "S-2", (1, "ITTFL"): np.nan},
               adtte_changes={(0, "CNSR"): -1.0, (2, "ADT"): D("2020-02-01"),
                              (1, "PARAMCD"): "OVERALLSURV"})
    assert summary(run_expectations(bad, "adam")) == [
        ("ADSL", "expect_column_values_to_be_unique", "USUBJID", 2),
        ("ADSL", "expect_column_values_to_be_unique", "USUBJID", 3),
        ("ADSL", "expect_column_values_to_not_be_null", "ITTFL", 2),
        ("ADTTE", "expect_column_pair_values_a_to_be_greater_than_b", "ADT", 3),
        ("ADTTE", "expect_column_value_lengths_to_be_between", "PARAMCD", 2),
        ("ADTTE", "expect_column_values_to_be_between", "CNSR", 1)]


def test_missing_required_column_is_a_dataset_finding():
    data = adam()
    adtte = data["adtte"]
    data["adtte"] = Dataset("ADTTE", adtte.frame.drop(columns=["CNSR"]))
    found = run_expectations(data, "adam")
    assert [(f.rule_id, f.record) for f in found] == [("GX.expect_column_to_exist", None)]
    assert "CNSR" in found[0].message


def test_data_docs_written_and_offline(sdtm_docs):
    _, docs = sdtm_docs
    pages = sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*.html"))
    assert "index.html" in pages
    assert {"expectations/sdtm/DM.html", "expectations/sdtm/AE.html"} <= set(pages)
    assert sum(p.startswith("validations/sdtm/") for p in pages) == 2
    for page in docs.rglob("*.html"):
        html = page.read_text()
        remote = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="https?://', html)
        assert remote == [], page
    index = (docs / "index.html").read_text()
    assert 'href="expectations/sdtm/DM.html"' in index      # static links, no JS needed
    ae_page = next(docs.rglob("sdtm-AE.html")).read_text()   # rendered without JS
    assert "values must belong to this set" in ae_page and "GRADE 3" in ae_page


def test_unknown_kind_is_a_usage_error():
    with pytest.raises(UsageError):
        run_expectations(sdtm(), "send")


def test_generic_sdtm_expectations():
    ts = Dataset("TS", pd.DataFrame({"STUDYID": ["S"], "DOMAIN": ["TS"], "TSSEQ": [1.0],
                                     "TSPARMCD": ["TITLE"], "TSVAL": ["A trial"]}))
    ae = sdtm()["ae"].frame.assign(AESEQ=[1.0, 1.0, 1.0])
    ae.loc[2, "DOMAIN"] = "CM"
    found = run_expectations({"ts": ts, "ae": Dataset("AE", ae)}, "sdtm")
    # trial design domains have no USUBJID; AESEQ repeats within S-1 (records 1-2)
    assert summary(found) == [
        ("AE", "expect_column_values_to_be_in_set", "DOMAIN", 3),
        ("AE", "expect_compound_columns_to_be_unique", "USUBJID,AESEQ", 1),
        ("AE", "expect_compound_columns_to_be_unique", "USUBJID,AESEQ", 2)]
    assert {f.value for f in found if f.variable == "USUBJID,AESEQ"} == {"S-1, 1"}


def test_cdisc_pilot_sdtm_passes(pilot_sdtm_dir):
    """The real CDISCPILOT01 SDTM (shipped in adam/examples) meets every SDTM expectation."""
    from adam.io import read_sdtm

    assert run_expectations(read_sdtm(pilot_sdtm_dir), "sdtm") == []
