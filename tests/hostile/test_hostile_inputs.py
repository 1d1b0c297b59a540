"""Hostile and broken input, command by command: exit 1 or 2, one line naming the file,
record or variable and the cause, no traceback, inputs unchanged, no partial output."""

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adam.io import write_dataset
from adam.metadata import Dataset


def adam(*args):
    return subprocess.run([sys.executable, "-m", "adam.cli", *map(str, args)],
                          capture_output=True, text=True)


def tree_digest(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*")) if p.is_file()}


def one_line_error(res, code, *needles):
    assert res.returncode == code, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout
    lines = [ln for ln in res.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture()
def adtte_file(tmp_path):
    rng = np.random.default_rng(7)
    n = 60
    frame = pd.DataFrame({"STUDYID": "S1", "USUBJID": [f"S1-{i:03d}" for i in range(n)], "PARAMCD": "OS",
                          "AVAL": rng.integers(1, 500, n).astype(float), "CNSR": rng.integers(0, 2, n).astype(float),
                          "TRT01P": np.repeat(["Drug", "Placebo"], n // 2)})
    path = tmp_path / "in" / "adtte.xpt"
    path.parent.mkdir()
    write_dataset(Dataset("ADTTE", frame, "Time-to-Event"), path)
    return path


@pytest.mark.parametrize("content", [b"", b"%PDF-1.7\n" + b"x" * 400, b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000000000000000000000000000000  " + b"y" * 37])
def test_analyze_unreadable_adtte(tmp_path, content):
    bad = tmp_path / "adtte.xpt"
    bad.write_bytes(content)
    before = bad.read_bytes()
    res = adam("analyze", "--adtte", bad, "--param", "OS", "--trt", "TRT01P", "--out", tmp_path / "out")
    one_line_error(res, 2, str(bad))
    assert bad.read_bytes() == before
    assert not (tmp_path / "out" / "ard.csv").exists()


def test_analyze_wrong_type_variable(tmp_path):
    frame = pd.DataFrame({"PARAMCD": ["OS", "OS"], "AVAL": ["ten", "x"], "CNSR": [0.0, 1.0], "TRT01P": ["A", "B"]})
    path = tmp_path / "adtte.xpt"
    write_dataset(Dataset("ADTTE", frame), path)
    res = adam("analyze", "--adtte", path, "--param", "OS", "--trt", "TRT01P", "--out", tmp_path / "out")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "AVAL" in res.stderr
    assert not (tmp_path / "out" / "ard.csv").exists()


@pytest.mark.parametrize("args, needle", [
    (["--ties", "exact"], "--ties must be efron or breslow"),
    (["--conf-type", "arcsin"], "--conf-type must be"),
    (["--timepoints", "1,two"], "--timepoints must be comma-separated numbers"),
    (["--ref", "Nobody"], "--ref 'Nobody' is not a level"),
    (["--strata", "NOPE"], "variable NOPE"),
])
def test_analyze_bad_options(adtte_file, tmp_path, args, needle):
    before = tree_digest(adtte_file.parent)
    res = adam("analyze", "--adtte", adtte_file, "--param", "OS", "--trt", "TRT01P", *args, "--out", tmp_path / "out")
    one_line_error(res, 2, needle)
    assert tree_digest(adtte_file.parent) == before
    assert not (tmp_path / "out" / "ard.csv").exists()


def test_output_path_equal_to_input(adtte_file):
    before = tree_digest(adtte_file.parent)
    res = adam("convert", adtte_file, adtte_file)
    one_line_error(res, 2, "overwrite an input")
    assert tree_digest(adtte_file.parent) == before


def test_output_folder_not_writable(adtte_file, tmp_path):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    res = adam("analyze", "--adtte", adtte_file, "--param", "OS", "--trt", "TRT01P", "--out", blocker / "sub")
    one_line_error(res, 2, "cannot write")


def test_study_spec_with_unknown_key(tmp_path, adtte_file):
    spec = tmp_path / "s.toml"
    spec.write_text('name = "s"\nstudyid = "S"\nplugins = ["evil"]\n')
    res = adam("analyze", "--study", spec, "--adam", adtte_file.parent, "--out", tmp_path / "out")
    one_line_error(res, 2, str(spec), "unknown key 'plugins'")


def test_debug_shows_traceback(tmp_path):
    res = subprocess.run([sys.executable, "-m", "adam.cli", "--debug", "convert", tmp_path / "x.xpt", tmp_path / "y.json"],
                         capture_output=True, text=True)
    assert res.returncode != 0 and "Traceback" in res.stderr


def test_non_ascii_and_long_values_in_xpt_output(tmp_path):
    frame = pd.DataFrame({"USUBJID": ["S-1"], "AETERM": ["na\u00efve " + "x" * 10]})
    src = tmp_path / "ae.json"
    write_dataset(Dataset("AE", frame), src)
    res = adam("convert", src, tmp_path / "ae.xpt")
    one_line_error(res, 2, "dataset AE", "record 1", "variable AETERM", "not ASCII")
    assert not (tmp_path / "ae.xpt").exists()
    res = adam("convert", src, tmp_path / "ae.xpt", "--encoding", "cp1252")
    assert res.returncode == 0, res.stderr
