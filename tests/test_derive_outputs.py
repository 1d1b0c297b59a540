"""derive validates (on the other core) while it writes: the ADaM files land together
only when no error-level finding was made; an XPT rule break or a validation error
leaves no file and no folder behind, and a validation error is reported first."""

import pandas as pd
import pytest

from adam import pipeline
from adam.errors import ValidationFailed, XptRuleError
from adam.io import read_dataset, write_dataset
from adam.metadata import Dataset
from adam.study import load_study

PROGRAM = '''
import pandas as pd
from adam.metadata import Dataset

def derive(sdtm, study):
    ids = {ids!r}
    adsl = pd.DataFrame({{"STUDYID": "S", "USUBJID": ids, "SUBJID": [i[2:] for i in ids],
                          "SITEID": "01", "AGE": 60.0, "AGEU": "YEARS", "SEX": "F", "RACE": "WHITE",
                          "ARM": "A", "ARMCD": "A", "ACTARM": "A", "ACTARMCD": "A", "ITTFL": "Y",
                          "SAFFL": "Y", "TRT01P": "A", "TRT01PN": 1.0, "TRT01A": "A", "TRT01AN": 1.0}})
    out = Dataset("ADSL", adsl, "Subject-Level Analysis Dataset")
    label = {label!r}
    if label:
        out.variables[0].label = label
    out.frame.loc[0, "RACE"] = {race!r}
    return {{"adsl": out}}
'''


def study(tmp_path, ids, label="", race="WHITE"):
    (tmp_path / "prog.py").write_text(PROGRAM.format(ids=ids, label=label, race=race))
    (tmp_path / "s.toml").write_text('name = "s"\nstudyid = "S"\nderive = "prog.py:derive"\n')
    sdtm = tmp_path / "sdtm"
    sdtm.mkdir()
    write_dataset(Dataset("DM", pd.DataFrame({"STUDYID": ["S"], "USUBJID": ["S-1"]})), sdtm / "dm.xpt")
    return load_study(tmp_path / "s.toml"), sdtm


def test_clean_datasets_are_written(tmp_path):
    spec, sdtm = study(tmp_path, ["S-1", "S-2"])
    datasets, findings = pipeline.derive(spec, sdtm, tmp_path / "out" / "adam")
    written = read_dataset(tmp_path / "out" / "adam" / "adsl.xpt")
    assert written.frame["USUBJID"].tolist() == ["S-1", "S-2"]
    assert not [f for f in findings if f.severity == "error"]
    assert [p.name for p in (tmp_path / "out" / "adam").iterdir()] == ["adsl.xpt"]


def test_validation_error_writes_nothing(tmp_path):
    spec, sdtm = study(tmp_path, ["S-1", "S-1"])
    with pytest.raises(ValidationFailed, match="ADSL-001") as info:
        pipeline.derive(spec, sdtm, tmp_path / "out" / "adam")
    assert any(f.rule_id == "ADSL-001" for f in info.value.findings)
    assert not (tmp_path / "out").exists()


def test_xpt_rule_break_writes_nothing(tmp_path):
    spec, sdtm = study(tmp_path, ["S-1", "S-2"], race="WEI\u00df")
    (tmp_path / "out").mkdir()
    with pytest.raises(XptRuleError, match="record 1: variable RACE.*not ASCII"):
        pipeline.derive(spec, sdtm, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_validation_error_reported_before_an_xpt_rule_break(tmp_path):
    spec, sdtm = study(tmp_path, ["S-1", "S-1"], race="WEI\u00df")
    with pytest.raises(ValidationFailed):
        pipeline.derive(spec, sdtm, tmp_path / "out")
    assert not (tmp_path / "out").exists()
