"""SAS XPT v5 reading and writing: pilot files, round trips, v5 rules, bad files."""

import struct

import numpy as np
import pandas as pd
import pytest

from adam.errors import InputError, XptRuleError
from adam.io import read_dataset, read_sdtm, write_dataset
from adam.io.xpt import ieee_to_ibm
from adam.metadata import CHAR, NUM, Dataset, Variable

# rows x columns of the public CDISC pilot SDTM (PHUSE scripts copy)
PILOT_SHAPES = {
    "ae": (1191, 35), "cm": (7510, 21), "dm": (306, 25), "ds": (596, 13), "ex": (591, 17),
    "mh": (1818, 19), "relrec": (234, 7), "sc": (254, 14), "se": (752, 9),
    "suppae": (1191, 10), "suppdm": (1197, 10), "suppds": (3, 10), "sv": (3559, 8),
    "ta": (8, 10), "te": (7, 7), "ti": (31, 6), "ts": (33, 6), "tv": (21, 9),
}


def test_every_pilot_file_reads_with_its_shape(pilot_sdtm_dir):
    datasets = read_sdtm(pilot_sdtm_dir)
    assert {k: v.frame.shape for k, v in datasets.items()} == PILOT_SHAPES


@pytest.mark.smoke
def test_pilot_dm_metadata(pilot_sdtm_dir):
    dm = read_dataset(pilot_sdtm_dir / "dm.xpt")
    assert dm.name == "DM"
    assert dm["AGE"] == Variable("AGE", "Age", NUM, 8, None)
    assert dm["USUBJID"] == Variable("USUBJID", "Unique Subject Identifier", CHAR, 11, None)
    assert dm["RACE"].length == 78
    assert dm.frame["AGE"].dtype == np.float64
    # blank character values are missing, not ''
    assert dm.frame["DTHDTC"].notna().sum() == (dm.frame["DTHFL"] == "Y").sum() == 3
    assert not (dm.frame.select_dtypes(object) == "").any().any()
    assert dm.frame.loc[0, "USUBJID"] == "01-701-1015"


def test_cp1252_text_is_decoded(pilot_sdtm_dir):
    ts = read_dataset(pilot_sdtm_dir / "ts.xpt")
    assert ts.encoding == "cp1252"
    assert "Alzheimer\u2019s" in ts.frame.loc[ts.frame.TSPARMCD == "INDIC", "TSVAL"].iloc[0]


def test_cp1252_written_only_on_request(pilot_sdtm_dir, tmp_path):
    ts = read_dataset(pilot_sdtm_dir / "ts.xpt")
    with pytest.raises(XptRuleError, match=r"dataset TS: record 9: variable TSVAL: .*not ASCII"):
        write_dataset(ts, tmp_path / "ts.xpt")
    assert not (tmp_path / "ts.xpt").exists()
    write_dataset(ts, tmp_path / "ts.xpt", encoding="cp1252")
    back = read_dataset(tmp_path / "ts.xpt")
    pd.testing.assert_frame_equal(back.frame, ts.frame)


def test_ibm_float_known_values():
    # values from the SAS transport documentation (TS-140)
    expected = {1.0: 0x4110000000000000, -1.0: 0xC110000000000000, 0.0: 0,
                2.0: 0x4120000000000000, 3.0: 0x4130000000000000, 0.5: 0x4080000000000000,
                16.0: 0x4210000000000000, 0.1: 0x401999999999999A}
    got = ieee_to_ibm(np.array(list(expected)))
    assert [int(v) for v in got] == list(expected.values())
    assert int(ieee_to_ibm(np.array([np.nan]))[0]) == 0x2E << 56


def test_ibm_float_edges():
    """Signed zero, subnormals and values under the IBM range are 0; infinities are
    missing; the largest IBM number is kept and anything above it is refused."""
    got = ieee_to_ibm(np.array([-0.0, 5e-324, 1e-79, 5.4e-79, np.inf, -np.inf, 7.2e75, -7.2e75]))
    assert [int(v) for v in got[:3]] == [0, 0, 0]
    assert int(got[3]) >> 56 == 0x00 and int(got[3]) != 0          # smallest exponent, kept
    assert [int(v) for v in got[4:6]] == [0x2E << 56] * 2
    assert int(got[6]) >> 56 == 0x7F and int(got[7]) >> 56 == 0xFF
    assert ieee_to_ibm(np.array([1.0, 7.3e75])) is None


def test_ibm_float_blocks_agree():
    """Converted a block at a time: any block size gives the same words, and an overflow
    in a later block is still found."""
    rng = np.random.default_rng(11)
    values = np.concatenate([rng.normal(size=1000) * 10.0 ** rng.integers(-70, 70, 1000), [np.nan, 0.0]])
    whole = ieee_to_ibm(values, block=len(values))
    for block in (1, 7, 64, 999):
        np.testing.assert_array_equal(ieee_to_ibm(values, block=block), whole)
    assert ieee_to_ibm(np.append(values, 7.3e75), block=64) is None


