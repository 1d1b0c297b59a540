"""Issue 21 item 13: messages on contract: every input shape below is exit 2 with one
line naming the file (and the record/variable where there is one), never "internal
error"; disk full names the output; no library warning precedes the line; a SAS V8 or
CPORT file is named as such."""

import copy
import errno
import json
import subprocess
import sys
import warnings

import pandas as pd
import pytest

from adam import cli
from adam.errors import InputError
from adam.io import read_dataset, write_dataset
from adam.metadata import Dataset

BASE = {"datasetJSONVersion": "1.1.0", "name": "DM", "label": "Demographics", "records": 1,
        "columns": [{"itemOID": "IT.USUBJID", "name": "USUBJID", "label": "Subject", "dataType": "string",
                     "length": 8},
                    {"itemOID": "IT.AGE", "name": "AGE", "label": "Age", "dataType": "integer"}],
        "rows": [["S1", 50]]}


def _doc(path=None, value=None, **top):
    doc = copy.deepcopy(BASE)
    doc.update(top)
    if path is not None:
        where = doc
        for key in path[:-1]:
            where = where[key]
        where[path[-1]] = value
    return json.dumps(doc)


SHAPES = {   # name: (file text, what the line must say)
    "object-in-string-cell": (_doc(("rows", 0, 0), {}), ["record 1", "variable USUBJID", "object"]),
    "array-in-number-cell": (_doc(("rows", 0, 1), [1]), ["record 1", "variable AGE", "array"]),
    "name-not-text": (_doc(("columns", 0, "name"), 5), ["column 1", "name must be text"]),
    "name-array": (_doc(("columns", 0, "name"), ["A"]), ["column 1", "name must be text"]),
    "label-not-text": (_doc(("columns", 1, "label"), {}), ["variable AGE", "label must be text"]),
    "length-not-number": (_doc(("columns", 0, "length"), "8"), ["variable USUBJID", "length"]),
    "length-object": (_doc(("columns", 0, "length"), {}), ["variable USUBJID", "length"]),
    "displayformat-not-text": (_doc(("columns", 1, "displayFormat"), 8), ["variable AGE", "displayFormat"]),
    "datatype-boolean": (_doc(("columns", 1, "dataType"), "boolean"), ["variable AGE", "boolean"]),
    "datatype-unknown": (_doc(("columns", 1, "dataType"), "bigint"), ["variable AGE", "dataType"]),
    "dataset-name-not-text": (_doc(name=5), ["dataset name must be text"]),
    "dataset-label-not-text": (_doc(label=[1]), ["dataset label must be text"]),
    "lone-surrogate": (_doc(("rows", 0, 0), "\ud800"), ["record 1", "variable USUBJID", "surrogate"]),
    "deep-nesting": ('{"columns": ' + "[" * 100000 + "]" * 100000 + "}", ["nested too deeply"]),
}


def _adam(*args):
    return subprocess.run([sys.executable, "-m", "adam.cli", *map(str, args)], capture_output=True, text=True)


def _one_line(res, *needles):
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("adam: error: "), res.stderr
    assert "internal error" not in res.stderr and "Traceback" not in res.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


@pytest.mark.parametrize("name", SHAPES)
def test_dataset_json_shapes(tmp_path, name):
    text, needles = SHAPES[name]
    path = tmp_path / f"{name}.json"
    path.write_text(text, encoding="utf-8")
    _one_line(_adam("convert", path, tmp_path / "out.xpt"), path.name, *needles)
    assert not (tmp_path / "out.xpt").exists()


def _small(tmp_path):
    ds = Dataset("DM", pd.DataFrame({"USUBJID": ["S1", "S2"], "AGE": [50.0, 60.0]}), "Demographics")
    return write_dataset(ds, tmp_path / "dm.xpt")


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("suffix", [".json", ".xpt"])
def test_disk_full_names_the_file(tmp_path, monkeypatch, capsys, suffix):
    source = _small(tmp_path)
    if suffix == ".json":
        import adam.io.datasetjson as datasetjson
        monkeypatch.setattr(datasetjson.json, "dump", _enospc)
    else:
        from adam.io import direct
        monkeypatch.setattr(direct.DirectWriter, "write", _enospc)
    target = tmp_path / f"out{suffix}"
    assert cli.main(["convert", str(source), str(target)]) == 2
    line = capsys.readouterr().err.strip()
    assert "\n" not in line and "internal error" not in line, line
    assert str(target) in line and "No space left on device" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dm.xpt"]      # no output, no temporary


def test_disk_full_in_derive_names_the_dataset(tmp_path, monkeypatch, capsys):
    from adam import pipeline
    from adam.io import xpt

    pipeline.synth("tourmaline-mm4", tmp_path / "sdtm", n_subjects=40)
    monkeypatch.setattr(xpt, "write_prepared_to", _enospc)       # the forked writer's call
    assert cli.main(["derive", "--study", "tourmaline-mm4", "--sdtm", str(tmp_path / "sdtm"),
                     "--out", str(tmp_path / "adam")]) == 2
    line = capsys.readouterr().err.strip()
    assert "\n" not in line and "No space left on device" in line and "internal error" not in line
    assert str(tmp_path / "adam" / "adsl.xpt") in line or str(tmp_path / "adam" / "adtte.xpt") in line
    assert not (tmp_path / "adam").exists()


def test_no_warning_before_the_line(tmp_path, monkeypatch, capfd):
    import adam.io

    def warn_then_fail(path, *args, **kwargs):
        warnings.warn("Downcasting object dtype arrays is deprecated", FutureWarning)
        raise InputError("broken", file=path)

    monkeypatch.setattr(adam.io, "read_dataset", warn_then_fail)
    assert cli.main(["convert", str(tmp_path / "a.xpt"), str(tmp_path / "b.json")]) == 2
    err = capfd.readouterr().err
    assert err.splitlines() == [f"adam: error: {tmp_path / 'a.xpt'}: broken"], err


@pytest.mark.parametrize("head", [
    b"HEADER RECORD*******LIBV8   HEADER RECORD!!!!!!!000000000000000000000000000000  ",
    b"**COMPRESSED** **COMPRESSED** **COMPRESSED** **COMPRESSED** **COMPRESSED********",
])
def test_v8_and_cport(tmp_path, head):
    path = tmp_path / "ae.xpt"
    path.write_bytes(head + b" " * 800)
    with pytest.raises(InputError, match=r"SAS V8 transport \(or CPORT\) is not supported: "):
        read_dataset(path)
    _one_line(_adam("convert", path, tmp_path / "ae.json"), "ae.xpt", "SAS V8 transport (or CPORT) is not supported")
