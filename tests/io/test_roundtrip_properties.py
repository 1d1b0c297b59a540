"""Property-based round trips: any frame XPT v5 can hold survives XPT and Dataset-JSON."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adam.io import read_dataset, write_dataset, xpt
from adam.metadata import CHAR, NUM, Dataset, Variable
from tests.io.coders import CODERS, stream_coder

# XPT text is ASCII; SAS drops trailing blanks and reads blank as missing
text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40).map(str.rstrip)
# IBM floats hold every double between ~5.4e-79 and ~7.2e75 in magnitude exactly
number = st.one_of(st.just(0.0), st.just(math.nan),
                   st.floats(min_value=1e-75, max_value=1e75) | st.floats(min_value=-1e75, max_value=-1e-75))
day = st.dates(min_value=pd.Timestamp("1800-01-01").date(), max_value=pd.Timestamp("2200-12-31").date())


@st.composite
def frames(draw):
    n = draw(st.integers(min_value=0, max_value=25))
    texts = draw(st.lists(text, min_size=n, max_size=n))
    nums = draw(st.lists(number, min_size=n, max_size=n))
    dates = draw(st.lists(st.one_of(st.none(), day), min_size=n, max_size=n))
    frame = pd.DataFrame({
        "C": pd.Series([t if t else np.nan for t in texts], dtype=object),
        "N": pd.Series(nums, dtype="float64"),
        "D": pd.to_datetime(pd.Series([pd.Timestamp(d) if d else pd.NaT for d in dates], dtype="datetime64[ns]")),
    })
    length = max([len(t) for t in texts] + [1])
    variables = [Variable("C", "Text", CHAR, length), Variable("N", "Number", NUM, 8),
                 Variable("D", "Date", NUM, 8, "DATE9.")]
    return Dataset("PROP", frame, "Property test", variables)


@pytest.mark.smoke
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ds=frames())
def test_xpt_and_json_round_trip(tmp_path_factory, ds):
    folder = tmp_path_factory.mktemp("rt")
    write_dataset(ds, folder / "p.xpt")
    back = read_dataset(folder / "p.xpt")
    assert back.variables == ds.variables and back.label == ds.label
    pd.testing.assert_frame_equal(back.frame, ds.frame, check_dtype=False)
    write_dataset(back, folder / "p.json")
    again = read_dataset(folder / "p.json")
    assert again.variables == ds.variables
    pd.testing.assert_frame_equal(again.frame, ds.frame, check_dtype=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.lists(st.lists(st.sampled_from([b"a", b" ", b"\t", b"\x00", b"\xc3", b"\xa9", b"\xe9", b"\x81"]),
                             max_size=6).map(lambda parts: b"".join(parts)[:6].ljust(6)),
                    min_size=1, max_size=12))
def test_coded_read_equals_the_plain_read_for_any_bytes(tmp_path_factory, raw):
    """Whatever bytes a text field holds (blanks, NULs, tabs, cp1252, cut UTF-8), the
    coded reader's categories are distinct and its values are the plain reader's (values
    that differ in the file but not once decoded and stripped share one category)."""
    from adam.errors import InputError
    from adam.io.xpt import read_xpt

    folder = tmp_path_factory.mktemp("raw")
    marks = [f"{chr(65 + i)}{i:05d}".encode() for i in range(len(raw))]   # 6 unique bytes a row
    frame = pd.DataFrame({"C": pd.Series([m.decode() for m in marks], dtype=object)})
    write_dataset(Dataset("RAW", frame, "", [Variable("C", "", CHAR, 6)]), folder / "r.xpt")
    data = (folder / "r.xpt").read_bytes()
    for mark, value in zip(marks, raw):
        data = data.replace(mark, value, 1)
    (folder / "r.xpt").write_bytes(data)
    try:
        plain = read_xpt(folder / "r.xpt").frame
    except InputError:                                   # neither UTF-8 nor cp1252: both refuse
        return
    for coder in CODERS:          # pandas' hash table (where usable) and the public fallback
        with stream_coder(coder):
            coded = read_xpt(folder / "r.xpt", coded=True).frame
        assert coded["C"].cat.categories.is_unique
        pd.testing.assert_frame_equal(coded.astype({"C": object}), plain)
