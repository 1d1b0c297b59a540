"""Adding variables from another dataset (admiral ``derive_vars_merged``,
``derive_var_merged_exist_flag``, ``derive_vars_merged_summary``).

``by_vars`` is a list of column names, or a dict ``{dataset column: dataset_add column}``
when the names differ (admiral ``exprs(USUBJID, TRTSDT = EXSTDT)``). ``new_vars`` is a
list of ``dataset_add`` columns, or a dict ``{new name: dataset_add column}``.
``order`` lists columns, a leading ``-`` for descending (see :mod:`derivations.filters`).
The input frames are never modified; rows of ``dataset`` keep their order and index.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from adam.errors import UsageError
from derivations.common import (
    SubjectIndex, as_list, choose, first_rows, frame_of, group_codes, like, new_frame, require_choice, require_columns,
    row_mask, rows_of,
)
from derivations.filters import extreme_positions, parse_order


def _by_pairs(by_vars) -> tuple[list[str], list[str]]:
    if isinstance(by_vars, Mapping):
        return list(by_vars.keys()), list(by_vars.values())
    names = as_list(by_vars)
    if not names:
        raise UsageError("argument by_vars: at least one variable is needed")
    return names, names


def _new_var_pairs(new_vars, add: pd.DataFrame, add_keys) -> dict[str, str]:
    if new_vars is None:
        return {c: c for c in add.columns if c not in add_keys}
    if isinstance(new_vars, Mapping):
        return dict(new_vars)
    return {c: c for c in as_list(new_vars)}


def _selected_rows(add: pd.DataFrame, add_keys, order, filter_add, mode,
                   arg="dataset_add") -> tuple[np.ndarray, SubjectIndex]:
    """Positions of the ``dataset_add`` records to merge (after ``filter_add`` and, with
    ``mode``, the first/last by ``order`` per by group) and an index of their keys."""
    require_columns(add, add_keys, "by_vars")
    rows = np.flatnonzero(row_mask(add, filter_add, "filter_add"))
    cols = list(add_keys)
    if mode is not None:
        require_choice(mode, ("first", "last"), "mode")
        order_cols = parse_order(order)[0]
        require_columns(add, order_cols, "order")
        cols += [c for c in order_cols if c not in cols]
    every = len(rows) == len(add)  # no record filtered out: read the columns in place
    sel = pd.DataFrame({c: add[c].to_numpy() if every else add[c].to_numpy()[rows] for c in cols},
                       columns=cols, copy=False)
    codes = group_codes(sel, add_keys)
    if mode is not None:
        keep = extreme_positions(sel, codes, order, mode)
        rows, sel = rows[keep], sel.iloc[keep]
    elif len(codes) and np.bincount(codes).max() > 1:
        raise UsageError(f"argument {arg}: records are not unique by {', '.join(add_keys)}; "
                         "give order and mode to pick one")
    return rows, SubjectIndex(sel, add_keys)


def derive_vars_merged(dataset, dataset_add, by_vars, order=None, new_vars=None,
                       filter_add=None, mode: str | None = None, exist_flag: str | None = None,
                       true_value="Y", false_value=np.nan, missing_values: Mapping | None = None):
    """Add ``new_vars`` from ``dataset_add`` to ``dataset`` matched on ``by_vars``.

    ``filter_add`` (query string or callable) restricts ``dataset_add`` first; with
    ``mode`` ``'first'``/``'last'`` one record per by group is chosen by ``order``,
    without it ``dataset_add`` must be unique by ``by_vars``. ``exist_flag`` names a
    column set to ``true_value`` where a record matched, else ``false_value``;
    ``missing_values`` ``{new var: value}`` fills the new variables of unmatched rows.
    """
    frame = frame_of(dataset)
    keys, add_keys = _by_pairs(by_vars)
    require_columns(frame, keys, "by_vars")
    add = frame_of(dataset_add, "dataset_add")
    rows, index = _selected_rows(add, add_keys, order, filter_add, mode)
    pairs = _new_var_pairs(new_vars, add, add_keys)
    require_columns(add, pairs.values(), "new_vars")
    clash = [n for n in pairs if n in frame.columns and n not in keys]
    if clash:
        raise UsageError(f"argument new_vars: {', '.join(clash)} already in dataset")
    pos = index.ids(frame, keys)
    matched = pos >= 0
    take = rows[np.where(matched, pos, 0)] if len(rows) else None
    out = new_frame(frame)
    for name, col in pairs.items():
        values = rows_of(add[col], take) if len(rows) else \
            pd.Series(np.full(len(frame), np.nan), dtype=add[col].dtype).to_numpy()
        values = pd.Series(values, index=frame.index).where(matched)   # a categorical stays one
        if missing_values and name in missing_values:
            if isinstance(values.dtype, pd.CategoricalDtype):
                values = values.astype(object)      # the fill need not be a category
            values = values.where(matched, missing_values[name])
        out[name] = values
    if missing_values:
        extra = set(missing_values) - set(pairs)
        if extra:
            raise UsageError(f"argument missing_values: {', '.join(sorted(extra))} not in new_vars")
    if exist_flag:
        out[exist_flag] = pd.Series(choose([matched], [true_value], false_value), index=frame.index)
    return like(dataset, out)


def derive_var_merged_exist_flag(dataset, dataset_add, by_vars, new_var: str, condition,
                                 true_value="Y", false_value=np.nan, missing_value=np.nan,
                                 filter_add=None):
    """Add ``new_var``: ``true_value`` when a ``dataset_add`` record of the by group
    meets ``condition`` (query string or callable), ``false_value`` when the group has
    records but none meets it, ``missing_value`` when it has none (admiral
    ``derive_var_merged_exist_flag``)."""
    frame = frame_of(dataset)
    keys, add_keys = _by_pairs(by_vars)
    require_columns(frame, keys, "by_vars")
    add = frame_of(dataset_add, "dataset_add")
    require_columns(add, add_keys, "by_vars")
    if filter_add is not None:
        add = add.loc[row_mask(add, filter_add, "filter_add")]
    hit = row_mask(add, condition, "condition")
    codes = group_codes(add, add_keys)
    any_hit = np.zeros(int(codes.max(initial=-1)) + 1, dtype=bool)
    any_hit[codes[hit]] = True
    groups = SubjectIndex(add.iloc[first_rows(codes)], add_keys)
    group = groups.ids(frame, keys)
    flag = choose([group < 0, np.append(any_hit, False)[group]], [missing_value, true_value], false_value)
    out = frame.copy()
    out[new_var] = pd.Series(flag, index=frame.index)
    return like(dataset, out)


def derive_vars_merged_summary(dataset, dataset_add, by_vars, new_vars: Mapping[str, tuple],
                               filter_add=None, missing_values: Mapping | None = None):
    """Add per-group summaries of ``dataset_add``: ``new_vars`` maps a new name to
    ``(column, function)`` with a pandas aggregation name or callable, e.g.
    ``{"NTHER": ("CMSEQ", "count"), "FSTDT": ("CMSTDT", "min")}`` (admiral
    ``derive_vars_merged_summary``). Groups without records get ``missing_values``."""
    frame = frame_of(dataset)
    keys, add_keys = _by_pairs(by_vars)
    require_columns(frame, keys, "by_vars")
    add = frame_of(dataset_add, "dataset_add")
    require_columns(add, add_keys + [c for c, _ in new_vars.values()], "new_vars")
    add = add.loc[row_mask(add, filter_add, "filter_add")]
    summary = add.groupby(add_keys, sort=False, dropna=False).agg(**{
        name: pd.NamedAgg(column=col, aggfunc=fun) for name, (col, fun) in new_vars.items()})
    summary = summary.reset_index()
    summary.columns = keys + list(new_vars)
    merged = frame[keys].merge(summary, on=keys, how="left", sort=False)
    out = frame.copy()
    for name in new_vars:
        col = merged[name]
        col.index = frame.index
        if missing_values and name in missing_values:
            col = col.fillna(missing_values[name])
        out[name] = col
    return like(dataset, out)
