"""adam.text.factorize_text equals pd.factorize on any object array: runs of the same
object (sorted SDTM), equal text held by different objects, missing values, numbers."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adam.text import factorize_text

POOL = ["S1", "S2", "S10", "", None, np.nan, 3.0, 3]


def _fresh(value):
    """An equal value held by a new object where the type allows it."""
    return "".join(list(value)) if isinstance(value, str) and value else value


runs = st.lists(st.tuples(st.integers(0, len(POOL) - 1), st.integers(1, 12), st.booleans()),
                max_size=40)


@settings(max_examples=200, deadline=None)
@given(runs, st.booleans())
def test_equals_pandas_factorize(spec, na_sentinel):
    values = []
    for k, length, fresh in spec:
        value = _fresh(POOL[k]) if fresh else POOL[k]
        values += [value] * length              # a run of one object
    arr = np.array(values + [None], dtype=object)[:-1]   # 1-d object array, even if empty
    codes, uniques = factorize_text(arr, use_na_sentinel=na_sentinel)
    expected_codes, expected_uniques = pd.factorize(arr, use_na_sentinel=na_sentinel)
    assert codes.tolist() == expected_codes.tolist()
    assert len(uniques) == len(expected_uniques)
    assert [u for u in uniques if isinstance(u, str)] == [u for u in expected_uniques if isinstance(u, str)]


def test_long_runs_take_the_run_path():
    values = np.repeat(np.array(["B", "A", np.nan, "B"], dtype=object), [5, 3, 4, 2])
    codes, uniques = factorize_text(values)
    assert codes.tolist() == [0] * 5 + [1] * 3 + [-1] * 4 + [0] * 2
    assert list(uniques) == ["B", "A"]


def test_used_codes_marks_the_categories_some_row_holds():
    """Code -1 (missing) marks none; unused and trailing categories stay False."""
    from adam.text import used_codes

    assert used_codes(np.array([2, -1, 0, 2], dtype=np.int8), 4).tolist() == [True, False, True, False]
    assert used_codes(np.array([-1, -1]), 2).tolist() == [False, False]
    assert used_codes(np.array([], dtype=np.int16), 0).tolist() == []


@pytest.mark.parametrize("fastpath", [True, False])
def test_categories_dtype_with_or_without_pandas_fast_path(monkeypatch, fastpath):
    """categories_dtype uses pandas' internal CategoricalDtype._from_fastpath where it is
    there, else the public constructor: the same dtype, object categories (not pandas 3's
    str) either way."""
    from adam.text import categories_dtype, is_text

    if not fastpath:
        monkeypatch.delattr(pd.CategoricalDtype, "_from_fastpath", raising=False)
    elif not hasattr(pd.CategoricalDtype, "_from_fastpath"):
        pytest.skip("this pandas has no CategoricalDtype._from_fastpath")
    dtype = categories_dtype(["b", "a", "c"])
    assert dtype == pd.CategoricalDtype(pd.Index(["b", "a", "c"], dtype=object))
    assert dtype.categories.dtype == object and not dtype.ordered
    assert is_text(np.dtype(object)) and is_text(pd.Series(["x"], dtype="string").dtype)
    assert not is_text(np.dtype(float)) and not is_text(pd.CategoricalDtype(["x"]))
