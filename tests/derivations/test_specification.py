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


SPEC_ROWS = """dataset,variable,label,type,length,format,order,codelist
ADSL,,Subject-Level Analysis Dataset,,,,,
ADSL,STUDYID,Study Identifier,Char,,,1,
ADSL,USUBJID,Unique Subject Identifier,Char,,,2,
ADSL,SUBJID,Subject Identifier for the Study,Char,,,3,
ADSL,SITEID,Study Site Identifier,Char,,,4,
ADSL,AGE,Age in Years,Num,8,3.,5,
ADSL,AGEU,Age Units,Char,,,6,
ADSL,SEX,Sex,{sex_type},1,,7,
ADSL,RACE,Race,Char,,,8,
ADSL,ARM,Description of Planned Arm,Char,40,,9,
ADSL,TRT01P,Planned Treatment for Period 01,Char,40,,10,
ADSL,TRTSDT,Date of First Exposure to Treatment,Num,8,DATE9.,11,
ADSL,SAFFL,Safety Population Flag,Char,1,,12,Y|N
"""


def user_study(folder, sex_type="Char"):
    """A user's study: TOML naming a tiny program and a metadata specification beside it."""
    (folder / "mine.py").write_text(
        "from adam.metadata import Dataset\n"
        "from derivations.studies.pharmaverse_onco import derive_adsl\n\n\n"
        "def derive(sdtm, study):\n"
        "    return {'adsl': Dataset('ADSL', derive_adsl(sdtm))}\n")
    (folder / "meta").mkdir(exist_ok=True)
    (folder / "meta" / "adam-spec.csv").write_text(SPEC_ROWS.format(sex_type=sex_type))
    (folder / "mine.toml").write_text(
        'name = "mine"\nstudyid = "CDISCPILOT01"\nderive = "mine.py:derive"\n\n'
        '[metadata]\nspec = "meta/adam-spec.csv"\n\n[sdtm]\nexample = "pharmaverse-onco/sdtm"\n')
    return folder / "mine.toml"


def adam_cli(*args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "adam.cli", *map(str, args)], capture_output=True, text=True)


def test_the_study_metadata_spec_is_applied_and_checked_by_adam_derive(tmp_path):
    from adam.io import read_dataset

    toml = user_study(tmp_path)
    done = adam_cli("derive", "--study", toml, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    adsl = read_dataset(tmp_path / "out" / "adsl.xpt")
    assert [v.name for v in adsl.variables] == ["STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "AGEU", "SEX",
                                                "RACE", "ARM", "TRT01P", "TRTSDT", "SAFFL"]
    meta = adsl.meta
    assert (meta["AGE"].label, meta["AGE"].format) == ("Age in Years", "3.")
    assert (meta["ARM"].length, meta["TRTSDT"].format, meta["SAFFL"].length) == (40, "DATE9.", 1)
    assert "META-EXTRA" in done.stdout and "DTHDTC" in done.stdout     # derived, not specified: dropped
    # a wrong type: SEX specified as numeric -> an error naming the dataset and the variable
    toml = user_study(tmp_path, sex_type="Num")
    bad = adam_cli("derive", "--study", toml, "--out", tmp_path / "bad")
    assert bad.returncode == 1
    assert "ADSL" in bad.stderr and "variable SEX" in bad.stderr and "META-TYPE" in bad.stderr
    assert not (tmp_path / "bad" / "adsl.xpt").exists()


def test_metadata_key_validated(tmp_path):
    import pytest

    from adam.errors import UsageError
    from adam.study import load_study

    base = 'name = "s"\nstudyid = "S"\n'
    (tmp_path / "a.toml").write_text(base + '[metadata]\nspec = "missing.csv"\n')
    with pytest.raises(UsageError, match="'metadata.spec' file not found"):
        load_study(tmp_path / "a.toml")
    (tmp_path / "b.toml").write_text(base + '[metadata]\nfile = "x.csv"\n')
    with pytest.raises(UsageError, match="unknown key 'metadata.file'"):
        load_study(tmp_path / "b.toml")
    (tmp_path / "x.txt").write_text("")
    (tmp_path / "c.toml").write_text(base + '[metadata]\nspec = "x.txt"\n')
    with pytest.raises(UsageError, match=".csv or .toml"):
        load_study(tmp_path / "c.toml")
    assert load_study("pharmaverse-onco").metadata_spec.name == "pharmaverse-onco.csv"


def test_collect_shapes_by_the_study_spec_and_warns_on_unlisted_datasets(tmp_path):
    from adam.metadata import Dataset
    from adam.study import load_study
    from derivations.program import collect

    study = load_study(user_study(tmp_path))
    frame = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1"], "SEX": ["F"], "EXTRA": [1.0]})
    datasets, findings = collect(({"adsl": Dataset("ADSL", frame), "adxx": Dataset("ADXX", frame)}, []), study)
    assert list(datasets["adsl"].frame.columns) == ["STUDYID", "USUBJID", "SEX"]
    assert datasets["adsl"]["SEX"].label == "Sex" and list(datasets["adxx"].frame.columns) == list(frame.columns)
    got = {(f.rule_id, f.dataset, f.variable) for f in findings}
    assert ("META-DATASET", "ADXX", None) in got and ("META-EXTRA", "ADSL", "EXTRA") in got
