"""The numpy XPT reader against pyreadstat (the former reader) and hand-made files:
special missing values, SAS-truncated numerics, zero rows, blank padding, text
encodings, truncated files."""

from __future__ import annotations

import struct
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adam.errors import InputError
from adam.io import write_dataset, xpt
from adam.io.xpt import _TextCodes, ibm_to_ieee, ieee_to_ibm, read_xpt, read_xpt_pyreadstat
from adam.metadata import CHAR, NUM, Dataset, Variable
from tests.io.coders import CODERS, stream_coder

OBS_HEADER = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!"
def assert_same_dataset(path):
    """read_xpt and the pyreadstat reader give the same frame and metadata."""
    ours, reference = read_xpt(path), read_xpt_pyreadstat(path)
    pd.testing.assert_frame_equal(ours.frame, reference.frame, check_exact=True)
    assert ours.variables == reference.variables
    assert (ours.name, ours.label, ours.encoding) == (reference.name, reference.label, reference.encoding)
    return ours


def obs_start(raw: bytes) -> int:
    return raw.index(OBS_HEADER) + 80


@pytest.mark.parametrize("domain", ["ae", "cm", "dm", "ds", "ex", "mh", "relrec", "sc", "se", "suppae",
                                    "suppdm", "suppds", "sv", "ta", "te", "ti", "ts", "tv"])
def test_pilot_files_equal_pyreadstat(pilot_sdtm_dir, domain):
    assert_same_dataset(pilot_sdtm_dir / f"{domain}.xpt")


@pytest.mark.parametrize("coder", CODERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("domain", ["dm", "cm", "ts"])
def test_small_blocks_give_the_same_frames(pilot_sdtm_dir, monkeypatch, domain, coder):
    # runs of equal values and the last rows of the file cross block boundaries
    whole = read_xpt(pilot_sdtm_dir / f"{domain}.xpt")
    monkeypatch.setattr(xpt, "BLOCK_ROWS", 7)
    monkeypatch.setattr(xpt, "_STREAM_CODER", coder)
    pd.testing.assert_frame_equal(read_xpt(pilot_sdtm_dir / f"{domain}.xpt").frame, whole.frame)
    for coded in (read_xpt(pilot_sdtm_dir / f"{domain}.xpt", coded=True).frame,):
        pd.testing.assert_frame_equal(coded.astype({c: object for c in coded if coded[c].dtype == "category"}),
                                      whole.frame)
    assert_same_dataset(pilot_sdtm_dir / f"{domain}.xpt")


def test_last_row_ends_the_file(tmp_path, monkeypatch):
    # 10-byte rows x 8 = one 80-byte record: the file ends with the last 2-byte value
    frame = pd.DataFrame({"X": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0, 8.0],
                          "C": ["a", "b", "b", "cc", "d", np.nan, "e", "zz"]})
    path = tmp_path / "e.xpt"
    write_dataset(Dataset("E", frame, "", [Variable("X", "", NUM, 8), Variable("C", "", CHAR, 2)]), path)
    raw = path.read_bytes()
    assert len(raw) - obs_start(raw) == 80
    monkeypatch.setattr(xpt, "BLOCK_ROWS", 2)
    pd.testing.assert_frame_equal(assert_same_dataset(path).frame, frame.astype({"C": object}))


def test_pilot_ts_is_cp1252(pilot_sdtm_dir):
    ts = assert_same_dataset(pilot_sdtm_dir / "ts.xpt")
    assert ts.encoding == "cp1252"
    assert ts.frame["TSVAL"].str.contains("\u2019").any()


@pytest.fixture(scope="module")
def synthetic_sdtm(tmp_path_factory):
    from adam.synth import synthesize
    folder = tmp_path_factory.mktemp("sdtm")
    for name, ds in synthesize("tourmaline-mm3", n_subjects=300).items():
        write_dataset(ds, folder / f"{name}.xpt")
    return folder


def test_synthetic_sdtm_equals_pyreadstat(synthetic_sdtm):
    files = sorted(synthetic_sdtm.glob("*.xpt"))
    assert len(files) >= 10
    for path in files:
        ds = assert_same_dataset(path)
        assert len(ds.frame) > 0 and ds.encoding == "utf-8"


