"""Seeded mutation fuzz of the XPT and Dataset-JSON readers (issue 21), bounded in time
(``ADAMANT_FUZZ_SECONDS``, default 3 s per format; the seed is printed on failure).

Every mutant must either read, with values equal to a reference reader's (pyreadstat,
corrected for its documented departures, for XPT; Python's ``json`` for Dataset-JSON),
or fail with an :class:`InputError` whose message is one line; never another exception.
A sample of the mutants also goes through ``adam convert``: exit 0 or exit 2 with one
line on stderr, never "internal error".
"""

from __future__ import annotations

import json
import math
import os
import random
import time

import numpy as np
import pandas as pd
import pytest

from adam import cli
from adam.errors import InputError
from adam.io import read_dataset, write_dataset
from adam.io.xpt import read_xpt, read_xpt_pyreadstat
from adam.metadata import CHAR, NUM, Dataset, Variable, format_kind

SECONDS = float(os.environ.get("ADAMANT_FUZZ_SECONDS", "3"))
SEED = int(os.environ.get("ADAMANT_FUZZ_SEED", "21"))


def _one_line(exc: Exception) -> None:
    assert isinstance(exc, InputError), f"{type(exc).__name__}: {exc}"
    assert "\n" not in str(exc) and str(exc).strip(), repr(str(exc))


def _run_cli(capsys, source, target) -> int:
    code = cli.main(["convert", str(source), str(target)])
    err = capsys.readouterr().err
    assert code in (0, 2), (code, err)
    assert "internal error" not in err and "Traceback" not in err, err
    if code == 2:
        assert len(err.strip().splitlines()) == 1, err
    return code


# ------------------------------------------------------------------ XPT
def _xpt_seeds(folder):
    frame = pd.DataFrame({
        "USUBJID": ["S-001", "S-002", "Caf\u00e9", None, "S-005"],
        "AETERM": ["HEADACHE", "Fatigu\u00e9", "", "NAUSEA", "na\u00efve"],
        "AVAL": [1.5, -2.25e-5, np.nan, 1e70, 0.0],
        "ADT": pd.to_datetime(["2020-02-29", None, "1960-01-01", "1999-12-31T12:00:00", "2020-01-01"],
                              format="ISO8601"),
        "N3": [1.0, 2.0, 3.0, 4.0, 5.0],
    })
    variables = [Variable("USUBJID", "Subject", CHAR, 8), Variable("AETERM", "Term", CHAR, 12),
                 Variable("AVAL", "Value", NUM, 8), Variable("ADT", "Date", NUM, 8, "DATE9."),
                 Variable("N3", "Short", NUM, 3)]
    seeds = []
    for name, encoding in (("cp.xpt", "cp1252"), ("u8.xpt", "utf-8")):
        write_dataset(Dataset("AE", frame, "Adverse events", variables), folder / name, encoding=encoding)
        seeds.append((folder / name).read_bytes())
    write_dataset(Dataset("B", pd.DataFrame({"C": ["A", None, None]}), "", [Variable("C", "", CHAR, 90)]),
                  folder / "blank.xpt")
    seeds.append((folder / "blank.xpt").read_bytes())
    return seeds


def _mutate_xpt(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 4)):
        obs = min(data.find(b"HEADER RECORD*******OBS") + 80, len(data) - 1)
        if len(data) < 2:
            break
        kind = rng.random()
        if kind < 0.45:                                  # bytes of the observations
            at = rng.randrange(max(0, obs), len(data))
            data[at] = rng.choice([0x00, 0x20, 0x2E, 0x41, 0x7F, 0x80, 0x81, 0xA0, 0xC3, 0xE9, 0xFF,
                                   rng.randrange(256)])
        elif kind < 0.7:                                 # the namestr block and headers
            at = rng.randrange(0, max(1, obs))
            data[at] = rng.randrange(256)
        elif kind < 0.8:                                 # a whole IBM word
            if obs + 8 <= len(data):
                at = rng.randrange(obs, len(data) - 7)
                data[at:at + 8] = rng.choice([b"\x7f" + b"\xff" * 7, b"\xff" * 8, b"\0" * 8, b" " * 8,
                                              bytes(rng.randrange(256) for _ in range(8))])
        elif kind < 0.9:                                 # truncation / extension by whole records
            if rng.random() < 0.5 and len(data) > 160:
                data = data[:rng.randrange(80, len(data), 80)]
            else:
                data += b" " * 80 * rng.randint(1, 2)
        else:                                            # a byte cut (not a multiple of 80)
            data = data[:rng.randrange(1, len(data))]
    return bytes(data)


