"""Issue 21 item 8: the rules a file gets follow its role (its file name when that names
a known dataset, else its member name), never the member name's accident; a member name
that is not the file name is itself a finding."""

import subprocess
import sys
from dataclasses import replace

import pandas as pd
import pytest

from adam import pipeline
from adam.io import write_dataset
from adam.metadata import Dataset
from checks.roles import assign_roles, role


def _adsl(member: str = "ADSL") -> Dataset:
    frame = pd.DataFrame({
        "STUDYID": ["S1"] * 3, "USUBJID": ["S1-1", "S1-1", "S1-2"], "SUBJID": ["1", "1", "2"],
        "SITEID": ["01"] * 3, "AGE": [50.0, 50.0, 60.0], "AGEU": ["YEARS"] * 3,
        "SEX": ["X", "M", "F"],                          # 'X': not in the SEX codelist
        "RACE": ["WHITE"] * 3, "ARM": ["A", "A", "B"], "TRT01P": ["A", "A", "B"],
        "ITTFL": ["Y"] * 3})
    return Dataset(member, frame, label="QC copy")     # ADSL-004: not the standard label


def _adtte() -> Dataset:
    frame = pd.DataFrame({"STUDYID": ["S1"], "USUBJID": ["S1-2"], "PARAMCD": ["OS"],
                          "PARAM": ["Overall survival"], "AVAL": [10.0], "CNSR": [0.0],
                          "AGE": [61.0]})                # ADAM-015: ADSL says 60
    return Dataset("ADTTE", frame, label="Time-to-event")


def _folder(tmp_path, member):
    folder = tmp_path / member
    write_dataset(_adsl(member), folder / "adsl.xpt")
    write_dataset(_adtte(), folder / "adtte.xpt")
    return folder


def _rules(result):
    return {(f.dataset, f.rule_id, f.severity) for f in result.findings}


@pytest.mark.parametrize("stem, member, kind, expected", [
    ("adsl", "QCADSL", "adam", "ADSL"),       # the file name names a known ADaM dataset
    ("qc_adsl", "ADSL", "adam", "ADSL"),      # it does not: the member name does
    ("qcadsl", "QCADSL", "adam", "QCADSL"),   # neither: the file name
    ("dm", "QCDM", "sdtm", "DM"),
    ("suppae", "SUPPAE", "sdtm", "SUPPAE"),
    ("dm_qc", "DM", "sdtm", "DM"),
])
def test_role(stem, member, kind, expected):
    assert role(stem, member, kind) == expected


def test_member_name_does_not_switch_rules_off(tmp_path):
    same = pipeline.check(None, adam=_folder(tmp_path, "ADSL"), expectations=False)
    renamed = pipeline.check(None, adam=_folder(tmp_path, "QCADSL"), expectations=False)
    wanted = {("ADSL", "ADSL-001", "error"), ("ADSL", "ADSL-004", "warning"),
              ("ADTTE", "ADAM-015", "error"), ("ADSL", "ADAM-ADSL-SEX-CT", "warning")}
    assert wanted <= _rules(same)
    assert _rules(renamed) == _rules(same) | {("ADSL", "ADAM-019", "error")}
    named = [f for f in renamed.findings if f.rule_id == "ADAM-019"]
    assert len(named) == 1 and "adsl.xpt" in named[0].message and named[0].value == "QCADSL"
    assert not any(f.rule_id == "ADAM-019" for f in same.findings)


def test_two_files_one_role_keep_their_own_names():
    a, b = _adsl("ADSL"), _adsl("ADSL")
    roles, found = assign_roles({"adsl": a, "qcadsl": b}, "adam")
    assert sorted(roles) == ["adsl", "qcadsl"] and roles["qcadsl"].name == "QCADSL"
    assert [f.rule_id for f in found] == ["ADAM-019"]


def test_cli_exit_and_error_of_renamed_adsl(tmp_path):
    """`adam check` of adsl.xpt with member QCADSL: the SEX codelist error stays an error
    (GX's ADSL suite runs) and the run exits 1."""
    folder = _folder(tmp_path, "QCADSL")
    res = subprocess.run([sys.executable, "-m", "adam.cli", "check", "--adam", str(folder),
                          "--findings", str(tmp_path / "f.csv")], capture_output=True, text=True)
    assert res.returncode == 1, res.stdout + res.stderr
    found = pd.read_csv(tmp_path / "f.csv", dtype=str, keep_default_na=False)
    sex = found[(found.variable == "SEX") & (found.value == "X")]
    assert sex.severity.tolist() == ["error"]
    assert {"ADSL-001", "ADSL-004", "ADAM-015", "ADAM-019"} <= set(found.rule_id)
