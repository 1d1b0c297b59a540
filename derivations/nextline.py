"""Next-line therapy: the first anti-cancer therapy after the start date.

Rules of :func:`derive_vars_nextline` (the same for every arm):

1. Candidates are the ``dataset_add`` records (a CM-like dataset of subsequent
   therapies, one record per drug) that meet ``filter_add`` (e.g. anti-myeloma
   therapies, study drug excluded) and whose ``date`` is strictly after the subject's
   ``start_date`` (randomization). Records without a date are not candidates.
2. Without a ``line`` column the next line starts on the earliest candidate date
   (``NACTDT``) and its components are the candidate records starting that day.
3. With a ``line`` column (a line number, sorted as numbers or as text) the next line is
   the candidates' lowest line; ``NACTDT`` is its earliest start and its components are
   all its candidate records. Line numbers are trusted over partial dates: a later line
   whose imputed start falls earlier cannot become the next line.
4. ``NACTTRT``: the distinct component ``drug`` names, sorted, joined by ``" + "``.
5. ``NLPIFL``: ``"Y"`` when a component is a proteasome inhibitor (``is_pi``: a set of
   drug names, compared case-insensitively, or a condition on ``dataset_add``), ``"N"``
   when the next line has none, missing when there is no next line.
"""

from __future__ import annotations

from typing import Collection

import numpy as np
import pandas as pd

from adam.errors import UsageError
from derivations.common import SubjectIndex, as_list, frame_of, like, require_columns, row_mask

PROTEASOME_INHIBITORS = frozenset({"BORTEZOMIB", "CARFILZOMIB", "IXAZOMIB", "IXAZOMIB CITRATE",
                                   "MARIZOMIB", "OPROZOMIB"})


def _pi_mask(add: pd.DataFrame, drug: str, is_pi) -> np.ndarray:
    if is_pi is None:
        is_pi = PROTEASOME_INHIBITORS
    if isinstance(is_pi, str) or callable(is_pi):
        return row_mask(add, is_pi, "is_pi")
    names = {str(n).upper() for n in is_pi}
    return add[drug].astype(str).str.upper().isin(names).to_numpy()


def _joined(records: pd.DataFrame, keys: list[str], column: str, separator: str) -> pd.Series:
    """Per ``keys`` group (sorted), the distinct sorted values of ``column`` joined by
    ``separator``; a missing value counts only when the group has nothing else."""
    if records.empty:
        return pd.Series(dtype=object)
    values, names = pd.factorize(records[column], sort=True)
    if len(keys) > 1 or len(names) > 62:
        return _joined_wide(records, keys, column, separator)
    # each group's set of values as bits (missing: the highest bit), joined once per set
    groups, index = pd.factorize(records[keys[0]], sort=True)
    width = len(names) + 1
    pairs = np.sort(groups.astype(np.int64) * width + np.where(values < 0, len(names), values))
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]
    group, bit = np.divmod(pairs, width)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sets = np.add.reduceat(np.left_shift(np.uint64(1), bit.astype(np.uint64)), starts)
    set_codes, distinct = pd.factorize(sets)
    labels = [str(v) for v in names]
    text = []
    for bits in distinct:
        members = [labels[i] for i in range(len(names)) if int(bits) >> i & 1]
        text.append(separator.join(members) if members else "nan")
    return pd.Series(np.asarray(text, dtype=object)[set_codes], index=pd.Index(index[group[starts]]))


def _joined_wide(records: pd.DataFrame, keys: list[str], column: str, separator: str) -> pd.Series:
    """:func:`_joined` for many distinct values or several keys (one pass per position
    in the joined list)."""
    uniq = records.drop_duplicates(keys + [column]).sort_values(keys + [column], kind="stable")
    uniq = uniq.assign(__k=uniq.groupby(keys, sort=False).cumcount())
    wide = uniq.set_index(keys + ["__k"])[column].unstack("__k")
    text = wide[0].astype(str)
    for k in wide.columns[1:]:
        nxt = wide[k]
        text = text.where(nxt.isna(), text + separator + nxt.astype(str))
    return text


def derive_vars_nextline(dataset, dataset_add, by_vars=("STUDYID", "USUBJID"),
                         start_date: str = "RANDDT", date: str = "CMSTDT", drug: str = "CMDECOD",
                         filter_add=None, line: str | None = None,
                         is_pi: Collection[str] | str | None = None,
                         new_vars=("NACTDT", "NACTTRT", "NLPIFL"), separator: str = " + "):
    """Add the next-line start date, components and PI flag (names ``new_vars``) to
    ``dataset`` (one record per subject, holding ``start_date``). Rules in the module
    docstring."""
    frame = frame_of(dataset)
    keys = as_list(by_vars)
    require_columns(frame, keys + [start_date], "start_date")
    add = frame_of(dataset_add, "dataset_add")
    require_columns(add, keys + [date, drug] + ([line] if line else []), "dataset_add")
    if not pd.api.types.is_datetime64_any_dtype(add[date]):
        raise UsageError(f"argument date: {date} is not a date column")
    if len(as_list(new_vars)) != 3:
        raise UsageError("argument new_vars: three names are needed (date, components, PI flag)")
    date_var, comp_var, pi_var = new_vars
    subjects = SubjectIndex(frame, keys)
    if not subjects.is_unique:
        raise UsageError(f"argument dataset: more than one record per {', '.join(keys)}")

    rows = np.flatnonzero(row_mask(add, filter_add, "filter_add"))
    sid = subjects.ids(add)[rows]
    start = pd.to_datetime(frame[start_date]).dt.normalize().to_numpy()
    cand = pd.DataFrame({"__sid": sid, "__day": add[date].iloc[rows].dt.normalize().to_numpy(),
                         "__drug": add[drug].to_numpy()[rows], "__pi": _pi_mask(add, drug, is_pi)[rows]})
    if line:
        cand["__lineid"] = add[line].to_numpy()[rows]
    cand = cand.loc[sid >= 0]
    cand = cand.loc[cand["__day"].to_numpy() > start[cand["__sid"].to_numpy()]]

    if line:
        first_line = cand.groupby("__sid", sort=False)["__lineid"].transform("min")
        comps = cand.loc[(cand["__lineid"] == first_line).to_numpy()]
    else:
        first_day = cand.groupby("__sid", sort=False)["__day"].transform("min")
        comps = cand.loc[(cand["__day"] == first_day).to_numpy()]
    summary = comps.groupby("__sid", sort=True).agg(__date=("__day", "min"), __anypi=("__pi", "any"))
    summary[comp_var] = _joined(comps, ["__sid"], "__drug", separator)
    summary = summary.reindex(np.arange(len(frame)))
    out = frame.copy()
    out[date_var] = summary["__date"].to_numpy()
    out[comp_var] = pd.Series(summary[comp_var].to_numpy(), index=frame.index, dtype=object)
    has_line = summary["__date"].notna().to_numpy()
    flag = np.where(summary["__anypi"].eq(True).to_numpy(), "Y", "N").astype(object)
    out[pi_var] = pd.Series(np.where(has_line, flag, np.nan), index=frame.index, dtype=object)
    return like(dataset, out)
