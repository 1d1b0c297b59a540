"""Differential test of the XPT reader against pyreadstat (ReadStat), issue 21.

Corpus of real files: every XPT file adamant ships, written by other tools: the CDISC
pilot SDTM (CDISCPILOT01, SAS-written, via the PHUSE scripts project; 18 files) and the
pharmaverse oncology SDTM (pharmaversesdtm v1.0.0, written from R; 7 files). The
transport files of ReadStat's, haven's and pyreadstat's own test suites are binary and
could not be obtained here; the generated edge cases below stand in for them (trailing
non-ASCII text in cp1252 and UTF-8, the IBM extremes, blank observations), built with
pyreadstat's writer, adamant's and hand-made bytes.

The reference is :func:`read_xpt_pyreadstat`: pyreadstat's values with its documented
departures from the file corrected (SAS's largest number read as infinity; trailing
blank observations dropped). Each real file also goes XPT -> Dataset-JSON -> XPT and
must come back with the same values and metadata.
"""

from __future__ import annotations

import struct

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from adam.examples import example_folder
from adam.io import read_dataset, write_dataset
from adam.io.xpt import read_xpt, read_xpt_pyreadstat
from adam.metadata import CHAR, NUM, Dataset, Variable

OBS_HEADER = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!"
CORPUS = [("cdiscpilot01/sdtm", d) for d in ("ae", "cm", "dm", "ds", "ex", "mh", "relrec", "sc", "se", "suppae",
                                              "suppdm", "suppds", "sv", "ta", "te", "ti", "ts", "tv")] + \
         [("pharmaverse-onco/sdtm", d) for d in ("ae", "dm", "ds", "ex", "lb", "rs", "tu")]


def same(path, encoding=None):
    ours = read_xpt(path)
    reference = read_xpt_pyreadstat(path, encoding=encoding or ours.encoding)
    pd.testing.assert_frame_equal(ours.frame, reference.frame, check_exact=True)
    assert ours.variables == reference.variables
    assert (ours.name, ours.label) == (reference.name, reference.label)
    return ours


@pytest.mark.parametrize("folder, domain", CORPUS, ids=[f"{f.split('/')[0]}-{d}" for f, d in CORPUS])
def test_real_files_equal_pyreadstat_and_survive_json(tmp_path, folder, domain):
    path = example_folder(folder) / f"{domain}.xpt"
    ours = same(path)
    strict = read_xpt_pyreadstat(path)          # strict UTF-8 else cp1252: the same choice on real files
    assert strict.encoding == ours.encoding
    write_dataset(ours, tmp_path / "x.json")
    back = read_dataset(tmp_path / "x.json")
    pd.testing.assert_frame_equal(back.frame, ours.frame, check_exact=True)
    assert back.variables == ours.variables
    write_dataset(back, tmp_path / "x.xpt", encoding="ascii" if ours.encoding == "utf-8" else ours.encoding)
    again = read_xpt(tmp_path / "x.xpt")
    pd.testing.assert_frame_equal(again.frame, ours.frame, check_exact=True)
    assert again.variables == ours.variables


def obs_start(raw: bytes) -> int:
    return raw.index(OBS_HEADER) + 80


def with_body(tmp_path, variables, rows: list[bytes], name="g.xpt"):
    """A member of ``variables`` (written by adamant) whose observations are ``rows``."""
    path = tmp_path / name
    frame = pd.DataFrame({v.name: ["x" if v.type == CHAR else 1.0] * max(1, len(rows)) for v in variables})
    write_dataset(Dataset("G", frame, "", variables), path)
    raw = path.read_bytes()
    body = b"".join(rows)
    path.write_bytes(raw[:obs_start(raw)] + body + b" " * (-len(body) % 80))
    return path


