"""Input coercion and tie-group helpers shared by the fitters (all vectorized)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from adam.errors import StatError


def as_float(values, name: str) -> np.ndarray:
    """A 1-d float64 array without missing values."""
    arr = np.asarray(values, dtype=float).ravel()
    if np.isnan(arr).any():
        raise StatError(f"{name} has missing values", variable=name)
    return arr


def as_event(values, name: str = "event") -> np.ndarray:
    """Event indicator as float 0/1 (anything else is an error)."""
    arr = as_float(values, name)
    if not np.isin(arr, (0.0, 1.0)).all():
        raise StatError(f"{name} must be 0/1", variable=name)
    return arr


def check_lengths(**arrays) -> int:
    lengths = {k: len(v) for k, v in arrays.items() if v is not None}
    if len(set(lengths.values())) > 1:
        raise StatError(f"arrays differ in length: {lengths}")
    return next(iter(lengths.values()))


def factor(values) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (sorted level order) and the levels of one label vector."""
    codes, levels = pd.factorize(pd.Series(values).reset_index(drop=True), sort=True)
    if (codes < 0).any():
        raise StatError("group/strata labels have missing values")
    return codes.astype(np.int64), np.asarray(levels)


def unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` by hashing (``pd.factorize``) and
    sorting only the distinct values: a million tied times cost one pass, not a sort."""
    codes, uniques = pd.factorize(np.asarray(values), use_na_sentinel=False)
    order = np.argsort(uniques, kind="stable")
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[order] = np.arange(len(uniques))
    return np.asarray(uniques)[order], rank[codes]


def strata_codes(strata, n: int) -> np.ndarray:
    """One integer code per row for the combination of one or more strata columns.

    ``strata`` is None, one vector, a list/tuple of vectors, or a DataFrame."""
    if strata is None:
        return np.zeros(n, dtype=np.int64)
    if isinstance(strata, pd.DataFrame):
        columns = [strata[c].to_numpy() for c in strata.columns]
    elif isinstance(strata, (list, tuple)) and len(strata) and np.ndim(strata[0]) == 1:
        columns = list(strata)
    else:
        columns = [strata]
    combined = np.zeros(n, dtype=np.int64)
    for col in columns:
        codes, levels = factor(col)
        if len(codes) != n:
            raise StatError(f"strata length {len(codes)} differs from {n}")
        combined = combined * len(levels) + codes
    return unique_inverse(combined)[1]


def first_of_runs(sorted_keys: np.ndarray) -> np.ndarray:
    """Boolean mask marking the first element of each run of equal values."""
    flags = np.ones(len(sorted_keys), dtype=bool)
    if len(sorted_keys) > 1:
        flags[1:] = sorted_keys[1:] != sorted_keys[:-1]
    return flags


def merge_near_ties(*times: np.ndarray, tolerance: float = np.sqrt(np.finfo(float).eps)):
    """R ``survival::aeqSurv`` (``timefix=TRUE``): distinct times closer than ``tolerance``
    (absolute, or relative to the mean absolute time) become one time, so that e.g.
    ``0.1 + 0.2`` and ``0.3`` are tied as in R. Returns the arrays with times replaced."""
    y = np.sort(pd.unique(np.concatenate(times)))
    y = y[np.isfinite(y)]
    if len(y) < 2:
        return times
    dy = np.diff(y)
    tied = (dy <= tolerance) | (dy / np.mean(np.abs(y)) <= tolerance)
    if not tied.any():
        return times
    cuts = y[np.concatenate(([True], ~tied))]
    return tuple(cuts[np.searchsorted(cuts, t, side="right") - 1] for t in times)
