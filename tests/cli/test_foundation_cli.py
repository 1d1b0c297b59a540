"""The foundation commands as a user runs them: help, convert, errors as one line."""

import hashlib
import subprocess
import sys

import pytest


def adam(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "adam.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_help_lists_commands():
    res = adam("--help")
    assert res.returncode == 0
    for command in ("check", "convert"):
        assert command in res.stdout


def test_convert_round_trip(pilot_sdtm_dir, tmp_path):
    from adam.io import read_dataset
    import pandas as pd

    src = pilot_sdtm_dir / "dm.xpt"
    res = adam("convert", src, tmp_path / "dm.json")
    assert res.returncode == 0, res.stderr
    res = adam("convert", tmp_path / "dm.json", tmp_path / "dm.xpt")
    assert res.returncode == 0, res.stderr
    a, b = read_dataset(src), read_dataset(tmp_path / "dm.xpt")
    assert a.variables == b.variables and a.name == b.name
    pd.testing.assert_frame_equal(a.frame, b.frame)


@pytest.mark.parametrize("make, args, message", [
    (lambda d: None, lambda d: ["convert", d / "missing.xpt", d / "o.json"], "file not found"),
    (lambda d: (d / "empty.xpt").write_bytes(b""), lambda d: ["convert", d / "empty.xpt", d / "o.json"], "empty file"),
    (lambda d: (d / "doc.xpt").write_bytes(b"%PDF-1.5\n" * 20), lambda d: ["convert", d / "doc.xpt", d / "o.json"], "not a SAS transport"),
    (lambda d: None, lambda d: ["check", "--study", "cdiscpilot01", "--sdtm", d / "nofolder"], "SDTM folder not found"),
    (lambda d: None, lambda d: ["convert", d / "a.csv", d / "o.json"], "unknown file type"),
    (lambda d: None, lambda d: ["convert"], "Missing argument"),
])
def test_bad_input_is_one_line_exit_2(tmp_path, make, args, message):
    make(tmp_path)
    res = adam(*args(tmp_path))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "o.json").exists()


def test_convert_refuses_to_overwrite_input(pilot_sdtm_dir, tmp_path):
    src = tmp_path / "dm.xpt"
    src.write_bytes((pilot_sdtm_dir / "dm.xpt").read_bytes())
    before = digest(src)
    res = adam("convert", src, src)
    assert res.returncode == 2 and "overwrite an input" in res.stderr
    assert digest(src) == before