def test_number_beyond_ibm_range_is_refused_with_its_record(tmp_path):
    """The writer converts numbers a block at a time while writing, but a value the IBM
    format cannot hold (|x| >= 16**63, or infinite: writing it as missing would change the
    data, issue 21) is refused before a byte is written, naming variable and record; the
    largest holdable value and missing pass."""
    ok = pd.DataFrame({"AVAL": [np.nextafter(16.0 ** 63, 0), -np.nextafter(16.0 ** 63, 0), np.nan]})
    write_dataset(Dataset("OK", ok, "", [Variable("AVAL", "", NUM, 8)]), tmp_path / "ok.xpt")
    back = read_dataset(tmp_path / "ok.xpt").frame["AVAL"]
    assert back.iloc[0] == pytest.approx(16.0 ** 63, rel=1e-15) and back.iloc[1] == -back.iloc[0]
    assert back.iloc[2:].isna().all()
    for values, record, message in [([1.0, 2.0, -16.0 ** 63], 3, "too large for a SAS transport number"),
                                    ([1.0, np.inf, 2.0], 2, "value inf is infinite"),
                                    ([-np.inf], 1, "value -inf is infinite")]:
        with pytest.raises(XptRuleError, match=message) as err:
            write_dataset(Dataset("BAD", pd.DataFrame({"AVAL": values}), "", [Variable("AVAL", "", NUM, 8)]),
                          tmp_path / "bad.xpt")
        assert err.value.record == record and err.value.variable == "AVAL"
        assert not (tmp_path / "bad.xpt").exists()


@pytest.mark.smoke
def test_categorical_text_writes_as_its_values(tmp_path):
    """A categorical column (as synth builds and the coded reader gives) is written as
    its values; categories no row uses neither widen the variable nor appear."""
    cat = pd.Categorical(["b", None, "b", "dd"], categories=["a" * 30, "b", "c", "dd"])
    ds = Dataset("CAT", pd.DataFrame({"X": cat}), "", [Variable("X", "", CHAR)])
    write_dataset(ds, tmp_path / "cat.xpt")
    back = read_dataset(tmp_path / "cat.xpt")
    assert back.frame["X"].fillna("-").tolist() == ["b", "-", "b", "dd"]
    assert back.variables[0].length == 2


def _frame_all_kinds():
    return pd.DataFrame({
        "USUBJID": ["S-1", "S-2", np.nan, "S-4"],
        "LONGTXT": ["x" * 200, "short", np.nan, "tail  "],
        "AVAL": [1.5, np.nan, -3.25e-5, 123456789.123456789],
        "ADT": pd.to_datetime(["2020-02-29", None, "1899-12-31", "2101-01-01"]),
        "ADTM": pd.to_datetime(["2020-02-29 13:45:10", None, "1960-01-01 00:00:00", "2000-01-01 23:59:59"]),
    })


@pytest.mark.smoke
def test_round_trip_values_and_metadata(tmp_path):
    frame = _frame_all_kinds()
    variables = [Variable("USUBJID", "Unique Subject Identifier", CHAR, 20),
                 Variable("LONGTXT", "Long text", CHAR, 200),
                 Variable("AVAL", "Analysis Value", NUM, 8, "8.3"),
                 Variable("ADT", "Analysis Date", NUM, 8, "DATE9."),
                 Variable("ADTM", "Analysis Datetime", NUM, 8, "DATETIME20.")]
    ds = Dataset("ADX", frame, "Analysis X", variables)
    write_dataset(ds, tmp_path / "adx.xpt")
    back = read_dataset(tmp_path / "adx.xpt")
    assert back.label == "Analysis X"
    assert back.variables == [Variable("USUBJID", "Unique Subject Identifier", CHAR, 20),
                              Variable("LONGTXT", "Long text", CHAR, 200),
                              Variable("AVAL", "Analysis Value", NUM, 8, "8.3"),
                              Variable("ADT", "Analysis Date", NUM, 8, "DATE9."),
                              Variable("ADTM", "Analysis Datetime", NUM, 8, "DATETIME20.")]
    # read back by the frame conventions (pandas 3 builds str and datetime64[us] columns)
    expected = frame.astype({"USUBJID": object, "LONGTXT": object, "ADT": "datetime64[ns]",
                             "ADTM": "datetime64[ns]"})
    expected.loc[3, "LONGTXT"] = "tail"  # SAS keeps no trailing blanks
    pd.testing.assert_frame_equal(back.frame, expected)
    # and through Dataset-JSON and back to XPT: identical again
    write_dataset(back, tmp_path / "adx.json")
    via_json = read_dataset(tmp_path / "adx.json")
    write_dataset(via_json, tmp_path / "adx2.xpt")
    again = read_dataset(tmp_path / "adx2.xpt")
    assert again.variables == back.variables and again.label == back.label
    pd.testing.assert_frame_equal(again.frame, back.frame)


