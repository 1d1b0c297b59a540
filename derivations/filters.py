"""Record selection (admiral ``filter_extreme``): the first or last record of each by
group in a stated order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from derivations.common import as_list, frame_of, group_codes, like, require_choice, require_columns


def parse_order(order) -> tuple[list[str], list[bool]]:
    """``order`` as columns and ascending flags: ``["ADT", "-AVAL"]`` sorts by ``ADT``
    ascending, then ``AVAL`` descending (admiral ``exprs(ADT, desc(AVAL))``)."""
    cols, ascending = [], []
    for item in as_list(order):
        item = str(item)
        desc = item.startswith("-")
        cols.append(item[1:] if desc else item)
        ascending.append(not desc)
    return cols, ascending


def _ranks(values, ascending: bool) -> tuple[np.ndarray, int]:
    """Dense ranks of one order column (missing values last, whatever the direction)
    and the number of ranks."""
    codes, uniques = pd.factorize(values, sort=True)
    n = len(uniques)
    ranks = codes if ascending else n - 1 - codes
    return np.where(codes < 0, n, ranks).astype(np.int64), n + 1


def _sorted_positions(frame: pd.DataFrame, codes: np.ndarray, order) -> np.ndarray:
    """Row positions sorted by group code then ``order``; ties keep input order and
    missing values sort last, whatever the direction (as dplyr ``arrange``). The keys
    are combined into one integer (group, then the dense rank of each order column), so
    one stable sort does it."""
    cols, ascending = parse_order(order)
    require_columns(frame, cols, "order")
    key = np.asarray(codes, dtype=np.int64)
    size = int(key.max(initial=0)) + 1
    for col, asc in zip(cols, ascending):
        ranks, n = _ranks(frame[col].to_numpy(), asc)
        if size * n >= 2 ** 62:
            key = pd.factorize(key, sort=True)[0].astype(np.int64)
            size = int(key.max(initial=0)) + 1
        key = key * n + ranks
        size *= n
    return np.argsort(key, kind="stable")


def sort_records(dataset, by_vars, order):
    """``dataset`` sorted by ``by_vars`` groups (in order of first appearance), then
    ``order``."""
    frame = frame_of(dataset)
    require_columns(frame, as_list(by_vars), "by_vars")
    pos = _sorted_positions(frame, group_codes(frame, by_vars), order)
    return like(dataset, frame.iloc[pos])


def filter_extreme(dataset, by_vars, order, mode: str = "first"):
    """Per ``by_vars`` group, the ``first`` or ``last`` record by ``order`` (admiral
    ``filter_extreme``). Records keep their original relative order in the result."""
    require_choice(mode, ("first", "last"), "mode")
    frame = frame_of(dataset)
    require_columns(frame, as_list(by_vars), "by_vars")
    return like(dataset, frame.iloc[extreme_positions(frame, group_codes(frame, by_vars), order, mode)])


def _extreme_key(values: np.ndarray, ascending: bool) -> np.ndarray | None:
    """Integer/float key whose minimum is the first value in sort order (descending:
    negated) with missing values as the largest key (they sort last); None when a
    value would tie with that sentinel."""
    if values.dtype.kind in "mM":
        key = values.view(np.int64).copy()
        missing = np.isnat(values)
        big = np.iinfo(np.int64).max
    elif values.dtype.kind in "biuf":
        key = values.astype(np.float64)
        missing = np.isnan(key)
        big = np.inf
    else:
        key, _ = pd.factorize(values, sort=True)
        key = key.astype(np.int64)
        missing = key < 0
        big = np.iinfo(np.int64).max
    if not ascending:
        key = -key
    if (key[~missing] == big).any():
        return None
    key[missing] = big
    return key


def extreme_positions(frame: pd.DataFrame, codes: np.ndarray, order, mode: str) -> np.ndarray:
    """Ascending row positions of the first/last record by ``order`` of each group of
    ``codes`` (the rows :func:`filter_extreme` keeps): per order column, the groups'
    candidates narrow to those holding the group's least (``first``) or greatest
    (``last``) key, then the earliest/latest remaining record wins (a stable sort's
    tie order). No sorting: one grouped reduction per order column."""
    cols, ascending = parse_order(order)
    require_columns(frame, cols, "order")
    codes = np.asarray(codes, dtype=np.int64)
    size = int(codes.max(initial=-1)) + 1
    cand = None            # every row (the first column reads the arrays in place)
    reduce = np.minimum if mode == "first" else np.maximum
    for col, asc in zip(cols, ascending):
        values = frame[col].to_numpy()
        key = _extreme_key(values if cand is None else values[cand], asc)
        if key is None:
            return _sorted_extremes(frame, codes, order, mode)
        group = codes if cand is None else codes[cand]
        best = np.zeros(size, dtype=key.dtype)
        best[group] = key  # any member's key, then the least/greatest
        reduce.at(best, group, key)
        keep = key == best[group]
        cand = np.flatnonzero(keep) if cand is None else cand[keep]
    if cand is None:
        cand = np.arange(len(codes))
    pick = np.zeros(size, dtype=np.int64)
    if mode == "first":
        pick[codes[cand][::-1]] = cand[::-1]
    else:
        pick[codes[cand]] = cand
    present = np.zeros(size, dtype=bool)
    present[codes] = True
    return np.sort(pick[present])


def _sorted_extremes(frame: pd.DataFrame, codes: np.ndarray, order, mode: str) -> np.ndarray:
    """:func:`extreme_positions` by sorting (any values)."""
    pos = _sorted_positions(frame, codes, order)
    g = codes[pos]
    if mode == "first":
        edge = np.r_[True, g[1:] != g[:-1]] if len(g) else np.zeros(0, bool)
    else:
        edge = np.r_[g[1:] != g[:-1], True] if len(g) else np.zeros(0, bool)
    return np.sort(pos[edge])
