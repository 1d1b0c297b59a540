"""Record selection (admiral ``filter_extreme``): the first or last record of each by
group in a stated order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from derivations.common import as_list, frame_of, like, require_choice, require_columns


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


def group_codes(frame: pd.DataFrame, by_vars) -> np.ndarray:
    """One integer per distinct ``by_vars`` combination (hashing, no text sort)."""
    by_vars = as_list(by_vars)
    if not by_vars:
        return np.zeros(len(frame), dtype=np.int64)
    if len(by_vars) == 1:
        return pd.factorize(frame[by_vars[0]], use_na_sentinel=False)[0]
    return frame.groupby(by_vars, sort=False, dropna=False).ngroup().to_numpy()


def _sorted_positions(frame: pd.DataFrame, codes: np.ndarray, order) -> np.ndarray:
    """Row positions sorted by group code then ``order``; ties keep input order and
    missing values sort last, whatever the direction (as dplyr ``arrange``)."""
    cols, ascending = parse_order(order)
    require_columns(frame, cols, "order")
    keyed = pd.DataFrame({f"__o{i}": frame[c].to_numpy() for i, c in enumerate(cols)})
    keyed.insert(0, "__g", codes)
    return keyed.sort_values(list(keyed.columns), ascending=[True] + ascending, kind="stable",
                             na_position="last").index.to_numpy()


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
    codes = group_codes(frame, by_vars)
    pos = _sorted_positions(frame, codes, order)
    g = codes[pos]
    if mode == "first":
        edge = np.r_[True, g[1:] != g[:-1]] if len(g) else np.zeros(0, bool)
    else:
        edge = np.r_[g[1:] != g[:-1], True] if len(g) else np.zeros(0, bool)
    return like(dataset, frame.iloc[np.sort(pos[edge])])