def test_random_doubles_survive_exactly(tmp_path):
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.normal(size=500) * 10.0 ** rng.integers(-30, 30, 500),
                             [np.pi, -np.e, 1e-70, 1e70, 2.0 ** 52 + 1]])
    ds = Dataset("NUMS", pd.DataFrame({"X": values}))
    write_dataset(ds, tmp_path / "n.xpt")
    np.testing.assert_array_equal(read_dataset(tmp_path / "n.xpt").frame["X"].to_numpy(), values)


def test_special_missing_values_read_as_missing(tmp_path):
    ds = Dataset("SM", pd.DataFrame({"X": [1.0, 2.0, 3.0]}))
    path = tmp_path / "sm.xpt"
    write_dataset(ds, path)
    raw = bytearray(path.read_bytes())
    first = raw.index(struct.pack(">Q", 0x4110000000000000))  # the value 1.0
    raw[first:first + 8] = b"A" + b"\0" * 7                    # .A
    raw[first + 8:first + 16] = b"_" + b"\0" * 7                # ._
    path.write_bytes(bytes(raw))
    back = read_dataset(path).frame["X"]
    assert back.isna().tolist() == [True, True, False] and back.iloc[2] == 3.0


@pytest.mark.parametrize("change, pattern", [
    (lambda f, v: v.__setitem__(0, Variable("TOOLONGNAME", "x", CHAR, 3)), r"variable TOOLONGNAME: .*name"),
    (lambda f, v: setattr(v[0], "label", "L" * 41), r"variable USUBJID: label is 41 characters"),
    (lambda f, v: f.__setitem__("USUBJID", ["ok", "x" * 201]), r"record 2: variable USUBJID: value is 201 bytes"),
    (lambda f, v: f.__setitem__("USUBJID", ["ok", "caf\u00e9"]), r"record 2: variable USUBJID: value 'caf\u00e9' is not ASCII"),
    (lambda f, v: setattr(v[0], "length", 1), r"record 1: variable USUBJID: value is 2 bytes, longer than the declared length 1"),
])
def test_v5_rules_name_dataset_variable_record(tmp_path, change, pattern):
    frame = pd.DataFrame({"USUBJID": ["ok", "fine"]})
    variables = [Variable("USUBJID", "Subject", CHAR, None)]
    change(frame, variables)
    if variables[0].name != "USUBJID":
        frame = frame.rename(columns={"USUBJID": variables[0].name})
    ds = Dataset("DM", frame, "", variables)
    with pytest.raises(XptRuleError, match=r"dataset DM: " + pattern):
        write_dataset(ds, tmp_path / "dm.xpt")
    assert list(tmp_path.iterdir()) == []  # nothing partial left behind


def test_dataset_name_rule(tmp_path):
    with pytest.raises(XptRuleError, match="dataset name 'TOOLONGDS'"):
        write_dataset(Dataset("TOOLONGDS", pd.DataFrame({"A": [1.0]})), tmp_path / "x.xpt")


@pytest.mark.parametrize("content, message", [
    (b"", "empty file"),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n" * 10, "not a SAS transport"),
])
def test_unreadable_files(tmp_path, content, message):
    path = tmp_path / "bad.xpt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        read_dataset(path)
    assert str(path) in str(info.value)


def test_truncated_file(tmp_path, pilot_sdtm_dir):
    data = (pilot_sdtm_dir / "dm.xpt").read_bytes()
    path = tmp_path / "dm.xpt"
    path.write_bytes(data[: len(data) // 2 + 17])
    with pytest.raises(InputError, match="truncated"):
        read_dataset(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_dataset(tmp_path / "nope.xpt")
    with pytest.raises(InputError, match="SDTM folder not found"):
        read_sdtm(tmp_path / "nope")
    with pytest.raises(InputError, match="no .xpt or .json"):
        read_sdtm(tmp_path)


def test_output_never_overwrites_input(tmp_path, pilot_sdtm_dir):
    from adam.errors import OutputError
    src = tmp_path / "dm.xpt"
    src.write_bytes((pilot_sdtm_dir / "dm.xpt").read_bytes())
    before = src.read_bytes()
    with pytest.raises(OutputError, match="overwrite an input"):
        write_dataset(read_dataset(src), src, inputs=[src])
    assert src.read_bytes() == before
