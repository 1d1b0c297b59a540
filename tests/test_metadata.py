"""adam.metadata helpers: the byte width a text variable needs."""

import numpy as np
import pandas as pd

from adam.metadata import char_width


def test_char_width_counts_bytes_of_the_longest_value():
    a, b = "ab", "".join(["a", "b"])          # equal values, different objects
    values = pd.Series([a, b, np.nan, "abcd", a] * 3, dtype=object)
    assert char_width(values) == 4
    assert char_width(pd.Series(["caf\u00e9", "x"], dtype=object)) == 5     # UTF-8 bytes
    assert char_width(pd.Series([np.nan, None], dtype=object)) == 0


def test_char_width_of_a_categorical_ignores_unused_categories():
    cat = pd.Categorical(["ab", None, "ab"], categories=["ab", "z" * 30])
    assert char_width(pd.Series(cat)) == 2
    assert char_width(pd.Series(pd.Categorical([None, None], categories=["abc"]))) == 0
