"""Issue 21: a generic SDTM (or ADaM) check needs no --study."""

import subprocess
import sys


def test_sdtm_check_without_study(pilot_sdtm_dir, tmp_path):
    res = subprocess.run([sys.executable, "-m", "adam.cli", "check", "--sdtm", str(pilot_sdtm_dir),
                          "--report", str(tmp_path / "r.html"), "--max-rows", "1"],
                         capture_output=True, text=True)
    assert res.returncode == 1, res.stderr        # the pilot's real duplicate SV key
    assert res.stderr == "" and "SDTM check of 18 dataset(s)" in res.stdout
    assert "<title>SDTM checks</title>" in (tmp_path / "r.html").read_text(encoding="utf-8")