# ------------------------------------------------------------------ generated: trailing non-ASCII
@pytest.mark.parametrize("text, encoding", [
    ("Café", "cp1252"), ("Fatigué", "cp1252"), ("Ångström", "cp1252"), ("naïve", "cp1252"), ("€", "cp1252"),
    ("Café", "utf-8"), ("Fatigué", "utf-8"), ("naïve", "utf-8"), ("€", "utf-8"), ("日本", "utf-8"),
])
@pytest.mark.parametrize("slack", [0, 3])          # value fills the field, or blanks after it
def test_trailing_non_ascii(tmp_path, text, encoding, slack):
    length = max(2, len(text.encode(encoding))) + slack
    path = tmp_path / "t.xpt"
    frame = pd.DataFrame({"C": [text, "ok", None]})
    if encoding == "utf-8" and not slack:      # pyreadstat's writer (UTF-8, the longest value's length)
        pyreadstat.write_xport(frame, str(path), table_name="T", file_format_version=5,
                               column_labels=[f"Label {text}"])
    else:
        write_dataset(Dataset("T", frame, "", [Variable("C", f"Label {text}", CHAR, length)]), path,
                      encoding=encoding)
    ours = same(path)
    assert ours["C"].label == f"Label {text}"
    assert ours.encoding == encoding
    assert ours.frame["C"].tolist()[:2] == [text, "ok"]


@pytest.mark.parametrize("length", [2, 3, 5, 8])
def test_utf8_cut_by_sas_at_the_field_end(tmp_path, length):
    # SAS (UTF-8 session) cuts "ééééé" at the variable's length in bytes
    text = "é" * 5
    raw = text.encode("utf-8")[:length]
    path = with_body(tmp_path, [Variable("C", "", CHAR, length), Variable("D", "", CHAR, 2)],
                     [raw + "é".encode(), b"ab" + b"no"])
    ours = same(path)
    assert ours.encoding == "utf-8"
    assert ours.frame["C"].iloc[0] == raw.decode("utf-8", errors="ignore")


# ------------------------------------------------------------------ generated: IBM extremes
IBM_WORDS = {
    "largest": b"\x7f" + b"\xff" * 7, "-largest": b"\xff" * 8,
    "smallest normal": b"\x00\x10" + b"\0" * 6, "-smallest normal": b"\x80\x10" + b"\0" * 6,
    "unnormalized tiny": b"\x00\x00\x00\x00\x00\x00\x00\x01", "16**62": b"\x7f\x10" + b"\0" * 6,
    "one": b"\x41\x10" + b"\0" * 6, "zero": b"\0" * 8, "missing": b"\x2e" + b"\0" * 7,
    "special .Z": b"\x5a" + b"\0" * 7, "minus zero": b"\x80" + b"\0" * 7,
}


@pytest.mark.parametrize("length", [3, 5, 8])
def test_ibm_extremes(tmp_path, length):
    path = with_body(tmp_path, [Variable("X", "", NUM, length)], [w[:length] for w in IBM_WORDS.values()])
    ours = same(path)
    values = dict(zip(IBM_WORDS, ours.frame["X"].tolist()))
    assert np.isfinite(values["largest"]) and values["largest"] == -values["-largest"]
    assert values["largest"] > 7.2e75 and np.isnan(values["missing"]) and np.isnan(values["special .Z"])
    assert values["one"] == 1.0 and values["zero"] == 0.0
    write_dataset(ours, tmp_path / "back.xpt")                 # round trip: the same values
    pd.testing.assert_frame_equal(read_xpt(tmp_path / "back.xpt").frame, ours.frame, check_exact=True)


# ------------------------------------------------------------------ generated: blank observations
@pytest.mark.parametrize("width", [1, 7, 8, 10, 39, 40, 41, 79, 80, 81, 120, 160, 200])
@pytest.mark.parametrize("blanks", [0, 1, 2, 5])
def test_blank_observations(tmp_path, width, blanks):
    rows = [b"A".ljust(width), b" " * width, b"B".ljust(width)] + [b" " * width] * blanks
    path = with_body(tmp_path, [Variable("C", "", CHAR, width)], rows)
    ours = same(path)
    total = -(-len(rows) * width // 80) * 80
    sure = (total - 80) // width + 1          # rows ending before the last record: all observations
    assert len(ours.frame) == max(3, min(len(rows), sure))
    assert ours.frame["C"].tolist()[:3] == ["A", np.nan, "B"] or ours.frame["C"].iloc[1] is np.nan