@pytest.mark.smoke
def test_dates_datetimes_and_formats_equal_pyreadstat(tmp_path):
    frame = pd.DataFrame({
        "ADT": pd.to_datetime(["2020-02-29", None, "1899-12-31", "1960-01-01"]),
        "ADTM": pd.to_datetime(["2020-02-29 13:45:10", None, "1959-12-31 23:59:59", "2000-01-01 00:00:00"]),
        "ISODT": pd.to_datetime(["2001-01-01", "2002-02-02", None, None]),
        "AVAL": [1.5, np.nan, -3.25e-5, 1e70],
        "N": [1.0, 2.0, 3.0, 4.0],
    })
    variables = [Variable("ADT", "Date", NUM, 8, "DATE9."), Variable("ADTM", "Datetime", NUM, 8, "DATETIME20."),
                 Variable("ISODT", "", NUM, 8, "E8601DA."), Variable("AVAL", "Value", NUM, 8, "8.3"),
                 Variable("N", "Count", NUM, 8, "BEST12.")]
    write_dataset(Dataset("ADX", frame, "Dates", variables), tmp_path / "adx.xpt")
    ds = assert_same_dataset(tmp_path / "adx.xpt")
    # datetime64[ns] by the frame conventions (pandas 3's to_datetime gives datetime64[us])
    pd.testing.assert_frame_equal(ds.frame, frame.astype({c: "datetime64[ns]" for c in ("ADT", "ADTM", "ISODT")}))
    assert [v.format for v in ds.variables] == ["DATE9.", "DATETIME20.", "E8601DA.", "8.3", "BEST12."]


def test_special_missing_values_are_nan(tmp_path):
    path = tmp_path / "sm.xpt"
    write_dataset(Dataset("SM", pd.DataFrame({"X": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})), path)
    raw = bytearray(path.read_bytes())
    start = obs_start(raw)
    for row, tag in enumerate([b".", b"A", b"Z", b"_"]):
        raw[start + 8 * row:start + 8 * row + 8] = tag + b"\0" * 7
    path.write_bytes(bytes(raw))
    ds = assert_same_dataset(path)
    assert ds.frame["X"].isna().tolist() == [True] * 4 + [False] * 2
    assert ds.frame["X"].iloc[4:].tolist() == [5.0, 6.0]


def ibm_bytes_value(raw: bytes) -> float:
    """Exact value of an IBM float given by its leading bytes (zero filled), in pure Python."""
    word = raw.ljust(8, b"\0")
    sign = -1 if word[0] & 0x80 else 1
    exponent = (word[0] & 0x7F) - 64
    fraction = Fraction(int.from_bytes(word[1:], "big"), 2 ** 56)
    return float(sign * fraction * Fraction(16) ** exponent)


@pytest.mark.parametrize("length", [3, 4, 5, 6, 7])
def test_sas_truncated_numerics(tmp_path, length):
    rng = np.random.default_rng(length)
    values = np.concatenate([[0.0, 1.0, -2.5, 0.1, 1 / 3, 123456.789, np.nan],
                             rng.normal(size=40) * 10.0 ** rng.integers(-20, 20, 40)])
    path = tmp_path / "n.xpt"
    write_dataset(Dataset("N", pd.DataFrame({"X": values}), "", [Variable("X", "", NUM, length)]), path)
    ds = assert_same_dataset(path)
    assert ds["X"].length == length
    raw = path.read_bytes()
    start = obs_start(raw)
    expected = [np.nan if raw[start + i * length:start + (i + 1) * length] == b"." + b"\0" * (length - 1)
                else ibm_bytes_value(raw[start + i * length:start + (i + 1) * length])
                for i in range(len(values))]
    np.testing.assert_array_equal(ds.frame["X"].to_numpy(), expected)
    # truncation keeps the leading hex digits: relative error below 16 ** -(2 * (length - 1) - 1)
    finite = ~np.isnan(values)
    np.testing.assert_allclose(ds.frame["X"].to_numpy()[finite], values[finite],
                               rtol=16.0 ** -(2 * (length - 1) - 1))


def test_ibm_to_ieee_inverts_the_writer_and_known_words():
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.normal(size=2000) * 10.0 ** rng.integers(-70, 70, 2000),
                             [0.0, 1.0, -1.0, 0.5, 16.0, 0.1, np.pi, 2.0 ** 52 + 1]])
    np.testing.assert_array_equal(ibm_to_ieee(ieee_to_ibm(values)), values)
    words = np.array([0x4110000000000000, 0xC130000000000000, 0x2E << 56, 0x41 << 56,
                      0x7FFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0], dtype=np.uint64)
    largest = (1 - 2.0 ** -53) * 16.0 ** 63   # 0x7FFF...: (1 - 16**-14) * 16**63 truncated to 53 bits (TS-140)
    np.testing.assert_array_equal(ibm_to_ieee(words), [1.0, -3.0, np.nan, np.nan, largest, -largest, 0.0])


