"""Issue 21 items 1-7: files from other tools (and adamant's own) read and written exactly,
or refused with exit 2 and one line naming file, record and variable. Each test builds
the file that showed the problem."""

from __future__ import annotations

import json
import struct

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from adam import cli
from adam.errors import InputError
from adam.io import read_dataset, write_dataset
from adam.io.xpt import read_xpt, read_xpt_pyreadstat, xpt_members
from adam.metadata import CHAR, NUM, Dataset, Variable

OBS_HEADER = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!"
LARGEST_IBM = (1 - 2.0 ** -53) * 16.0 ** 63          # 0x7FFFFFFFFFFFFFFF as TS-140's xpt2ieee reads it


def obs_start(raw: bytes) -> int:
    return raw.index(OBS_HEADER) + 80


def adam(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line(capsys, args, *needles) -> str:
    code, _, err = adam(capsys, *args)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "internal error" not in err and "Traceback" not in err, err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# ------------------------------------------------------------------ item 1: cp1252 text
def test_cp1252_values_and_labels_ending_in_non_ascii_read_whole(tmp_path, capsys):
    """The file `adam convert --encoding cp1252` writes: its only non-ASCII characters end
    values and labels ('Café' in a 4-byte field fills it: the é byte 0xE9 is a UTF-8 lead
    byte at the field's end). It reads back whole, not as 'Caf'."""
    doc = {"datasetJSONVersion": "1.1.0", "name": "AE", "label": "Effets indésirables", "records": 3,
           "columns": [{"itemOID": "IT.AETERM", "name": "AETERM", "label": "Terme rapporté", "dataType": "string",
                        "length": 8},
                       {"itemOID": "IT.AEDECOD", "name": "AEDECOD", "label": "Café", "dataType": "string",
                        "length": 4}],
           "rows": [["Fatigué", "Café"], ["Nausée", "Thé"], ["Toux", None]]}
    source = tmp_path / "ae.json"
    source.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert adam(capsys, "convert", source, tmp_path / "ae.xpt", "--encoding", "cp1252")[0] == 0
    raw = (tmp_path / "ae.xpt").read_bytes()
    assert b"Fatigu\xe9 Caf\xe9" in raw and b"Caf\xe9" + b" " * 36 in raw          # 1 byte per character
    ds = read_xpt(tmp_path / "ae.xpt")
    assert ds.encoding == "cp1252"
    assert ds.frame["AETERM"].tolist() == ["Fatigué", "Nausée", "Toux"]
    assert ds.frame["AEDECOD"].tolist() == ["Café", "Thé", np.nan]
    assert (ds.label, ds["AETERM"].label, ds["AEDECOD"].label) == ("Effets indésirables", "Terme rapporté", "Café")
    frame, meta = pyreadstat.read_xport(str(tmp_path / "ae.xpt"), encoding="cp1252")   # the reference
    assert frame["AETERM"].tolist() == ["Fatigué", "Nausée", "Toux"] and meta.column_labels[1] == "Café"
    assert adam(capsys, "convert", tmp_path / "ae.xpt", tmp_path / "back.json")[0] == 0
    back = json.loads((tmp_path / "back.json").read_text(encoding="utf-8"))
    assert back["rows"] == doc["rows"] and back["label"] == doc["label"]
    assert [c["label"] for c in back["columns"]] == ["Terme rapporté", "Café"]


def _with_bytes(tmp_path, values: list[bytes], length: int, name="t.xpt"):
    path = tmp_path / name
    write_dataset(Dataset("T", pd.DataFrame({"C": ["x"] * len(values)}), "", [Variable("C", "", CHAR, length)]), path)
    raw = path.read_bytes()
    body = b"".join(v.ljust(length, b" ") for v in values)
    path.write_bytes(raw[:obs_start(raw)] + body + b" " * (-len(body) % 80))
    return path


@pytest.mark.parametrize("values, length, encoding, expected", [
    ([b"Caf\xe9"], 4, "cp1252", ["Café"]),                          # é at the field's end, no UTF-8 anywhere
    ([b"Caf\xe9"], 8, "cp1252", ["Café"]),
    ([b"Caf\xc3\xa9", b"abcd\xc3"], 5, "utf-8", ["Café", "abcd"]),  # UTF-8 'é' whole elsewhere: a SAS cut
    ([b"\xc3\xa9t\xc3\xa9"], 6, "utf-8", ["été"]),
    ([b"\xe9t\xe9", b"na\xefve"], 6, "cp1252", ["été", "naïve"]),
])
def test_encoding_is_decided_per_file(tmp_path, values, length, encoding, expected):
    path = _with_bytes(tmp_path, values, length)
    ds = read_xpt(path)
    assert ds.encoding == encoding and ds.frame["C"].tolist() == expected
    reference = read_xpt_pyreadstat(path, encoding=encoding)
    pd.testing.assert_frame_equal(ds.frame, reference.frame, check_exact=True)


def test_text_neither_utf8_nor_cp1252_names_variable_and_record(tmp_path, capsys):
    path = _with_bytes(tmp_path, [b"ok", b"ok", b"ab\x81\xff"], 8)
    one_line(capsys, ["convert", path, tmp_path / "o.json"], "t.xpt", "record 3", "variable C",
             "neither UTF-8 nor cp1252")


# ------------------------------------------------------------------ item 2: fractions of days and seconds
def _fractional(tmp_path):
    frame = pd.DataFrame({
        "ADT": [21000.5, 21000.0, np.nan, -1.25],
        "ADTM": [1.5e9 + 0.25, 1.5e9, 86400.001, np.nan],
        "ATM": [3600.25, 0.0, np.nan, 86399.5],
        "DTW": [21001.0, 21002.0, np.nan, 0.0],      # whole days: ISO dates as before
    })
    # written by pyreadstat (another writer), SAS numbers as they are
    path = tmp_path / "adx.xpt"
    pyreadstat.write_xport(frame, str(path), table_name="ADX", file_format_version=5,
                           variable_format={"ADT": "DATE9.", "ADTM": "DATETIME20.", "ATM": "TIME8.",
                                            "DTW": "DATE9."})
    return path, frame


def test_fractional_dates_datetimes_and_times_survive_every_round_trip(tmp_path, capsys):
    path, frame = _fractional(tmp_path)
    assert adam(capsys, "convert", path, tmp_path / "adx.json")[0] == 0
    doc = json.loads((tmp_path / "adx.json").read_text(encoding="utf-8"))
    cols = {c["name"]: c for c in doc["columns"]}
    assert cols["ADT"]["dataType"] == "double" and cols["ADT"]["displayFormat"] == "DATE9."
    assert "targetDataType" not in cols["ADT"]
    assert [r[0] for r in doc["rows"]] == [21000.5, 21000, None, -1.25]
    assert [r[1] for r in doc["rows"]] == [1.5e9 + 0.25, 1500000000, 86400.001, None]
    assert [r[2] for r in doc["rows"]] == [3600.25, 0, None, 86399.5]
    assert cols["DTW"]["dataType"] == "date" and cols["DTW"]["targetDataType"] == "integer"
    assert [r[3] for r in doc["rows"]] == ["2017-07-01", "2017-07-02", None, "1960-01-01"]
    for chain in (["adx.json", "back.xpt"], ["adx.json", "back.json", "back2.xpt"]):
        previous = tmp_path / "adx.json"
        for name in chain[1:]:
            assert adam(capsys, "convert", previous, tmp_path / name)[0] == 0
            previous = tmp_path / name
        numbers, _ = pyreadstat.read_xport(str(previous), disable_datetime_conversion=True)
        pd.testing.assert_frame_equal(numbers, frame, check_exact=True)
    assert adam(capsys, "convert", path, tmp_path / "same.xpt")[0] == 0       # XPT -> XPT
    numbers, _ = pyreadstat.read_xport(str(tmp_path / "same.xpt"), disable_datetime_conversion=True)
    pd.testing.assert_frame_equal(numbers, frame, check_exact=True)
    ds = read_dataset(path)
    assert ds.frame["ADT"].iloc[0] == pd.Timestamp("2017-06-30 12:00")
    assert ds.frame["ADTM"].iloc[0] == pd.Timestamp("1960-01-01") + pd.Timedelta(seconds=1.5e9, milliseconds=250)


def test_compare_sees_differences_below_a_day_and_a_second(tmp_path, capsys):
    path, frame = _fractional(tmp_path)
    frame["ID"] = [1.0, 2.0, 3.0, 4.0]
    for name, shift in [("day.xpt", ("ADT", 0.25)), ("second.xpt", ("ADTM", 0.001)), ("same.xpt", None)]:
        other = frame.copy()
        if shift:
            other.loc[1, shift[0]] += shift[1]
        pyreadstat.write_xport(other, str(tmp_path / name), table_name="ADX", file_format_version=5,
                               variable_format={"ADT": "DATE9.", "ADTM": "DATETIME20.", "ATM": "TIME8.",
                                                "DTW": "DATE9."})
    code, out, _ = adam(capsys, "compare", tmp_path / "same.xpt", tmp_path / "day.xpt", "--keys", "ID")
    assert code == 1 and "ADT" in out
    code, out, _ = adam(capsys, "compare", tmp_path / "same.xpt", tmp_path / "second.xpt", "--keys", "ID")
    assert code == 1 and "ADTM" in out
    assert adam(capsys, "compare", tmp_path / "same.xpt", tmp_path / "same.xpt", "--keys", "ID")[0] == 0


# ------------------------------------------------------------------ item 3: SAS's largest number
def _largest(tmp_path):
    path = tmp_path / "big.xpt"
    write_dataset(Dataset("BIG", pd.DataFrame({"X": [1.0, 2.0, 3.0]}), "", [Variable("X", "", NUM, 8)]), path)
    raw = bytearray(path.read_bytes())
    start = obs_start(raw)
    raw[start:start + 8] = b"\x7f" + b"\xff" * 7        # what SAS 9.4 writes for its largest number
    raw[start + 8:start + 16] = b"\xff" * 8             # and its negative
    path.write_bytes(bytes(raw))
    return path


def test_largest_ibm_number_is_finite_and_round_trips(tmp_path, capsys):
    path = _largest(tmp_path)
    assert read_xpt(path).frame["X"].tolist() == [LARGEST_IBM, -LARGEST_IBM, 3.0]
    assert read_xpt_pyreadstat(path).frame["X"].tolist() == [LARGEST_IBM, -LARGEST_IBM, 3.0]   # corrected
    assert adam(capsys, "convert", path, tmp_path / "big2.xpt")[0] == 0
    assert read_xpt(tmp_path / "big2.xpt").frame["X"].tolist() == [LARGEST_IBM, -LARGEST_IBM, 3.0]
    assert adam(capsys, "convert", path, tmp_path / "big.json")[0] == 0
    rows = json.loads((tmp_path / "big.json").read_text())["rows"]
    assert [r[0] for r in rows] == [LARGEST_IBM, -LARGEST_IBM, 3]
    assert adam(capsys, "convert", tmp_path / "big.json", tmp_path / "big3.xpt")[0] == 0
    assert read_xpt(tmp_path / "big3.xpt").frame["X"].tolist() == [LARGEST_IBM, -LARGEST_IBM, 3.0]


# ------------------------------------------------------------------ item 4: blank last observation
@pytest.mark.parametrize("length, rows, kept", [
    (80, ["A", None], 2), (100, ["A", None, None], 3), (200, [None], 1), (120, ["A", None], 2),
    (30, ["A", "B", None], 3),                     # 90 bytes + 70 of padding (2 blank pseudo-rows)
    (30, ["A", "B", None, None, None, None], 6),   # 180 bytes: 5 rows would leave 90 bytes of padding
    (40, ["A", None], 1),                          # 80 bytes: the blank row could be padding (TS-140)
])
def test_all_blank_observations_that_cannot_be_padding_are_kept(tmp_path, length, rows, kept):
    path = tmp_path / "b.xpt"
    write_dataset(Dataset("B", pd.DataFrame({"C": rows}), "", [Variable("C", "", CHAR, length)]), path)
    ds = read_xpt(path)
    assert [None if pd.isna(v) else v for v in ds.frame["C"]] == rows[:kept]
    pd.testing.assert_frame_equal(read_xpt_pyreadstat(path).frame, ds.frame, check_exact=True)


def test_blank_last_observation_survives_convert(tmp_path, capsys):
    path = tmp_path / "b.xpt"
    write_dataset(Dataset("B", pd.DataFrame({"C": ["A", None], "D": [None, None]}), "",
                          [Variable("C", "", CHAR, 60), Variable("D", "", CHAR, 60)]), path)
    assert adam(capsys, "convert", path, tmp_path / "b.json")[0] == 0
    assert json.loads((tmp_path / "b.json").read_text())["rows"] == [["A", None], [None, None]]


# ------------------------------------------------------------------ item 5: several members
def _two_members(tmp_path):
    write_dataset(Dataset("DM", pd.DataFrame({"USUBJID": ["01", "02", "03"], "AGE": [30.0, 40.0, 50.0]})),
                  tmp_path / "dm.xpt")
    write_dataset(Dataset("AE", pd.DataFrame({"AETERM": ["HEADACHE", "NAUSEA"]})), tmp_path / "ae.xpt")
    path = tmp_path / "both.xpt"
    path.write_bytes((tmp_path / "dm.xpt").read_bytes() + (tmp_path / "ae.xpt").read_bytes()[3 * 80:])
    return path


def test_several_members_are_refused_naming_them_or_read_one_by_one(tmp_path, capsys):
    path = _two_members(tmp_path)
    assert xpt_members(path) == ["DM", "AE"]
    one_line(capsys, ["convert", path, tmp_path / "o.json"], "both.xpt", "2 members (DM, AE)", "--member")
    assert not (tmp_path / "o.json").exists()
    for member, frame in [("AE", pd.DataFrame({"AETERM": ["HEADACHE", "NAUSEA"]}, dtype=object)),
                          ("dm", pd.DataFrame({"USUBJID": ["01", "02", "03"], "AGE": [30.0, 40.0, 50.0]}))]:
        assert adam(capsys, "convert", path, tmp_path / f"{member}.json", "--member", member)[0] == 0
        ds = read_dataset(tmp_path / f"{member}.json")
        assert ds.name == member.upper()
        pd.testing.assert_frame_equal(ds.frame, frame.astype({"USUBJID": object} if "USUBJID" in frame else {}))
    one_line(capsys, ["convert", path, tmp_path / "x.json", "--member", "VS"], "no member 'VS'", "DM, AE")


def test_member_header_found_inside_the_rows(tmp_path):
    # 10-byte rows: the second member's header lies inside what the first member's rows would be
    write_dataset(Dataset("A", pd.DataFrame({"C": ["x" * 10] * 9})), tmp_path / "a.xpt")
    write_dataset(Dataset("B", pd.DataFrame({"C": ["y"]})), tmp_path / "b.xpt")
    path = tmp_path / "ab.xpt"
    path.write_bytes((tmp_path / "a.xpt").read_bytes() + (tmp_path / "b.xpt").read_bytes()[240:])
    with pytest.raises(InputError, match=r"2 members \(A, B\)"):
        read_xpt(path)
    assert read_xpt(path, member="A").frame["C"].tolist() == ["x" * 10] * 9
    assert read_xpt(path, member="B").frame["C"].tolist() == ["y"]


# ------------------------------------------------------------------ item 6: Dataset-JSON values
BASE = {"datasetJSONVersion": "1.1.0", "name": "DM", "label": "Demographics", "records": 2,
        "columns": [{"itemOID": "IT.USUBJID", "name": "USUBJID", "label": "Subject", "dataType": "string",
                     "length": 8},
                    {"itemOID": "IT.AGE", "name": "AGE", "label": "Age", "dataType": "double"}],
        "rows": [["S1", 50], ["S2", 60]]}


@pytest.mark.parametrize("text, needles", [
    (json.dumps(BASE).replace("60]", "Infinity]"), ["record 2", "variable AGE", "Infinity"]),
    (json.dumps(BASE).replace("60]", "-Infinity]"), ["record 2", "variable AGE", "-Infinity"]),
    (json.dumps(BASE).replace("60]", "NaN]"), ["record 2", "variable AGE", "NaN"]),
    (json.dumps(BASE).replace("60]", "1e400]"), ["record 2", "variable AGE", "out of range"]),
    (json.dumps(BASE).replace("60]", '"1e400"]'), ["record 2", "variable AGE", "out of range"]),
    (json.dumps(BASE).replace("60]", "true]"), ["record 2", "variable AGE", "boolean"]),
    (json.dumps(BASE).replace('"S1"', "false"), ["record 1", "variable USUBJID", "boolean"]),
    (json.dumps(BASE).replace('"S1"', "12"), ["record 1", "variable USUBJID", "a number (12)"]),
    (json.dumps(BASE).replace("60]", "9007199254740993]"), ["record 2", "variable AGE", "exactly"]),
    (json.dumps(BASE).replace(', "dataType": "double"', ""), ["column 2", "variable AGE", "no dataType"]),
])
def test_json_values_a_sas_dataset_cannot_hold_are_refused(tmp_path, capsys, text, needles):
    path = tmp_path / "dm.json"
    path.write_text(text, encoding="utf-8")
    one_line(capsys, ["convert", path, tmp_path / "dm.xpt"], "dm.json", *needles)
    assert not (tmp_path / "dm.xpt").exists()


def test_nul_in_json_text_reads_exactly_and_is_refused_by_xpt(tmp_path, capsys):
    doc = json.loads(json.dumps(BASE))
    doc["rows"][1][0] = "S\u00002"
    path = tmp_path / "dm.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert read_dataset(path).frame["USUBJID"].tolist() == ["S1", "S\x002"]
    assert adam(capsys, "convert", path, tmp_path / "copy.json")[0] == 0
    assert json.loads((tmp_path / "copy.json").read_text())["rows"][1][0] == "S\x002"
    one_line(capsys, ["convert", path, tmp_path / "dm.xpt"], "record 2", "variable USUBJID", "NUL")
    assert not (tmp_path / "dm.xpt").exists()


# ------------------------------------------------------------------ item 7: character ISO dates
def test_character_iso_dates_stay_character_without_a_numeric_format(tmp_path, capsys):
    doc = {"datasetJSONVersion": "1.1.0", "name": "AE", "label": "Adverse Events", "records": 2,
           "columns": [{"itemOID": "IT.AE.USUBJID", "name": "USUBJID", "label": "Subject", "dataType": "string",
                        "length": 8},
                       {"itemOID": "IT.AE.AESTDTC", "name": "AESTDTC", "label": "Start", "dataType": "date"},
                       {"itemOID": "IT.AE.AEDTM", "name": "AEDTM", "label": "Start time", "dataType": "datetime",
                        "length": 19},
                       {"itemOID": "IT.AE.ASTDT", "name": "ASTDT", "label": "Analysis Start Date",
                        "dataType": "date", "targetDataType": "integer", "displayFormat": "E8601DA."},
                       {"itemOID": "IT.AE.ASTTM", "name": "ASTTM", "label": "Analysis Start Time",
                        "dataType": "time", "targetDataType": "integer"}],
           "rows": [["CDISC001", "2012-12-02", "2012-12-02T10:00:00", "2012-12-02", "10:30:15"],
                    ["CDISC002", "2013-01", None, None, None]]}
    path = tmp_path / "ae.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    ds = read_dataset(path)
    assert (ds["AESTDTC"].type, ds["AESTDTC"].format, ds["AEDTM"].type, ds["AEDTM"].format) == (CHAR, None, CHAR, None)
    assert ds.frame["AESTDTC"].tolist() == ["2012-12-02", "2013-01"]       # partial dates kept as they are
    assert (ds["ASTDT"].type, ds["ASTDT"].format, ds["ASTTM"].format) == (NUM, "E8601DA.", "TIME8.")
    assert adam(capsys, "convert", path, tmp_path / "ae.xpt")[0] == 0
    frame, meta = pyreadstat.read_xport(str(tmp_path / "ae.xpt"), disable_datetime_conversion=True)
    assert meta.readstat_variable_types["AESTDTC"] == "string"
    assert meta.original_variable_types["AESTDTC"] in ("$", "", None)      # no numeric format
    assert meta.original_variable_types["AEDTM"] in ("$", "", None)
    assert meta.original_variable_types["ASTDT"] == "E8601DA"
    assert frame["ASTDT"].iloc[0] == 19329.0 and frame["ASTTM"].iloc[0] == 10 * 3600 + 30 * 60 + 15
