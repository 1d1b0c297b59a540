"""Refusals up front (issue 18 part 4): an ARD of another study, a bad demo format."""

import subprocess
import sys
import time

from adam.ard import ard_frame, ard_rows, write_ard


def adam(*args):
    return subprocess.run([sys.executable, "-m", "adam.cli", *map(str, args)], capture_output=True, text=True)


def test_report_refuses_an_ard_of_another_study(tmp_path):
    ard = tmp_path / "ard.csv"
    write_ard(ard_frame(ard_rows({"n": 1}, study="TOURMALINE-MM3", analysis_id="DISPOSITION", method="count",
                                 group_var="TRT01P", group="Ixazomib", subgroup="Randomized")), ard)
    res = adam("report", "--study", "tourmaline-mm4", "--ard", ard, "--out", tmp_path / "tlf")
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0
    assert "the ARD's study (TOURMALINE-MM3) differs from the specification's (TOURMALINE-MM4)" in res.stderr
    assert not (tmp_path / "tlf").exists()


def test_demo_refuses_an_unknown_format_before_any_work(tmp_path):
    start = time.monotonic()
    res = adam("demo", "--format", "docx", "--out", tmp_path / "demo")
    assert res.returncode == 2 and "--format takes html, rtf, pdf; not docx" in res.stderr
    assert not (tmp_path / "demo").exists() and time.monotonic() - start < 10