def test_zero_row_dataset(tmp_path):
    frame = pd.DataFrame({"USUBJID": pd.Series([], dtype=object), "AVAL": pd.Series([], dtype=float),
                          "ADT": pd.Series([], dtype="datetime64[ns]")})
    path = tmp_path / "z.xpt"
    write_dataset(Dataset("Z", frame, "Empty", [Variable("USUBJID", "Subject", CHAR, 12),
                                                Variable("AVAL", "", NUM, 8),
                                                Variable("ADT", "", NUM, 8, "DATE9.")]), path)
    ds = read_xpt(path)
    assert ds.frame.shape == (0, 3) and ds.label == "Empty" and ds["USUBJID"].length == 12
    assert ds.frame.dtypes.astype(str).tolist() == ["object", "float64", "datetime64[ns]"]
    assert_same_dataset(path)


@pytest.mark.parametrize("values", [["A", "B", "C"], ["A", np.nan, "B"], ["A"] * 8 + ["B"]])
def test_blank_padding_rows_dropped_blank_rows_inside_kept(tmp_path, values):
    # 10-byte rows: the last 80-byte record is blank padded, which reads as blank rows
    path = tmp_path / "p.xpt"
    write_dataset(Dataset("P", pd.DataFrame({"C": values}), "", [Variable("C", "", CHAR, 10)]), path)
    raw = path.read_bytes()
    assert (len(raw) - obs_start(raw)) // 10 > len(values)
    ds = assert_same_dataset(path)
    pd.testing.assert_series_equal(ds.frame["C"], pd.Series(values, dtype=object, name="C"))


def test_text_values_trailing_blanks_nul_and_cut_utf8(tmp_path):
    # a UTF-8 character SAS cut at the end of a full field (D: 4 bytes, "caf" + the first
    # byte of "\u00e9") is dropped, as SAS and ReadStat do, when the file holds UTF-8
    # characters ("n\u00e9" whole)
    path = tmp_path / "t.xpt"
    frame = pd.DataFrame({"C": ["plain", "keep inner  blanks", "abcXdef", "  lead", "n\u00e9"],
                          "D": ["cafX", "ab", "ab", "ab", "ab"]})
    write_dataset(Dataset("T", frame, "", [Variable("C", "", CHAR, 20), Variable("D", "", CHAR, 4)]), path,
                  encoding="utf-8")
    raw = path.read_bytes()
    head, body = raw[:obs_start(raw)], raw[obs_start(raw):]
    body = body.replace(b"cafX", b"caf\xc3").replace(b"abcXdef", b"abc\0def", 1)   # cut UTF-8, NUL
    path.write_bytes(head + body)
    ours = read_xpt(path)
    assert ours.encoding == "utf-8"
    assert ours.frame["C"].tolist() == ["plain", "keep inner  blanks", "abc", "  lead", "n\u00e9"]
    assert ours.frame["D"].tolist() == ["caf", "ab", "ab", "ab", "ab"]
    reference = read_xpt_pyreadstat(path, encoding="utf-8")      # ReadStat's iconv drops it too
    pd.testing.assert_frame_equal(ours.frame, reference.frame, check_exact=True)


def test_dangling_utf8_lead_byte_before_blanks_is_cp1252(tmp_path):
    path = tmp_path / "t.xpt"
    frame = pd.DataFrame({"C": ["plain", "cafX", "abcXdef", "  lead"]})
    write_dataset(Dataset("T", frame, "", [Variable("C", "", CHAR, 20)]), path)
    raw = path.read_bytes()
    head, body = raw[:obs_start(raw)], raw[obs_start(raw):]
    body = body.replace(b"cafX", b"caf\xc3", 1).replace(b"abcXdef", b"abc\0def", 1)
    path.write_bytes(head + body)
    ds = assert_same_dataset(path)
    assert ds.encoding == "cp1252"
    assert ds.frame["C"].tolist() == ["plain", "caf\u00c3", "abc", "  lead"]


def test_trailing_whitespace_other_than_blanks_is_removed(tmp_path):
    path = tmp_path / "w.xpt"
    frame = pd.DataFrame({"C": ["caf\u00e9\u00a0", "tab\t", "\t \u00a0", "x\x1f", "in\tside", "\u00e9"]})
    write_dataset(Dataset("W", frame, "", [Variable("C", "", CHAR, 12)]), path, encoding="cp1252")
    ds = assert_same_dataset(path)
    assert ds.encoding == "cp1252"
    assert ds.frame["C"].tolist() == ["caf\u00e9", "tab", np.nan, "x", "in\tside", "\u00e9"]


