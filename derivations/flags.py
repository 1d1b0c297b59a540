"""Record-level flags and sequence numbers (admiral ``derive_var_extreme_flag``,
``derive_var_relative_flag``, ``derive_var_obs_number``).

Arguments follow admiral: ``by_vars`` (column names), ``order`` (column names, a
leading ``-`` for descending, as admiral's ``desc()``), ``new_var``, ``mode``
(``"first"``/``"last"``). Missing values sort last whatever the direction (dplyr
``arrange``); ties keep input order. Conditions and filters are pandas query strings or
callables ``frame -> mask`` (:func:`derivations.common.row_mask`); a missing result
counts as false.

Differences from admiral, on purpose:

- Rows keep their input order and index (admiral's ``derive_var_obs_number`` returns
  the dataset sorted by ``by_vars`` and ``order``; ``restrict_derivation`` puts the
  restricted records first). Only the new column is added.
- ``derive_var_extreme_flag(filter=...)`` is admiral's
  ``restrict_derivation(derive_var_extreme_flag, filter=...)``: records outside the
  filter get a missing flag, the others ``true_value``/``false_value``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from adam.errors import UsageError
from derivations.common import (
    as_list, frame_of, group_codes, like, new_frame, require_choice, require_columns, row_mask, rows_of,
)
from derivations.filters import _sorted_positions, extreme_positions, parse_order


def _check(frame, by_vars, order, mode=None):
    require_columns(frame, as_list(by_vars), "by_vars")
    require_columns(frame, parse_order(order)[0], "order")
    if mode is not None:
        require_choice(mode, ("first", "last"), "mode")


def _ranks_in_group(frame: pd.DataFrame, codes: np.ndarray, order) -> np.ndarray:
    """0-based position of each row inside its group in ``order`` (ties: input order)."""
    pos = _sorted_positions(frame, codes, order)
    g = codes[pos]
    starts = np.r_[True, g[1:] != g[:-1]] if len(g) else np.zeros(0, bool)
    first = np.maximum.accumulate(np.where(starts, np.arange(len(g)), 0)) if len(g) else np.zeros(0, int)
    rank = np.empty(len(g), dtype=np.int64)
    rank[pos] = np.arange(len(g)) - first
    return rank


def _duplicates(frame: pd.DataFrame, by_vars, order) -> np.ndarray:
    cols = as_list(by_vars) + parse_order(order)[0]
    return frame.duplicated(subset=cols, keep=False).to_numpy() if cols else np.ones(len(frame), bool)


def derive_var_extreme_flag(dataset, by_vars, order, new_var: str, mode: str = "last",
                            true_value="Y", false_value=np.nan, flag_all: bool = False,
                            filter=None, check_type: str = "none"):
    """Flag the first or last record of each ``by_vars`` group in ``order``
    (``true_value``; the group's other records ``false_value``).

    ``flag_all``: every record tied with the extreme one on ``order`` is flagged.
    ``filter``: only records meeting it take part (admiral ``restrict_derivation``);
    the others get a missing flag. ``check_type`` ``"error"`` raises a
    :class:`UsageError` when records are not unique by ``by_vars`` and ``order``.

    admiral's example (``derive_var_extreme_flag`` reference, ``mode = "last"``,
    ``order = exprs(AVISITN)``): of USUBJID 1's records at AVISITN 1, 2, 3 the last gets
    ``"Y"``, the others ``NA`` (``false_value`` default).
    """
    frame = frame_of(dataset)
    _check(frame, by_vars, order, mode)
    require_choice(check_type, ("none", "warning", "error"), "check_type")
    rows = np.flatnonzero(row_mask(frame, filter, "filter"))
    # only the by and order variables of the records taking part (read in place when all do)
    every = len(rows) == len(frame)
    cols = list(dict.fromkeys(as_list(by_vars) + parse_order(order)[0]))
    sub = pd.DataFrame({c: rows_of(frame[c], slice(None) if every else rows) for c in cols},
                       columns=cols, copy=False)
    if check_type == "error" and _duplicates(sub, by_vars, order).any():
        raise UsageError(f"argument order: records are not unique by {', '.join(as_list(by_vars) + parse_order(order)[0])}")
    codes = group_codes(sub, by_vars)
    hit = np.zeros(len(sub), dtype=bool)
    extreme = extreme_positions(sub, codes, order, mode)
    hit[extreme] = True
    if flag_all and len(extreme):
        cols = parse_order(order)[0]
        key = pd.DataFrame({"__g": codes, **{f"__o{i}": sub[c].to_numpy() for i, c in enumerate(cols)}})
        best = key.iloc[extreme].drop_duplicates()
        hit = key.merge(best.assign(__hit=True), how="left", on=list(key.columns))["__hit"].notna().to_numpy()
    # one small code per record (0 outside the filter, 1 false, 2 true), then the one
    # object array of the new column (no second full-length object array)
    which = np.zeros(len(frame), dtype=np.int8)
    which[rows] = 1
    which[rows[hit]] = 2
    table = np.empty(3, dtype=object)
    table[0], table[1], table[2] = np.nan, false_value, true_value
    out = new_frame(frame)
    out[new_var] = pd.Series(table[which], index=frame.index, dtype=object)
    return like(dataset, out)


def derive_var_relative_flag(dataset, by_vars, order, new_var: str, condition, mode: str = "first",
                             selection: str = "before", inclusive: bool = True,
                             flag_no_ref_groups: bool = True, check_type: str = "none"):
    """Flag the records before or after a reference record of each ``by_vars`` group.

    The reference record is the first (``mode="first"``) or last record in ``order``
    meeting ``condition``. Records before (``selection="before"``) or after it get
    ``"Y"``, the reference record itself too with ``inclusive``; other records are
    missing. Groups without a reference record are flagged entirely when
    ``flag_no_ref_groups`` (admiral's default), else not at all.

    admiral's example: ``derive_var_relative_flag(by_vars = exprs(USUBJID), order =
    exprs(AVISITN), new_var = ANL02FL, condition = AVALC == "PD", mode = "first",
    selection = "before", inclusive = TRUE)`` flags PR, CR, CR, SD, PD of a subject
    with PR, CR, CR, SD, PD, SD and every record of a subject without PD.
    """
    frame = frame_of(dataset)
    _check(frame, by_vars, order, mode)
    require_choice(selection, ("before", "after"), "selection")
    require_choice(check_type, ("none", "warning", "error"), "check_type")
    if check_type == "error" and _duplicates(frame, by_vars, order).any():
        raise UsageError("argument order: records are not unique by by_vars and order")
    codes = group_codes(frame, by_vars)
    rank = _ranks_in_group(frame, codes, order)
    cond = row_mask(frame, condition, "condition")
    size = int(codes.max(initial=-1)) + 1
    big = np.iinfo(np.int64).max
    ref = np.full(size, big if mode == "first" else -1, dtype=np.int64)
    (np.minimum if mode == "first" else np.maximum).at(ref, codes[cond], rank[cond])
    has_ref = ref[codes] != (big if mode == "first" else -1)
    r = ref[codes]
    if selection == "before":
        hit = rank < r if not inclusive else rank <= r
    else:
        hit = rank > r if not inclusive else rank >= r
    hit = np.where(has_ref, hit, flag_no_ref_groups)
    out = frame.copy()
    values = np.full(len(frame), np.nan, dtype=object)
    values[np.asarray(hit, dtype=bool)] = "Y"
    out[new_var] = pd.Series(values, index=frame.index, dtype=object)
    return like(dataset, out)


def derive_var_obs_number(dataset, by_vars=None, order=None, new_var: str = "ASEQ",
                          check_type: str = "none"):
    """Number the records of each ``by_vars`` group 1, 2, ... in ``order`` (float, as
    every ADaM numeric). ``check_type="error"``: records not unique by ``by_vars`` and
    ``order`` are a :class:`UsageError` (admiral's ``check_type``).

    admiral's example: ``derive_var_obs_number(vs, by_vars = exprs(STUDYID, USUBJID),
    order = exprs(VISITNUM, VSTPTNUM))`` numbers each subject's records 1..n.
    """
    frame = frame_of(dataset)
    _check(frame, by_vars, order)
    require_choice(check_type, ("none", "warning", "error"), "check_type")
    if check_type == "error" and order and _duplicates(frame, by_vars, order).any():
        first = int(np.flatnonzero(_duplicates(frame, by_vars, order))[0])
        raise UsageError(f"argument order: records are not unique by "
                         f"{', '.join(as_list(by_vars) + parse_order(order)[0])} (first: row {first + 1})")
    codes = group_codes(frame, by_vars)
    rank = _ranks_in_group(frame, codes, order) if len(frame) else np.zeros(0, np.int64)
    out = frame.copy()
    out[new_var] = pd.Series(rank + 1.0, index=frame.index)
    return like(dataset, out)