def _xpt_reference_equal(path, ours) -> None:
    reference = read_xpt_pyreadstat(path, encoding=ours.encoding)
    frame, expected = ours.frame, reference.frame
    short = [v.name for v in ours.variables if v.type == NUM and v.length < 3]   # pyreadstat: missing
    pd.testing.assert_frame_equal(frame.drop(columns=short), expected.drop(columns=short), check_exact=True)
    assert [(v.name, v.type, v.length) for v in ours.variables] == \
        [(v.name, v.type, v.length) for v in reference.variables]


def _without_unread_bytes(path, ours):
    """A copy of ``path`` with each namestr's informat name (bytes 72-79) blanked, and the
    bytes after a NUL in a text value (the text ends at the NUL) set to NUL."""
    raw = bytearray(path.read_bytes())
    start = raw.find(b"HEADER RECORD*******NAMESTR") + 80
    for k in range(len(ours.variables)):
        raw[start + 140 * k + 72:start + 140 * k + 80] = b" " * 8
    obs, width = raw.find(b"HEADER RECORD*******OBS") + 80, sum(v.length for v in ours.variables)
    for r in range(len(ours.frame)):
        at = obs + r * width
        for v in ours.variables:
            field = raw[at:at + v.length]
            if v.type == CHAR and b"\0" in field:
                cut = field.index(b"\0")
                raw[at + cut:at + v.length] = b"\0" * (v.length - cut)
            at += v.length
    copy = path.with_name("repaired.xpt")
    copy.write_bytes(bytes(raw))
    return copy


def test_fuzz_xpt(tmp_path, capsys):
    rng = random.Random(SEED)
    seeds = _xpt_seeds(tmp_path)
    path, deadline, n, read_ok = tmp_path / "m.xpt", time.monotonic() + SECONDS, 0, 0
    while time.monotonic() < deadline or n < 50:
        n += 1
        path.write_bytes(_mutate_xpt(rng.choice(seeds), rng))
        try:
            ours = read_xpt(path)
        except Exception as exc:          # noqa: BLE001 - the contract is on the type
            _one_line(exc)
            continue
        read_ok += 1
        try:
            _xpt_reference_equal(path, ours)
        except InputError:
            # pyreadstat cannot read what ours read: accepted only when the bytes that stop it
            # are ones adamant does not keep (informat names and the namestr's unused bytes,
            # which ReadStat decodes as text): blanked, the reference must read it as ours did
            _xpt_reference_equal(_without_unread_bytes(path, ours), ours)
        except AssertionError as exc:
            raise AssertionError(f"seed {SEED}, mutant {n}: {exc}") from exc
        if n % 25 == 0:
            _run_cli(capsys, path, tmp_path / f"o{n}.json")
    assert n >= 50 and read_ok > 0


# ------------------------------------------------------------------ Dataset-JSON
JSON_SEED = {
    "datasetJSONCreationDateTime": "2024-01-01T00:00:00", "datasetJSONVersion": "1.1.0",
    "itemGroupOID": "IG.ADAE", "records": 3, "name": "ADAE", "label": "Adverse Events",
    "columns": [
        {"itemOID": "IT.USUBJID", "name": "USUBJID", "label": "Subject", "dataType": "string", "length": 8},
        {"itemOID": "IT.AESEQ", "name": "AESEQ", "label": "Seq", "dataType": "integer"},
        {"itemOID": "IT.AVAL", "name": "AVAL", "label": "Value", "dataType": "double"},
        {"itemOID": "IT.BMI", "name": "BMI", "label": "BMI", "dataType": "decimal", "targetDataType": "decimal"},
        {"itemOID": "IT.ASTDT", "name": "ASTDT", "label": "Start", "dataType": "date", "targetDataType": "integer",
         "displayFormat": "E8601DA."},
        {"itemOID": "IT.ADTM", "name": "ADTM", "label": "Datetime", "dataType": "datetime",
         "targetDataType": "integer"},
        {"itemOID": "IT.AESTDTC", "name": "AESTDTC", "label": "Start (text)", "dataType": "date"},
        {"itemOID": "IT.ADY", "name": "ADY", "label": "SAS date", "dataType": "double", "displayFormat": "DATE9."},
    ],
    "rows": [["S-001", 1, 1.5, "30.898", "2014-01-02", "2014-01-02T10:00:00", "2014-01", 19725],
             ["S-002", 2, None, "28.9", None, None, "", 19725.5],
             ["Caf\u00e9", 3, -2.5e-7, None, "1960-01-01", "1960-01-01T00:00:00.25", "2014-01-02", None]],
}
CELLS = [None, "", "x", "\u0000", "\u00e9", 0, -1, 1.5, 1e308, 2 ** 53 + 1, 2 ** 70, True, False, [], {},
         "2014-02-30", "2014-01-02", "2014-01-02T25:00:00", "10:30", "NaN", "inf", "1e400", "1_0", " 12 ",
         "9999-12-31", "0001-01-01", 1e-400, -0.0, "\ud800"]