def test_text_neither_utf8_nor_cp1252(tmp_path):
    path = tmp_path / "b.xpt"
    write_dataset(Dataset("B", pd.DataFrame({"C": ["abcX"]}), "", [Variable("C", "", CHAR, 8)]), path)
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b"abcX", b"ab\x81\xff"))
    with pytest.raises(InputError, match="neither UTF-8 nor cp1252") as info:
        read_xpt(path)
    assert str(path) in str(info.value)


@pytest.mark.smoke
@pytest.mark.parametrize("coder", CODERS, ids=lambda c: c.__name__)
def test_text_codes_are_exact_across_blocks(monkeypatch, coder):
    """Rows equal in one word and not the other, runs cut by block edges: the codes are
    pd.factorize's on the whole rows, numbered by first appearance over all blocks."""
    monkeypatch.setattr(xpt, "_STREAM_CODER", coder)
    rng = np.random.default_rng(5)
    words = rng.integers(0, 3, size=(1000, 3)).astype(np.uint64)
    words[100:300] = words[100]                      # a run across the first block edge
    words[:, 0] += np.uint64(2 ** 63)                # high bits must not mix codes up
    field = _TextCodes(3, len(words))
    for start in range(0, len(words), 128):
        field.add(start, np.ascontiguousarray(words[start:start + 128].T))
    expected, _ = pd.factorize(pd.Series(list(map(tuple, words.tolist()))))
    np.testing.assert_array_equal(field.codes, expected)
    np.testing.assert_array_equal(field.distinct[field.codes], words)


def _pilot_cut(pilot_sdtm_dir, tmp_path, cut):
    data = (pilot_sdtm_dir / "dm.xpt").read_bytes()
    path = tmp_path / "dm.xpt"
    path.write_bytes(data[:cut(data)])
    return path


@pytest.mark.parametrize("cut, message", [
    (lambda d: 80, "truncated SAS transport file: it ends before the MEMBER header record"),
    (lambda d: 640 + 80, r"truncated SAS transport file: the variable descriptors \(namestr block, 25"),
    (lambda d: 640 + 25 * 140 + 20, "truncated SAS transport file: it ends before the OBS header record"),
    (lambda d: obs_start(d) + 80 * 3, r"truncated SAS transport file: the last observation is cut short"),
    (lambda d: len(d) - 17, "truncated SAS transport file: .* is not a multiple of 80"),
])
def test_truncated_files(pilot_sdtm_dir, tmp_path, cut, message):
    path = _pilot_cut(pilot_sdtm_dir, tmp_path, cut)
    assert path.stat().st_size % 80 == 0 or "multiple" in message
    with pytest.raises(InputError, match=message) as info:
        read_xpt(path)
    assert str(path) in str(info.value)


def test_header_records_out_of_place(pilot_sdtm_dir, tmp_path):
    data = bytearray((pilot_sdtm_dir / "dm.xpt").read_bytes())
    data[4 * 80 + 20:4 * 80 + 27] = b"XXXXXXX"  # the DSCRPTR header
    path = tmp_path / "dm.xpt"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"not a readable SAS transport file \(no DSCRPTR header record"):
        read_xpt(path)


def test_namestr_position_must_match_the_layout(tmp_path):
    path = tmp_path / "l.xpt"
    write_dataset(Dataset("L", pd.DataFrame({"A": ["x"], "B": [1.0]})), path)
    raw = bytearray(path.read_bytes())
    npos = 640 + 140 + 84  # second namestr, npos field
    raw[npos:npos + 4] = struct.pack(">i", 7)
    path.write_bytes(bytes(raw))
    with pytest.raises(InputError, match="variable B: namestr position 7, expected 1"):
        read_xpt(path)


# ---------------------------------------------------------------- differential property
TEXT_BYTES = [b" ", b"\0", b"A", b"z", b"\t", b"\xa0", b"\xc3", b"\xa9", b"\xe2", b"\x80", b"\x99"]


