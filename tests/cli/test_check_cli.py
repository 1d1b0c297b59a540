"""`adam check` as users run it: pilot SDTM findings, CSV and HTML outputs, exit codes."""

import shutil
import subprocess
import sys

import pandas as pd

from adam.io import read_dataset, write_dataset

CSV_COLUMNS = ["dataset", "rule_id", "severity", "usubjid", "variable", "value", "message"]


def adam(*args):
    return subprocess.run([sys.executable, "-m", "adam.cli", *map(str, args)], capture_output=True, text=True)


def test_pilot_sdtm_check(pilot_sdtm_dir, tmp_path):
    res = adam("check", "--study", "cdiscpilot01", "--sdtm", pilot_sdtm_dir,
               "--findings", tmp_path / "f.csv", "--report", tmp_path / "r.html")
    # the pilot SV has a real duplicate key (01-711-1143, VISITNUM 9.2): an error-level finding
    assert res.returncode == 1, res.stderr
    assert "SDTM check of 18 dataset(s)" in res.stdout
    findings = pd.read_csv(tmp_path / "f.csv", dtype=str, keep_default_na=False)
    assert list(findings.columns) == CSV_COLUMNS
    sv = findings[(findings.dataset == "SV") & (findings.severity == "error")]
    assert sv["usubjid"].tolist() == ["01-711-1143"]
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "01-711-1143" in html and "SDTM-KEY-UNIQUE" in html


def test_domain_missing_required_variable(pilot_sdtm_dir, tmp_path):
    folder = tmp_path / "sdtm"
    shutil.copytree(pilot_sdtm_dir, folder)
    ae = read_dataset(folder / "ae.xpt")
    write_dataset(ae.with_frame(ae.frame.drop(columns=["AETERM"])), folder / "ae.xpt")
    res = adam("check", "--study", "cdiscpilot01", "--sdtm", folder, "--findings", tmp_path / "f.csv")
    assert res.returncode == 1 and "Traceback" not in res.stderr
    findings = pd.read_csv(tmp_path / "f.csv", dtype=str, keep_default_na=False)
    hit = findings[(findings.dataset == "AE") & (findings.variable == "AETERM")]
    assert len(hit) == 1 and hit.iloc[0]["severity"] == "error"


def test_check_needs_exactly_one_folder(tmp_path):
    res = adam("check", "--study", "cdiscpilot01")
    assert res.returncode == 2 and "exactly one of --sdtm DIR or --adam DIR" in res.stderr


def test_twin_adam_is_clean(tmp_path):
    from adam import pipeline
    pipeline.synth("tourmaline-mm4", tmp_path / "sdtm", n_subjects=300)
    pipeline.derive("tourmaline-mm4", tmp_path / "sdtm", tmp_path / "adam")
    res = adam("check", "--study", "tourmaline-mm4", "--adam", tmp_path / "adam", "--report", tmp_path / "c.html")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 error(s)" in res.stdout
    assert (tmp_path / "c-datadocs" / "index.html").exists()
