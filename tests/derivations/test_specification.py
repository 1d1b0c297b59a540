"""ADaM metadata without a define.xml: the specification file (derivations.specification)
and the engine's own inference of datetime formats (ADAM-007 never on inferred metadata)."""

import pandas as pd

from adam.metadata import Dataset, infer_variables
from checks.rules import check_adam_rules
from derivations.specification import apply_specification, read_specification
from derivations.studies.pharmaverse_onco import SPEC


def test_a_midnight_datetime_is_inferred_as_datetime_and_passes_adam_007():
    frame = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "2"],
                          "TRTSDTM": pd.to_datetime(["2020-01-01", "2020-02-01"]),   # all midnight
                          "TRTSDT": pd.to_datetime(["2020-01-01", "2020-02-01"])})
    meta = {v.name: v.format for v in infer_variables(frame)}
    assert meta["TRTSDTM"] == "DATETIME20." and meta["TRTSDT"] == "DATE9."
    ds = Dataset("ADSL", frame.assign(SAFFL="Y"), "Subject-Level Analysis Dataset")
    assert not [f for f in check_adam_rules({"ADSL": ds}) if f.rule_id in ("ADAM-006", "ADAM-007")]


def test_specification_applied_and_checked(tmp_path):
    path = tmp_path / "spec.csv"
    path.write_text("dataset,variable,label,type,length,format,order,codelist\n"
                    "ADSL,,Subject-Level Analysis Dataset,,,,,\n"
                    "ADSL,USUBJID,Unique Subject Identifier,Char,,,2,\n"
                    "ADSL,STUDYID,Study Identifier,Char,,,1,\n"
                    "ADSL,TRTSDTM,Datetime of First Exposure to Treatment,Num,8,DATE9.,3,\n"
                    "ADSL,SAFFL,Safety Population Flag,Char,1,,4,Y|N\n"
                    "ADSL,AGE,Age,Num,8,,5,\n")
    spec = read_specification(path)
    frame = pd.DataFrame({"USUBJID": ["1", "2"], "STUDYID": "S", "EXTRA": 1,
                          "TRTSDTM": pd.to_datetime(["2020-01-01 10:00", None]), "SAFFL": ["Y", "X"],
                          "AGE": ["61", "sixty"]})
    ds, findings = apply_specification(frame, spec, "adsl")
    assert list(ds.frame.columns) == ["STUDYID", "USUBJID", "TRTSDTM", "SAFFL", "AGE"]
    assert ds.label == "Subject-Level Analysis Dataset" and ds["SAFFL"].label == "Safety Population Flag"
    got = {(f.rule_id, f.dataset, f.variable) for f in findings}
    assert got == {("META-FORMAT", "ADSL", "TRTSDTM"), ("META-EXTRA", "ADSL", "EXTRA"),
                   ("META-CODELIST", "ADSL", "SAFFL"), ("META-TYPE", "ADSL", "AGE")}


def test_the_example_specification_reads():
    spec = read_specification(SPEC)
    assert set(spec) == {"ADSL", "ADRS", "ADTTE"}
    assert spec["ADSL"]["TRTSDTM"].display_format == "DATETIME20."
    assert all(len(v.label) <= 40 for d in spec.values() for v in d.variables)