@st.composite
def raw_members(draw):
    """A member layout and arbitrary observation bytes: text from blanks, NULs, ASCII,
    cp1252 and UTF-8 fragments; numbers as any 8 bytes, missing values or real values."""
    kinds = draw(st.lists(st.one_of(st.tuples(st.just(CHAR), st.integers(1, 12)),
                                    st.tuples(st.just(NUM), st.integers(3, 8))), min_size=1, max_size=4))
    nrows = draw(st.integers(0, 12))
    rows = []
    for _ in range(nrows):
        row = b""
        for kind, length in kinds:
            if kind == CHAR:
                row += b"".join(draw(st.lists(st.sampled_from(TEXT_BYTES), min_size=length, max_size=length)))
            else:
                row += draw(st.one_of(
                    st.binary(min_size=8, max_size=8),
                    st.sampled_from([b".", b"A", b"_", b"\x41", b"\0"]).map(lambda b: b + b"\0" * 7),
                    st.floats(allow_nan=False, min_value=-1e70, max_value=1e70).map(
                        lambda x: struct.pack(">Q", int(ieee_to_ibm(np.array([x]))[0])))))[:length]
        rows.append(row)
    return kinds, rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(member=raw_members())
@example(member=([(CHAR, 2)], [b"\xc3\0"]))   # ReadStat strips trailing NULs, then the cut character
def test_any_observation_bytes_read_as_pyreadstat_reads_them(tmp_path_factory, member):
    kinds, rows = member
    names = [f"V{i}" for i in range(len(kinds))]
    frame = pd.DataFrame({n: ["x" if k == CHAR else 1.0] * len(rows) for n, (k, _) in zip(names, kinds)},
                         columns=names)
    variables = [Variable(n, "", k, length) for n, (k, length) in zip(names, kinds)]
    path = tmp_path_factory.mktemp("raw") / "r.xpt"
    write_dataset(Dataset("R", frame, "", variables), path)
    raw = path.read_bytes()
    body = b"".join(rows)
    path.write_bytes(raw[:obs_start(raw)] + body + b" " * (-len(body) % 80))
    try:
        reference = read_xpt_pyreadstat(path)
    except InputError:
        with pytest.raises(InputError, match="neither UTF-8 nor cp1252"):
            read_xpt(path)
        return
    text = [n for n, (k, _) in zip(names, kinds) if k == CHAR]
    for coder in CODERS:                                      # either way of coding words
        with stream_coder(coder):
            ours = read_xpt(path)
            pd.testing.assert_frame_equal(ours.frame, reference.frame, check_exact=True)
            assert ours.encoding == reference.encoding
            coded = read_xpt(path, coded=True).frame          # the same values as categoricals
            assert all(coded[n].cat.categories.is_unique for n in text)
            pd.testing.assert_frame_equal(coded.astype({n: object for n in text}), ours.frame, check_exact=True)


@pytest.mark.smoke
@settings(max_examples=100, deadline=None)
@given(blocks=st.lists(st.lists(st.one_of(st.integers(0, 40), st.sampled_from([2 ** 63, 2 ** 64 - 1, 2 ** 40 + 3]),
                                          st.integers(0, 2 ** 64 - 1)), max_size=60), max_size=12))
def test_stream_coders_equal_one_factorize_of_all_blocks(blocks):
    """Both coders (pandas' hash table where usable, the public-API fallback) give, block
    by block, the codes pd.factorize gives all the keys at once: first appearance over
    all blocks, the same numbering across blocks."""
    keys = [np.array(b, dtype=np.uint64) for b in blocks]
    expected, uniques = pd.factorize(np.concatenate(keys) if keys else np.zeros(0, np.uint64))
    for coder in CODERS:
        stream = coder()
        got = [stream.codes(k) for k in keys]
        np.testing.assert_array_equal(np.concatenate(got) if got else np.zeros(0, np.int64), expected)
        assert stream.count == len(uniques)


def test_stream_coder_choice_has_a_reason(monkeypatch):
    """The coder is chosen at import, with why; without pandas' hash table the public
    fallback is chosen and says so."""
    assert xpt._STREAM_CODER in CODERS and xpt.STREAM_CODES
    monkeypatch.setattr(xpt, "_hashtable", None)
    coder, reason = xpt._choose_stream_codes()
    assert coder is xpt._SortedStreamCodes and "cannot be imported" in reason

    class Broken:      # a hash table whose signature changed
        def UInt64HashTable(self, size):
            raise TypeError("changed")
    monkeypatch.setattr(xpt, "_hashtable", Broken())
    coder, reason = xpt._choose_stream_codes()
    assert coder is xpt._SortedStreamCodes and "not usable (TypeError: changed)" in reason
