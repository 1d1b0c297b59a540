"""Fast factorization of text columns (object arrays), shared by the XPT writer and the
derivations.

Text read from a file or built by the synthetic generator shares one string object per
distinct value, and SDTM records are sorted by subject, so a column is mostly long runs
of the same object. Comparing and hashing object addresses is far cheaper than hashing
strings; values are compared by value only once per distinct object, so the result is
exactly ``pd.factorize``'s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def is_text(dtype) -> bool:
    """Whether a column of ``dtype`` holds text as values: ``object`` (adamant's frames) or
    pandas' string dtype (``str``, pandas 3's default for text a user reads or builds).
    Categoricals are not: callers look at their categories."""
    return dtype == object or isinstance(dtype, pd.StringDtype)


def object_columns(columns: dict, index) -> dict:
    """``columns`` (name -> array) for ``pd.DataFrame(columns, index=index)`` with every
    object array wrapped as an ``object`` Series on ``index`` (no copy): pandas 3 would
    otherwise infer its ``str`` dtype from text in an object array (a conversion per row),
    and adamant's frames hold text as objects (``docs/design.md``)."""
    return {name: pd.Series(values, index=index, dtype=object, copy=False)
            if isinstance(values, np.ndarray) and values.dtype == object else values
            for name, values in columns.items()}


def identities(values: np.ndarray) -> np.ndarray:
    """The addresses of the objects of an object array (the same address is the same
    object, hence an equal value; equal values read from a file usually share one
    object), else the array itself: comparing and hashing them is cheap."""
    if values.dtype != object:
        return values
    return np.frombuffer(memoryview(np.ascontiguousarray(values)), dtype=np.intp)


def first_rows(codes: np.ndarray) -> np.ndarray:
    """Position of the first row of each code ``0..k-1`` (codes numbered in order of
    first appearance, as ``pd.factorize`` numbers them)."""
    first = np.zeros(int(codes.max(initial=-1)) + 1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return first


def used_codes(codes: np.ndarray, n: int) -> np.ndarray:
    """Which of the codes ``0..n-1`` some row holds (a categorical's used categories;
    code -1, missing, counts for none): one pass, no sort."""
    used = np.zeros(n + 1, dtype=bool)
    used[codes] = True                       # code -1 marks the spare last slot
    return used[:n]


def factorize_text(values, use_na_sentinel: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values, use_na_sentinel=...)`` of an object array (same codes and
    uniques): one value per run of the same object is looked at, and each distinct
    object is hashed by value once."""
    values = np.asarray(values, dtype=object)
    if not len(values):
        return pd.factorize(values, use_na_sentinel=use_na_sentinel)
    ids = identities(values)
    heads = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
    if 2 * len(heads) < len(values):                 # long runs: one value per run
        codes, uniques = _factorize_objects(values[heads], ids[heads], use_na_sentinel)
        return np.repeat(codes, np.diff(np.append(heads, len(values)))), uniques
    return _factorize_objects(values, ids, use_na_sentinel)


def _factorize_objects(values: np.ndarray, ids: np.ndarray, use_na_sentinel: bool):
    by_object, _ = pd.factorize(ids)
    codes, uniques = pd.factorize(values[first_rows(by_object)], use_na_sentinel=use_na_sentinel)
    return codes[by_object], uniques


def categories_dtype(categories) -> pd.CategoricalDtype:
    """The categorical dtype of ``categories`` known to be distinct (the uniques of a
    factorization): built without hashing them all again, as pandas' own constructor
    would to check they are."""
    categories = pd.Index(categories, dtype=object)
    fastpath = getattr(pd.CategoricalDtype, "_from_fastpath", None)   # pandas internal
    return fastpath(categories, False) if fastpath is not None else pd.CategoricalDtype(categories)


def as_categorical(values) -> pd.Categorical:
    """An object array of text as a categorical (categories in order of first
    appearance, missing values coded -1): the same values, a small code per row."""
    codes, uniques = factorize_text(values)
    return categorical_of(codes, uniques)


def categorical_of(codes: np.ndarray, categories) -> pd.Categorical:
    """The categorical of ``codes`` (-1 missing) into ``categories`` known to be
    distinct, the codes in the integer type pandas keeps for that many categories (it
    would copy them into it otherwise)."""
    n = len(categories)
    kind = np.int8 if n < 127 else np.int16 if n < 32767 else np.int32 if n < 2 ** 31 - 1 else np.int64
    return pd.Categorical.from_codes(codes.astype(kind, copy=False), dtype=categories_dtype(categories),
                                     validate=False)