ATTRIBUTES = {"dataType": ["string", "integer", "double", "float", "decimal", "date", "datetime", "time",
                           "boolean", "URI", "x", None, 5],
              "targetDataType": ["integer", "decimal", None, "string", 3],
              "displayFormat": ["DATE9.", "DATETIME20.", "8.2", "$20.", None, "", 7],
              "length": [1, 8, 200, 0, -1, "8", None, 1.5], "name": ["X", "", None, 5, "USUBJID"]}


def _mutate_json(rng: random.Random) -> str:
    doc = json.loads(json.dumps(JSON_SEED))
    for _ in range(rng.randint(1, 3)):
        kind = rng.random()
        if kind < 0.55:
            row = rng.choice(doc["rows"])
            row[rng.randrange(len(row))] = rng.choice(CELLS)
        elif kind < 0.85:
            col = rng.choice(doc["columns"])
            key = rng.choice(list(ATTRIBUTES))
            value = rng.choice(ATTRIBUTES[key])
            if value is None:
                col.pop(key, None)
            else:
                col[key] = value
        elif kind < 0.9:
            doc["records"] = rng.choice([0, 2, 3, 4, "3", None])
        else:
            text = json.dumps(doc)
            token = rng.choice(["Infinity", "-Infinity", "NaN", "1e400", "true", "{", "]", '"\\u0000"'])
            at = rng.randrange(len(text))
            return text[:at] + token + text[at:]
    text = json.dumps(doc, ensure_ascii=rng.random() < 0.5, allow_nan=True)
    return text.replace('"\\ud800"', '"\\ud800"')


def _reference(text: str):
    """Python's json, strict (no Infinity/NaN): the document, or None when not JSON."""
    def constant(name):
        raise ValueError(name)
    try:
        return json.loads(text, parse_constant=constant)
    except (ValueError, RecursionError):
        return None


def _json_cell_equal(ours, ref, var: Variable, dtype: str) -> bool:
    if ref is None or (var.type == CHAR and ref == ""):
        return pd.isna(ours)
    if var.type == CHAR:
        return ours == ref
    if dtype in ("date", "datetime"):
        expected = pd.Timestamp(ref)
        if var.kind in ("date", "datetime"):
            return ours == expected
        days = (expected - pd.Timestamp("1960-01-01")) / pd.Timedelta(1, unit="D" if dtype == "date" else "s")
        return math.isclose(ours, days, rel_tol=0, abs_tol=1e-9)
    if dtype == "time":
        return isinstance(ours, float) and not math.isnan(ours)
    if var.kind in ("date", "datetime"):
        unit = "D" if var.kind == "date" else "s"
        return ours == pd.Timestamp("1960-01-01") + pd.to_timedelta(float(ref), unit=unit) or \
            abs((ours - pd.Timestamp("1960-01-01")) / pd.Timedelta(1, unit=unit) - float(ref)) < 1e-6
    return float(ours) == float(ref)


def test_fuzz_dataset_json(tmp_path, capsys):
    rng = random.Random(SEED)
    path, deadline, n, read_ok = tmp_path / "m.json", time.monotonic() + SECONDS, 0, 0
    while time.monotonic() < deadline or n < 100:
        n += 1
        text = _mutate_json(rng)
        try:
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        except UnicodeEncodeError:
            continue
        try:
            ours = read_dataset(path)
        except Exception as exc:          # noqa: BLE001 - the contract is on the type
            _one_line(exc)
            continue
        read_ok += 1
        doc = _reference(text)
        assert doc is not None, f"mutant {n} is not JSON but was read: {text[:200]}"
        types = [c["dataType"] for c in doc["columns"]]
        assert len(ours.frame) == len(doc["rows"])
        for j, (var, dtype) in enumerate(zip(ours.variables, types)):
            for r, row in enumerate(doc["rows"]):
                got = ours.frame[var.name].iloc[r]
                assert _json_cell_equal(got, row[j], var, dtype), \
                    f"seed {SEED}, mutant {n}: record {r + 1} {var.name} ({dtype}): {got!r} != {row[j]!r}"
        if n % 20 == 0:
            for suffix in (".xpt", ".json"):
                _run_cli(capsys, path, tmp_path / f"o{n}{suffix}")
    assert n >= 100 and read_ok > 0
